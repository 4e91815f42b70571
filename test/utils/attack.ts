/**
 * Harness for attack tests (issue 9): a real `ipts relay` process with its status page, the
 * health checks every attack test makes while and after it runs (relay RSS under 500 MB, `/status`
 * answering within 1 s), and an honest sender and receiver on another address (127.0.0.2, so the
 * attacker's per-address budgets on 127.0.0.1 are not theirs) whose record must still be accepted
 * and delivered through INBOX.
 */
import assert from 'node:assert/strict'
import { readFile, readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { multiaddr } from '@multiformats/multiaddr'
import { pbStream } from '@libp2p/utils'
import { createClient } from '../../src/client/index.ts'
import { createTaggedRecord, tagRoutingKey } from '../../src/record/index.ts'
import { RelayRequest, RelayResponse } from '../../src/pb/relay.ts'
import { RELAY_PROTOCOL } from '../../src/relay/protocol.ts'
import { RecordStore } from '../../src/relay/store.ts'
import { spawnRelay } from './cli.ts'
import { loadScaled } from './load.ts'
import { key, relayRequest } from './network.ts'
import type { CliRelay } from './cli.ts'
import type { TestNetwork } from './network.ts'
import type { IptsNode } from '../../src/node.ts'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { PrivateKey, Stream } from '@libp2p/interface'

/** The RSS a relay under attack must stay below (issue 9). */
export const MAX_RSS = 500 * 1000 * 1000
/** How soon `/status` must answer on an idle machine (issue 9); stretched by `loadScaled`. */
export const STATUS_DEADLINE = 1000
/** Where the honest sender and receiver connect from: not the attacker's address. */
export const HONEST_ADDRESS = '127.0.0.2'

export interface AttackedRelay extends CliRelay {
  /** the relay's repo; its store is `<repo>/relay` */
  repo: string
  ma: Multiaddr
  pid: number
  metrics: string
}

/** `ipts relay --metrics 127.0.0.1:0 [args]` in `repo`, ready. */
export async function spawnAttackedRelay (repo: string, args: string[] = []): Promise<AttackedRelay> {
  const relay = await spawnRelay(repo, ['--metrics', '127.0.0.1:0', ...args])
  const pid = relay.proc.child.pid
  if (pid == null || relay.metrics == null) {
    await relay.kill()
    throw new Error('relay started without a pid or a metrics address')
  }
  return { ...relay, repo, ma: multiaddr(relay.addr), pid, metrics: relay.metrics }
}

/** Resident set size of a process, in bytes (Linux `/proc`). */
export async function rssOf (pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8')
  const kb = /^VmRSS:\s+(\d+) kB$/m.exec(status)
  if (kb == null) throw new Error(`no VmRSS for ${pid}`)
  return Number(kb[1]) * 1024
}

/** The relay's `/status`, which must answer within `STATUS_DEADLINE` (scaled by the machine's load). */
export async function statusOf (relay: AttackedRelay): Promise<Record<string, any>> {
  const response = await fetch(`${relay.metrics}/status`, { signal: AbortSignal.timeout(loadScaled(STATUS_DEADLINE)) })
  assert.equal(response.status, 200)
  return await response.json() as Record<string, any>
}

/** Asserts the relay's RSS is under 500 MB and `/status` answers within 1 s; returns both. */
export async function assertHealthy (relay: AttackedRelay): Promise<{ rss: number, status: Record<string, any> }> {
  const status = await statusOf(relay)
  const rss = await rssOf(relay.pid)
  assert.ok(rss < MAX_RSS, `relay RSS ${Math.round(rss / 1e6)} MB`)
  return { rss, status }
}

/** Bytes of every file under `dir`, recursively. */
export async function diskUsage (dir: string): Promise<number> {
  let total = 0
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) total += await diskUsage(path)
    else if (entry.isFile()) total += (await stat(path)).size
  }
  return total
}

/** An honest sender and receiver, both connecting from `HONEST_ADDRESS`. */
export class HonestPair {
  readonly sender: PrivateKey
  readonly receiver: PrivateKey
  private readonly node: IptsNode
  private sequence = 0n

  private constructor (node: IptsNode, sender: PrivateKey, receiver: PrivateKey) {
    this.node = node
    this.sender = sender
    this.receiver = receiver
  }

  static async create (net: TestNetwork): Promise<HonestPair> {
    return new HonestPair(await net.node({ localAddress: HONEST_ADDRESS }), await key(), await key())
  }

  get tag (): Uint8Array {
    return this.receiver.publicKey.toMultihash().bytes
  }

  /**
   * Sends the next record to the receiver (custody PUT) and asserts that the relay accepted it
   * and that the receiver's INBOX then holds it, byte for byte.
   */
  async deliver (relay: Multiaddr): Promise<void> {
    this.sequence++
    const record = await createTaggedRecord(this.sender, { tag: this.tag, value: '/ipfs/bafkqaaa', sequence: this.sequence, lifetime: 3_600_000, now: Date.now() })
    const [answer] = await relayRequest(this.node, relay, { type: RelayRequest.Type.PUT, key: record.routingKey, record: record.bytes })
    assert.equal(answer.status, RelayResponse.Status.OK, `honest PUT refused: ${answer.error ?? ''}`)
    assert.equal(answer.sequence, this.sequence)
    const pages = await relayRequest(this.node, relay, { type: RelayRequest.Type.INBOX, key: tagRoutingKey(this.tag) })
    const held = pages.flatMap(p => p.records)
    assert.ok(held.some(bytes => Buffer.from(bytes).equals(Buffer.from(record.bytes))), `the honest record was not delivered (INBOX answered ${pages.map(p => `${RelayResponse.Status[p.status]}${p.error != null ? ` ${p.error}` : ''} with ${p.records.length}`).join(', ')})`)
  }
}

// --- inbox attacks: many 10 KiB records, readers that never read (issue 9, item 5) ------------

/**
 * Writes `count` records of about `size` bytes, each from its own signer, to `tag`'s inbox in
 * the store of the relay repo `repo`, before the relay starts (the store is the relay's own, so
 * no ingest budget slows the setup).
 */
export async function fillInbox (repo: string, tag: PrivateKey, count: number, size: number): Promise<void> {
  const store = new RecordStore({ path: join(repo, 'relay'), maxRecordsPerKey: count })
  await store.open()
  try {
    const now = Date.now()
    const tagBytes = tag.publicKey.toMultihash().bytes
    for (let i = 0; i < count; i += 50) {
      const records = await Promise.all(Array.from({ length: Math.min(50, count - i) }, async () => {
        // the value pads the record to about `size` bytes (the signed data holds it twice: V1 and V2)
        return createTaggedRecord(await key(), { tag: tagBytes, value: '/ipfs/' + 'a'.repeat(Math.max(0, Math.floor((size - 400) / 2))), sequence: 1n, lifetime: 3_600_000, now })
      }))
      for (const record of records) {
        const result = await store.put(record, now)
        assert.equal(result.status, 'stored')
      }
    }
  } finally {
    await store.close()
  }
}

/**
 * Opens `count` INBOX streams for `tag` on the relay and never reads them: each request is
 * written, then the stream is paused, so yamux sends no window update and the relay's writes
 * stall once the window is used. Resolves with the streams that opened.
 */
export async function stallInboxStreams (node: IptsNode, relay: Multiaddr, tag: PrivateKey, count: number): Promise<Stream[]> {
  const routingKey = tagRoutingKey(tag.publicKey.toMultihash().bytes)
  const open = async (): Promise<Stream | undefined> => {
    try {
      const stream = await node.dialProtocol(relay, RELAY_PROTOCOL, { signal: AbortSignal.timeout(10_000) })
      await pbStream(stream).write({ type: RelayRequest.Type.INBOX, key: routingKey, signer: new Uint8Array(), pageSize: 256 }, RelayRequest)
      stream.pause()
      return stream
    } catch {
      return undefined
    }
  }
  // one stream first: streams opened while the relay still upgrades the connection count as
  // "early streams", and more than 10 of those make it drop the connection
  const first = await open()
  const streams = [first, ...await Promise.all(Array.from({ length: count - 1 }, open))]
  return streams.filter(s => s != null)
}

/**
 * The whole client path, from 127.0.0.1 with fresh keys: `send` resolves only when the relay
 * confirmed custody (with its proof), then the receiver's `inbox` finds and decrypts the text.
 */
export async function assertClientDelivery (relayAddr: string, text = `honest ${Math.random()}`): Promise<void> {
  const alice = await createClient({ privateKey: await key(), relays: [relayAddr] })
  const bob = await createClient({ privateKey: await key(), relays: [relayAddr] })
  try {
    const sent = await alice.send(bob.peerId, { text }, { minRelays: 1, timeout: 20_000 })
    assert.equal(sent.relays.length, 1)
    const got: string[] = []
    for await (const message of bob.inbox({ signal: AbortSignal.timeout(20_000) })) {
      if (message.text != null) got.push(message.text)
    }
    assert.deepEqual(got, [text])
  } finally {
    await Promise.all([alice.stop(), bob.stop()])
  }
}
