/**
 * Fault suite, disk full: the relay's repo is a small tmpfs that a filler file fills. The store
 * (in process) and a real `ipts relay` process (over the relay protocol) must refuse new records
 * as `DiskFullError`, count the refusals, never confirm what they could not write, keep
 * serving what they hold, and take records again once the filler is deleted, losing nothing
 * across a SIGKILL afterwards (LevelDB loses what a handle appends after a failed write, so the
 * store reopens the database first).
 *
 * Needs root to mount the tmpfs (CI runs as root); skipped with the reason otherwise.
 */
import assert from 'node:assert/strict'
import { open, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { multiaddr } from '@multiformats/multiaddr'
import { createAck, createTaggedRecord, tagRoutingKey } from '../../src/record/index.ts'
import { RelayRequest, RelayResponse } from '../../src/pb/relay.ts'
import { RecordStore } from '../../src/relay/store.ts'
import { verdict } from '../../src/relay/follower.ts'
import { TopicValidatorResult } from '@libp2p/gossipsub'
import { spawnRelay } from '../utils/cli.ts'
import { TestNetwork, relayRequest } from '../utils/network.ts'
import { makeKeys, mh } from '../utils/store-fixtures.ts'
import { NO_BUDGETS, heldByInbox, missing, mountTmpfs, pairId, report } from './harness.ts'
import type { Tmpfs } from './harness.ts'
import type { CliRelay } from '../utils/cli.ts'
import type { PrivateKey } from '@libp2p/interface'

const MiB = 1024 * 1024
/** The tmpfs: room for the repo, a few hundred records, and the store's reopen headroom (1 MiB). */
const TMPFS_SIZE = 4 * MiB
/** A value that makes records ~850 bytes, so the disk fills in a few thousand. */
const VALUE = '/ipfs/' + 'b'.repeat(600)
/** Refusals must start within this many puts once the filler took every free block. */
const SLACK_PUTS = 200
const HOUR = 3_600_000

/** Writes `dir/filler` until the file system refuses another byte; returns its size. */
async function fill (dir: string): Promise<number> {
  const file = await open(join(dir, 'filler'), 'w')
  let size = 0
  try {
    for (const chunk of [MiB, 64 * 1024, 4096, 512, 1]) {
      const buf = Buffer.alloc(chunk, 0xff)
      for (;;) {
        try {
          const { bytesWritten } = await file.write(buf)
          size += bytesWritten
          if (bytesWritten < chunk) break
        } catch (err: any) {
          if (err.code !== 'ENOSPC') throw err
          break
        }
      }
    }
  } finally {
    await file.close()
  }
  return size
}

describe('fault: the disk fills up', () => {
  const net = new TestNetwork()
  const cleanups: Array<() => Promise<unknown>> = []
  after(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => {})
    await net.stop()
  })

  async function tmpfs (t: { skip(reason: string): void }, name: string): Promise<Tmpfs | undefined> {
    const mounted = await mountTmpfs(join(tmpdir(), `ipts-fault-${name}-${process.pid}-${Date.now()}`), TMPFS_SIZE)
    if (typeof mounted === 'string') {
      t.skip(mounted)
      return undefined
    }
    cleanups.push(mounted.unmount)
    return mounted
  }

  it('a record refused because our disk is full is ignored on gossip, not held against the peer that sent it', () => {
    assert.equal(verdict('refused', 'DiskFullError'), TopicValidatorResult.Ignore)
    assert.equal(verdict('refused', 'StoreWriteError'), TopicValidatorResult.Ignore)
  })

  it('the store refuses puts as disk-full, serves what it holds, and after space returns writes again without losing anything on reopen', async (t) => {
    const fs = await tmpfs(t, 'store')
    if (fs == null) return
    const path = join(fs.path, 'store')
    const tag = (await makeKeys(1))[0]
    const signers = await makeKeys(20)
    const routingKey = tagRoutingKey(mh(tag))
    const confirmed = new Map<string, bigint>()
    let seq = 0n
    const put = async (store: RecordStore): Promise<Awaited<ReturnType<RecordStore['put']>>> => {
      seq++
      const signer = signers[Number(seq % BigInt(signers.length))]
      const record = await createTaggedRecord(signer, { tag: mh(tag), value: VALUE, sequence: seq, lifetime: HOUR, now: Date.now() })
      const result = await store.put(record, Date.now())
      if (result.status === 'stored') confirmed.set(pairId(routingKey, mh(signer)), seq)
      return result
    }

    const store = new RecordStore({ path })
    cleanups.push(async () => store.close())
    await store.open()
    for (let i = 0; i < 40; i++) assert.equal((await put(store)).status, 'stored')
    await fill(fs.path)

    // the blocks LevelDB's log already has may take a few more; then every put is refused
    let refusedAt = -1
    for (let i = 0; i < SLACK_PUTS && refusedAt < 0; i++) {
      const result = await put(store)
      if (result.status === 'refused') {
        assert.equal(result.reason, 'disk-full')
        assert.equal('error' in result ? result.error.name : undefined, 'DiskFullError')
        refusedAt = i
      } else {
        assert.equal(result.status, 'stored')
      }
    }
    assert.ok(refusedAt >= 0, `no refusal in ${SLACK_PUTS} puts on a full disk`)
    assert.equal(store.writeFailure()?.name, 'DiskFullError')
    for (let i = 0; i < 20; i++) {
      const result = await put(store)
      assert.deepEqual([result.status, 'reason' in result ? result.reason : undefined], ['refused', 'disk-full'])
    }

    // reads go on from the open database
    const page = await store.page(routingKey, { limit: 1000, now: Date.now() })
    assert.equal(page.records.length, signers.length)

    // space returns: the next put reopens the database and is stored, and so are the following
    await rm(join(fs.path, 'filler'))
    for (let i = 0; i < 100; i++) assert.equal((await put(store)).status, 'stored')
    assert.equal(store.writeFailure(), undefined)
    await store.close()

    const reopened = new RecordStore({ path })
    cleanups.push(async () => reopened.close())
    await reopened.open()
    assert.deepEqual(await reopened.verify(), [])
    const held = new Map<string, bigint>()
    for (const signer of signers) {
      const h = await reopened.query(routingKey, mh(signer))
      if (h != null) held.set(pairId(routingKey, mh(signer)), h.sequence)
    }
    assert.deepEqual(missing(confirmed, p => held.get(p)), [])
    await reopened.close()
  })

  it('a relay process on a full disk answers PUTs and ACKs REFUSED DiskFullError (counted), keeps serving its inbox, takes records again when space returns, and loses nothing confirmed across a SIGKILL', async (t) => {
    const fs = await tmpfs(t, 'relay')
    if (fs == null) return
    const repo = join(fs.path, 'repo')
    let relay: CliRelay = await spawnRelay(repo, ['--metrics', '127.0.0.1:0', ...NO_BUDGETS])
    cleanups.push(async () => relay.kill())
    const client = await net.node()
    const tag = (await makeKeys(1))[0]
    const signers = await makeKeys(20)
    const routingKey = tagRoutingKey(mh(tag))
    const confirmed = new Map<string, bigint>()
    const counts = { ok: 0, refused: 0, okWhileFull: 0 }
    let seq = 0n
    const put = async (): Promise<RelayResponse> => {
      seq++
      const signer: PrivateKey = signers[Number(seq % BigInt(signers.length))]
      const record = await createTaggedRecord(signer, { tag: mh(tag), value: VALUE, sequence: seq, lifetime: HOUR, now: Date.now() })
      const [response] = await relayRequest(client, multiaddr(relay.addr), { type: RelayRequest.Type.PUT, key: routingKey, record: record.bytes })
      if (response.status === RelayResponse.Status.OK) {
        assert.ok(response.sequence != null && response.sequence >= seq)
        confirmed.set(pairId(routingKey, mh(signer)), seq)
        counts.ok++
      } else {
        assert.equal(response.status, RelayResponse.Status.REFUSED)
        assert.equal(response.error, 'DiskFullError')
        counts.refused++
      }
      return response
    }
    const refusedCounter = async (): Promise<number> => {
      const status = await (await fetch(`${relay.metrics ?? ''}/status`)).json() as { counters: { refused: Record<string, number> } }
      return status.counters.refused.DiskFullError ?? 0
    }

    for (let i = 0; i < 40; i++) assert.equal((await put()).status, RelayResponse.Status.OK)
    // a record the receiver acknowledges while the disk is full, and again once it has room
    const ackedSigner = (await makeKeys(1))[0]
    const acked = await createTaggedRecord(ackedSigner, { tag: mh(tag), value: VALUE, sequence: 1n, lifetime: HOUR, now: Date.now() })
    const [ackedPut] = await relayRequest(client, multiaddr(relay.addr), { type: RelayRequest.Type.PUT, key: routingKey, record: acked.bytes })
    assert.equal(ackedPut.status, RelayResponse.Status.OK)
    const ack = await createAck(tag, { entries: [{ signer: mh(ackedSigner), sequence: 1n, eol: acked.eol }], now: Date.now() })
    const filler = await fill(fs.path)

    let refusing = false
    for (let i = 0; i < SLACK_PUTS && !refusing; i++) {
      refusing = (await put()).status === RelayResponse.Status.REFUSED
      if (!refusing) counts.okWhileFull++
    }
    assert.ok(refusing, `no refusal in ${SLACK_PUTS} PUTs on a full disk`)
    for (let i = 0; i < 20; i++) assert.equal((await put()).status, RelayResponse.Status.REFUSED)
    // an ack cannot delete on a full disk either: refused with the disk's error, not a reset stream
    const [ackWhileFull] = await relayRequest(client, multiaddr(relay.addr), { type: RelayRequest.Type.ACK, ack: ack.bytes })
    assert.deepEqual([ackWhileFull.status, ackWhileFull.error], [RelayResponse.Status.REFUSED, 'DiskFullError'])
    counts.refused++
    assert.equal(await refusedCounter(), counts.refused)
    assert.equal(relay.proc.child.exitCode, null, 'the relay exited')

    // it keeps serving what it holds
    const whileFull = await heldByInbox(client, relay.addr, [routingKey])
    assert.deepEqual(missing(confirmed, p => whileFull.get(p)), [])

    // space returns: records are taken again at once
    await rm(join(fs.path, 'filler'))
    for (let i = 0; i < 40; i++) assert.equal((await put()).status, RelayResponse.Status.OK)
    const [ackWithRoom] = await relayRequest(client, multiaddr(relay.addr), { type: RelayRequest.Type.ACK, ack: ack.bytes })
    assert.deepEqual([ackWithRoom.status, ackWithRoom.deleted], [RelayResponse.Status.OK, 1])
    const refusals = counts.refused

    // no clean shutdown: everything confirmed must be on disk, and the store consistent
    await relay.kill()
    const store = new RecordStore({ path: join(repo, 'relay') })
    await store.open()
    try {
      assert.deepEqual(await store.verify(), [])
    } finally {
      await store.close()
    }
    relay = await spawnRelay(repo, ['--metrics', '127.0.0.1:0', ...NO_BUDGETS])
    const afterRestart = await heldByInbox(client, relay.addr, [routingKey])
    assert.deepEqual(missing(confirmed, p => afterRestart.get(p)), [])
    await report(t, 'disk-full', { tmpfsBytes: TMPFS_SIZE, fillerBytes: filler, confirmed: counts.ok, confirmedWhileFilling: counts.okWhileFull, refusedDiskFull: refusals, lost: 0 })
  })
})
