/**
 * Issue 9, items 2 and 4, each run against a real `ipts relay` process as it was reproduced:
 * acks from throwaway keys that filled the disk, custody PUT floods that evicted an honest
 * receiver's record, throwaway signers that filled a receiver's tag, and a PUT flood at the
 * defaults. While and after each: the relay's RSS stays under 500 MB, `/status` answers within
 * 1 s, and an honest sender's record to an honest receiver (both on another address) is accepted
 * and delivered through INBOX.
 */
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { createAck, createTaggedRecord, tagRoutingKey } from '../../src/record/index.ts'
import { RelayRequest, RelayResponse } from '../../src/pb/relay.ts'
import { HonestPair, assertHealthy, diskUsage, spawnAttackedRelay } from '../utils/attack.ts'
import { tempDir } from '../utils/cli.ts'
import { TestNetwork, key, relayRequest } from '../utils/network.ts'
import type { AttackedRelay } from '../utils/attack.ts'
import type { IptsNode } from '../../src/node.ts'
import type { PrivateKey } from '@libp2p/interface'

const hour = 3_600_000
const KiB = 1024

async function newTag (): Promise<Uint8Array> {
  return (await key()).publicKey.toMultihash().bytes
}

async function record (signer: PrivateKey, tag: Uint8Array, value = '/ipfs/bafkqaaa'): Promise<Uint8Array> {
  return (await createTaggedRecord(signer, { tag, value, sequence: 1n, lifetime: hour, now: Date.now() })).bytes
}

async function put (node: IptsNode, relay: AttackedRelay, tag: Uint8Array, bytes: Uint8Array): Promise<RelayResponse> {
  const [answer] = await relayRequest(node, relay.ma, { type: RelayRequest.Type.PUT, key: tagRoutingKey(tag), record: bytes })
  return answer
}

/** An ack by a throwaway key (its own tag) covering `signers`, the largest an ack may be. */
async function throwawayAck (signers: Uint8Array[]): Promise<Uint8Array> {
  const now = Date.now()
  return (await createAck(await key(), { entries: signers.map(signer => ({ signer, sequence: 1n, eol: now + hour })), now })).bytes
}

describe('storage attacks (issue 9, items 2 and 4)', () => {
  const net = new TestNetwork()
  let dir: { path: string, cleanup(): Promise<void> }
  const relays: AttackedRelay[] = []
  let signers: Uint8Array[]

  before(async () => {
    dir = await tempDir()
    signers = []
    for (let i = 0; i < 1024; i++) signers.push(await newTag())
  })
  after(async () => {
    await Promise.allSettled(relays.map(async r => r.kill()))
    await net.stop()
    await dir?.cleanup()
  })

  async function startRelay (name: string, args: string[]): Promise<AttackedRelay> {
    const relay = await spawnAttackedRelay(join(dir.path, name), args)
    relays.push(relay)
    return relay
  }

  it('200 acks of 1,024 entries from throwaway keys leave a 64 KiB relay\'s disk as it was, even with no ack budget', async () => {
    // budgets raised far past the attack, so the store's own rule is what is tested
    const relay = await startRelay('acks-unbudgeted', ['--max-bytes', '64KiB', '--max-acks-per-minute', '1000000', '--max-acks-per-ip-per-minute', '1000000'])
    const honest = await HonestPair.create(net)
    await honest.deliver(relay.ma)
    const before = await diskUsage(join(relay.repo, 'relay'))
    const attacker = await net.node()
    for (let i = 0; i < 200; i++) {
      const [answer] = await relayRequest(attacker, relay.ma, { type: RelayRequest.Type.ACK, ack: await throwawayAck(signers) })
      assert.equal(answer.status, RelayResponse.Status.OK)
      assert.equal(answer.deleted ?? 0, 0)
      if (i % 50 === 49) {
        await assertHealthy(relay)
        await honest.deliver(relay.ma)
      }
    }
    const { status } = await assertHealthy(relay)
    assert.equal(status.tombstones, 0, 'no tombstone for slots of tags the relay holds nothing of')
    assert.equal(status.acks, 0, 'no copy of an ack that did nothing')
    const grown = await diskUsage(join(relay.repo, 'relay')) - before
    // before the fix: 37 MiB; now only the honest records' few hundred bytes and LevelDB's log
    assert.ok(grown < 64 * KiB, `store grew ${grown} bytes`)
    await honest.deliver(relay.ma)
  })

  it('acks over the attacker\'s own records stay within --max-ack-bytes', async () => {
    // the attacker stores a record under each throwaway tag, then acks it with 1,023 more entries:
    // each ack may delete that record and block one more slot, and keeps no 52 KiB copy
    const relay = await startRelay('acks-owned', ['--max-ack-bytes', '64KiB', '--max-puts-per-minute', '1000000', '--max-puts-per-ip-per-minute', '1000000',
      '--max-acks-per-minute', '1000000', '--max-acks-per-ip-per-minute', '1000000'])
    const honest = await HonestPair.create(net)
    const attacker = await net.node()
    for (let i = 0; i < 200; i++) {
      const owner = await key()
      const tag = owner.publicKey.toMultihash().bytes
      const signer = await key()
      assert.equal((await put(attacker, relay, tag, await record(signer, tag))).status, RelayResponse.Status.OK)
      const now = Date.now()
      const entries = [signer.publicKey.toMultihash().bytes, ...signers.slice(1)].map(s => ({ signer: s, sequence: 1n, eol: now + hour }))
      const ack = await createAck(owner, { entries, now })
      const [answer] = await relayRequest(attacker, relay.ma, { type: RelayRequest.Type.ACK, ack: ack.bytes })
      assert.equal(answer.deleted, 1)
      if (i % 50 === 49) {
        await assertHealthy(relay)
        await honest.deliver(relay.ma)
      }
    }
    const { status } = await assertHealthy(relay)
    assert.ok(status.ackStateBytes <= 64 * KiB, `ack state ${status.ackStateBytes as number} bytes`)
    assert.equal(status.acks, 0)
    assert.ok(status.counters.refused.AckStateFullError > 0, 'the cap was reached')
    assert.ok(await diskUsage(join(relay.repo, 'relay')) < 4 * 1024 * KiB)
    await honest.deliver(relay.ma)
  })

  it('acks at the defaults: 60 a minute from one peer, 300 from one address, then refused', async () => {
    const relay = await startRelay('acks-defaults', [])
    const honest = await HonestPair.create(net)
    const peers = [await net.node(), await net.node(), await net.node(), await net.node(), await net.node(), await net.node()]
    const small = signers.slice(0, 4)
    let applied = 0
    const refused: Record<string, number> = {}
    const start = Date.now()
    for (const peer of peers) {
      for (let i = 0; i < 70; i++) {
        const [answer] = await relayRequest(peer, relay.ma, { type: RelayRequest.Type.ACK, ack: await throwawayAck(small) })
        if (answer.status === RelayResponse.Status.OK) applied++
        else refused[answer.error ?? ''] = (refused[answer.error ?? ''] ?? 0) + 1
      }
      await assertHealthy(relay)
      await honest.deliver(relay.ma)
    }
    // 6 peers x 70: each peer runs past its 60, and the later peers find the address's 300 spent
    // (the address's bucket refills 5 a second while this runs)
    const refill = Math.ceil((Date.now() - start) * 300 / 60_000)
    assert.ok(applied >= 300 && applied <= 300 + refill, `applied ${applied} (refill ${refill})`)
    assert.ok((refused.RateLimitedError ?? 0) >= 1)
    assert.ok((refused.HostRateLimitedError ?? 0) >= 1)
  })

  it('60 PUTs to fresh tags from one host at --max-records 50 evict only that host\'s records', async () => {
    const relay = await startRelay('put-flood', ['--max-records', '50'])
    const honest = await HonestPair.create(net)
    await honest.deliver(relay.ma)
    const attacker = await net.node()
    const signer = await key()
    for (let i = 0; i < 60; i++) {
      const tag = await newTag()
      assert.equal((await put(attacker, relay, tag, await record(signer, tag))).status, RelayResponse.Status.OK)
      if (i === 30) await honest.deliver(relay.ma)
    }
    const { status } = await assertHealthy(relay)
    assert.ok(status.records <= 50)
    assert.ok(status.counters.evicted >= 11)
    // the honest receiver's records (two sequences of one sender: one slot) are still held
    const pages = await relayRequest(await net.node({ localAddress: '127.0.0.2' }), relay.ma, { type: RelayRequest.Type.INBOX, key: tagRoutingKey(honest.tag) })
    assert.equal(pages.flatMap(p => p.records).length, 1)
    await honest.deliver(relay.ma)
  })

  it('five throwaway signers cannot fill a receiver\'s tag against an honest sender', async () => {
    const relay = await startRelay('key-full', ['--max-records-per-key', '5'])
    const honest = await HonestPair.create(net)
    const attacker = await net.node()
    for (let i = 0; i < 5; i++) {
      assert.equal((await put(attacker, relay, honest.tag, await record(await key(), honest.tag))).status, RelayResponse.Status.OK)
    }
    // a sixth throwaway signer from the same host is refused: it holds the whole tag already
    const sixth = await put(attacker, relay, honest.tag, await record(await key(), honest.tag))
    assert.deepEqual([sixth.status, sixth.error], [RelayResponse.Status.REFUSED, 'KeyFullError'])
    await assertHealthy(relay)
    // the honest sender's record displaces the attacker's oldest, and is delivered
    await honest.deliver(relay.ma)
    await honest.deliver(relay.ma)
    const { status } = await assertHealthy(relay)
    assert.equal(status.records, 5)
  })

  it('700 PUTs of 9.9 KB from one peer at the defaults: 120 a minute are taken, the rest refused', async () => {
    const relay = await startRelay('put-defaults', [])
    const honest = await HonestPair.create(net)
    const attacker = await net.node()
    const signer = await key()
    const big = '/ipfs/x' + 'a'.repeat(9800)
    const start = Date.now()
    let accepted = 0
    let refused = 0
    for (let i = 0; i < 700; i += 10) {
      const answers = await Promise.all(Array.from({ length: 10 }, async () => {
        const tag = await newTag()
        return put(attacker, relay, tag, await record(signer, tag, big))
      }))
      for (const a of answers) {
        if (a.status === RelayResponse.Status.OK) accepted++
        else if (a.error === 'RateLimitedError') refused++
      }
      if (i % 200 === 0) await assertHealthy(relay)
    }
    // the bucket refills 2 a second while the flood runs
    const refill = Math.ceil((Date.now() - start) * 120 / 60_000)
    assert.ok(accepted >= 120 && accepted <= 120 + refill, `accepted ${accepted} (refill ${refill})`)
    assert.equal(accepted + refused, 700)
    const { status } = await assertHealthy(relay)
    assert.equal(status.counters.refused.RateLimitedError, refused)
    await honest.deliver(relay.ma)
  })
})
