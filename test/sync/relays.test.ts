/**
 * Sync between real relays (`createRelay`: libp2p over TCP on 127.0.0.1, LevelDB in temp dirs)
 * and peers that attack them through `/ipts/sync/1.0.0`: a peer that runs the real sync service
 * over items it crafted (invalid records, forged acknowledgements), a crafted coded batch, idle
 * sessions. Only the relay's public surface is used (start/stop, store, sync, ingest, counters).
 *
 * After every attack the relay must still be well: the process stays under 500 MB RSS (sampled
 * through the attack), `status()` and a custody query answer within 1 s, and an honest sender's
 * record to an honest receiver is accepted and drained.
 */
import assert from 'node:assert/strict'
import { after, afterEach, before, describe, it } from 'node:test'
import { publicKeyToProtobuf } from '@libp2p/crypto/keys'
import { lpStream } from '@libp2p/utils'
import { putRecord, queryRecord } from '../../src/client/relay-rpc.ts'
import { MiB } from '../../src/constants.ts'
import { AckBody, SignedAck } from '../../src/pb/ack.ts'
import { IpnsEntry } from '../../src/pb/ipns.ts'
import { RelayRequest, RelayResponse } from '../../src/pb/relay.ts'
import { SyncMessage } from '../../src/pb/sync.ts'
import { createAck, createTaggedRecord, tagRoutingKey } from '../../src/record/index.ts'
import { SYNC_PROTOCOL, encodeItem, sync } from '../../src/sync/index.ts'
import { SymbolEncoder, encodeCodedBatch } from '../../src/sync/riblt.ts'
import { TestNetwork, addrOf, key, relayRequest } from '../utils/network.ts'
import { MemorySource, addCells, craftedBatch, nextEvent } from './helpers.ts'
import type { CreateRelayOptions, RelayHandle } from '../../src/relay/index.ts'
import type { IptsNode } from '../../src/node.ts'
import type { RefusalReason } from '../../src/relay/refusals.ts'
import type { IptsRecord } from '../../src/record/index.ts'
import type { Sync, SyncEndEvent, SyncErrorEvent, SyncStats } from '../../src/sync/index.ts'
import type { PrivateKey } from '@libp2p/interface'

const HOUR = 3_600_000
const RSS_LIMIT = 500 * MiB
/** Sessions only when a test asks for one. */
const QUIET: Partial<CreateRelayOptions> = { sync: { syncOnConnect: false, interval: 0 } }

function tagOf (k: PrivateKey): Uint8Array {
  return k.publicKey.toMultihash().bytes
}

/** Samples the process RSS every 20 ms until `stop`, which returns the largest seen. */
function watchRss (): { stop(): number } {
  let max = process.memoryUsage().rss
  const timer = setInterval(() => { max = Math.max(max, process.memoryUsage().rss) }, 20)
  // a test that fails before `stop` must not leave the process running
  timer.unref()
  return {
    stop () {
      clearInterval(timer)
      return Math.max(max, process.memoryUsage().rss)
    }
  }
}

/**
 * The relay is still well: RSS under 500 MB, `status()` and a custody query over the wire answer
 * within 1 s, and an honest sender's record to an honest receiver is accepted and drained.
 */
async function assertHealthy (net: TestNetwork, relay: RelayHandle, maxRss: number): Promise<void> {
  assert.ok(maxRss < RSS_LIMIT, `RSS reached ${Math.round(maxRss / MiB)} MiB`)
  assert.equal(relay.relay.status().peerId, relay.node.peerId.toString())

  const alice = await key()
  const bob = await key()
  const routingKey = tagRoutingKey(tagOf(bob))
  const sender = await net.node({ privateKey: alice })
  await sender.dial(addrOf(relay.node))
  const query = await queryRecord(sender, relay.node.peerId, routingKey, tagOf(alice), { signal: AbortSignal.timeout(1000) })
  assert.equal(query.status, RelayResponse.Status.NOT_FOUND)

  const record = await createTaggedRecord(alice, { tag: tagOf(bob), value: '/ipfs/bafkqaaa', sequence: 1n, lifetime: HOUR, now: Date.now() })
  const put = await putRecord(sender, relay.node.peerId, routingKey, record.bytes, { signal: AbortSignal.timeout(10_000) })
  assert.equal(put.status, RelayResponse.Status.OK, put.error)
  const receiver = await net.node({ privateKey: bob })
  const pages = await relayRequest(receiver, relay.node, { type: RelayRequest.Type.INBOX, key: routingKey })
  assert.deepEqual(pages.flatMap(p => p.records).map(r => Buffer.from(r).toString('hex')), [Buffer.from(record.bytes).toString('hex')])
}

/** A peer that runs the real sync service over `items` (whatever they hold). */
interface SyncPeer {
  node: IptsNode
  sync: Sync
  source: MemorySource
}

const syncPeers: SyncPeer[] = []

async function stopSyncPeers (): Promise<void> {
  await Promise.all(syncPeers.splice(0).map(async p => p.sync.stop()))
}

async function syncPeer (net: TestNetwork, items: Uint8Array[] = []): Promise<SyncPeer> {
  const node = await net.node()
  const source = new MemorySource()
  for (const item of items) source.add(item)
  const service = sync({ source, syncOnConnect: false, interval: 0 })({
    registrar: node,
    connectionManager: { openConnection: async (peer, options) => node.dial(peer, options), getConnections: (peer) => node.getConnections(peer) },
    peerStore: node.peerStore,
    logger: node.logger,
    peerId: node.peerId
  })
  await service.start()
  const peer = { node, sync: service, source }
  syncPeers.push(peer)
  return peer
}

function recordItem (routingKey: Uint8Array, record: Uint8Array): Uint8Array {
  return encodeItem({ kind: 'record', routingKey, record })
}

async function held (relay: RelayHandle, record: IptsRecord): Promise<bigint | undefined> {
  return (await relay.relay.store.query(record.routingKey, record.signer))?.sequence
}

/** What a hostile peer offers, next to what an honest relay should end up holding. */
interface Hostile {
  items: Uint8Array[]
  /** Valid records among the items: the relay must store them. */
  valid: IptsRecord[]
  /** Held by the relay before; a valid ack among the items deletes it. */
  acked: IptsRecord
  /** Held by the relay before; a forged ack among the items claims it. */
  kept: IptsRecord
  /** Invalid records among the items, by the error the relay must count them under. */
  invalid: Array<[string, IptsRecord]>
  /** Refusals the relay must count, by reason (all of them on the sync path). */
  refusals: Partial<Record<RefusalReason, number>>
  /** Items the relay must refuse in the session (everything invalid, the unframeable one too). */
  refused: number
}

async function hostile (): Promise<Hostile> {
  const now = Date.now()
  const [alice, bob, carol, dave, erin, frank, mallory] = await Promise.all(Array.from({ length: 7 }, key))
  const tagged = async (signer: PrivateKey, to: PrivateKey, init: { sequence?: bigint, value?: string, eol?: number } = {}): Promise<IptsRecord> =>
    createTaggedRecord(signer, { tag: tagOf(to), value: init.value ?? '/ipfs/bafkqaaa', sequence: init.sequence ?? 1n, lifetime: HOUR, eol: init.eol, now })

  const valid = [await tagged(alice, bob), await tagged(carol, dave)]
  const acked = await tagged(erin, bob)
  const kept = await tagged(frank, bob)

  // a valid record with one bit of its signature flipped
  const badSig = await tagged(alice, dave)
  const entry = IpnsEntry.decode(badSig.bytes)
  entry.signatureV2![0] ^= 1
  const badSigBytes = IpnsEntry.encode(entry)
  // a valid record offered under another receiver's routing key
  const wrongKey = await tagged(alice, carol, { sequence: 5n })
  const otherKey = tagRoutingKey(tagOf(erin))
  const expired = await tagged(carol, bob, { eol: now - HOUR })
  const oversize = await tagged(dave, bob, { value: '/ipfs/' + 'a'.repeat(11 * 1024) })

  // Bob acknowledges Erin's record: valid, deletes it
  const ack = await createAck(bob, { entries: [{ signer: acked.signer, sequence: acked.sequence, eol: acked.eol }], now })
  // Mallory signs an ack in Bob's name for Frank's record
  const body = AckBody.encode({ tag: tagOf(bob), entries: [{ signer: kept.signer, sequence: kept.sequence, eol: BigInt(kept.eol) }], issuedAt: BigInt(now) })
  const signature = await mallory.sign(new Uint8Array([...new TextEncoder().encode('ipts-ack:'), ...body]))
  const forged = SignedAck.encode({ body, signature, pubKey: publicKeyToProtobuf(mallory.publicKey) })

  return {
    items: [
      ...valid.map(r => recordItem(r.routingKey, r.bytes)),
      encodeItem({ kind: 'ack', ack: ack.bytes }),
      recordItem(badSig.routingKey, badSigBytes),
      recordItem(otherKey, wrongKey.bytes),
      recordItem(expired.routingKey, expired.bytes),
      recordItem(oversize.routingKey, oversize.bytes),
      encodeItem({ kind: 'ack', ack: forged }),
      encodeItem({ kind: 'ack', ack: new Uint8Array([1, 2, 3]) }),
      // an item kind that does not exist
      new Uint8Array([0x09, 1, 2, 3])
    ],
    valid,
    acked,
    kept,
    invalid: [['BadSignatureError', badSig], ['KeyMismatchError', wrongKey], ['RecordExpiredError', expired], ['RecordTooLargeError', oversize]],
    refusals: {
      BadSignatureError: 1,
      KeyMismatchError: 1,
      RecordExpiredError: 1,
      RecordTooLargeError: 1,
      InvalidAckError: 2,
      InvalidSyncItemError: 1
    },
    refused: 7
  }
}

/** The relay refused every invalid item, counted each, and holds exactly the valid outcome. */
async function assertConverged (relay: RelayHandle, h: Hostile, stats: SyncStats): Promise<void> {
  assert.equal(stats.stored, 3, 'two valid records and one valid ack taken in')
  assert.equal(stats.refused, h.refused)
  for (const [reason, n] of refusalsOf(h)) {
    assert.equal(relay.relay.counters.refusedCount(reason), n, reason)
  }
  assert.equal(relay.relay.counters.refusedBySource.get('sync'), h.refused, 'every refusal counted under sync')
  for (const r of h.valid) assert.equal(await held(relay, r), r.sequence, 'a valid record arrived')
  assert.equal(await held(relay, h.acked), undefined, 'the valid ack deleted what it covers')
  assert.equal(await held(relay, h.kept), h.kept.sequence, 'the forged ack deleted nothing')
  for (const [name, r] of h.invalid) {
    assert.equal(await held(relay, r), undefined, `${name}: not stored`)
  }
  assert.equal(relay.relay.counters.acksApplied, 1)
}

/**
 * A second session with the same peer: none of the refused items is requested again (whatever
 * arrives is only ignored), and no refusal is counted twice.
 */
function assertQuietRepeat (relay: RelayHandle, h: Hostile, stats: SyncStats): void {
  assert.equal(stats.refused, 0)
  assert.equal(stats.stored, 0)
  assert.equal(stats.itemsReceived, stats.ignored)
  for (const [reason, n] of refusalsOf(h)) {
    assert.equal(relay.relay.counters.refusedCount(reason), n, `${reason} not counted twice`)
  }
}

function refusalsOf (h: Hostile): Array<[RefusalReason, number]> {
  return Object.entries(h.refusals) as Array<[RefusalReason, number]>
}

describe('sync between real relays, one of them hostile', () => {
  const net = new TestNetwork()
  let relay: RelayHandle
  let h: Hostile

  before(async () => { h = await hostile() })
  afterEach(async () => {
    await stopSyncPeers()
    await net.stop()
  })

  async function honestRelayHolding (...records: IptsRecord[]): Promise<RelayHandle> {
    const r = await net.relay(QUIET)
    for (const record of records) {
      const result = await r.relay.ingest.ingest(record.bytes, { now: Date.now(), routingKey: record.routingKey, source: 'custody' })
      assert.equal(result.status, 'stored')
    }
    return r
  }

  it('a peer that initiates with invalid records and forged acks: the relay refuses and counts each, and takes the valid ones', async () => {
    relay = await honestRelayHolding(h.acked, h.kept)
    const evil = await syncPeer(net, h.items)
    const rss = watchRss()
    const answered = nextEvent<SyncEndEvent>(relay.relay.sync, 'sync:end')
    await evil.node.dial(addrOf(relay.node))
    await evil.sync.syncWith(relay.node.peerId, { signal: AbortSignal.timeout(30_000) })
    const { stats } = await answered
    await assertConverged(relay, h, stats)

    const again = nextEvent<SyncEndEvent>(relay.relay.sync, 'sync:end')
    await evil.sync.syncWith(relay.node.peerId, { signal: AbortSignal.timeout(30_000) })
    assertQuietRepeat(relay, h, (await again).stats)
    await assertHealthy(net, relay, rss.stop())
  })

  it('a relay that initiates with a peer offering invalid records and forged acks: the same refusals, the same result', async () => {
    relay = await honestRelayHolding(h.acked, h.kept)
    const evil = await syncPeer(net, h.items)
    const rss = watchRss()
    await relay.node.dial(addrOf(evil.node))
    const stats = await relay.relay.sync.syncWith(evil.node.peerId, { signal: AbortSignal.timeout(30_000) })
    await assertConverged(relay, h, stats)

    // the peer took the relay's records in the first session, the one the ack deleted among
    // them; offered back now, the tombstone turns it away
    const again = await relay.relay.sync.syncWith(evil.node.peerId, { signal: AbortSignal.timeout(30_000) })
    assertQuietRepeat(relay, h, again)
    assert.equal(again.ignored, 1)
    assert.equal(relay.relay.counters.ignoredByKind.get('tombstoned'), 1)
    assert.equal(await held(relay, h.acked), undefined)
    await assertHealthy(net, relay, rss.stop())
  })

  it('two honest relays converge through sync, and neither takes what the hostile peer offered', async () => {
    relay = await honestRelayHolding(h.acked, h.kept)
    const other = await honestRelayHolding(h.acked, ...h.valid)
    const evil = await syncPeer(net, h.items)
    const rss = watchRss()
    await relay.node.dial(addrOf(evil.node))
    await relay.relay.sync.syncWith(evil.node.peerId, { signal: AbortSignal.timeout(30_000) })
    await relay.node.dial(addrOf(other.node))
    await relay.relay.sync.syncWith(other.node.peerId, { signal: AbortSignal.timeout(30_000) })
    // the same items on both sides, none of the invalid ones on either
    assert.deepEqual([...relay.relay.store.symbols()].sort(), [...other.relay.store.symbols()].sort())
    assert.equal(await held(other, h.acked), undefined, 'the ack travelled on')
    assert.equal(await held(other, h.kept), h.kept.sequence)
    for (const [name, r] of h.invalid) assert.equal(await held(other, r), undefined, name)
    assert.equal(other.relay.counters.refusedByReason.size, 0, 'the honest relay was offered nothing invalid')
    await assertHealthy(net, relay, rss.stop())
  })
})

describe('sync attacks on a real relay', () => {
  const net = new TestNetwork()
  after(async () => {
    await stopSyncPeers()
    await net.stop()
  })

  it('issue 9: one crafted coded batch (a symbol alone in the second of 16 empty cells) ends the session with SyncDecodeError; the relay keeps working', async () => {
    const relay = await net.relay(QUIET)
    for (let i = 0; i < 3; i++) {
      const r = await createTaggedRecord(await key(), { tag: tagOf(await key()), value: '/ipfs/bafkqaaa', sequence: 1n, lifetime: HOUR, now: Date.now() })
      await relay.relay.ingest.ingest(r.bytes, { now: Date.now(), routingKey: r.routingKey, source: 'custody' })
    }
    // the attacker syncs once, honestly, to learn the relay's items and so its symbols ...
    const attacker = await syncPeer(net)
    await attacker.node.dial(addrOf(relay.node))
    await attacker.sync.syncWith(relay.node.peerId, { signal: AbortSignal.timeout(30_000) })
    assert.equal(attacker.source.items.size, 3)
    // ... then sends the relay's own coded symbols with the crafted pattern on top
    const encoder = new SymbolEncoder(attacker.source.sorted())
    const batch = addCells(craftedBatch(0x0123_4567_89ab_cdefn), encoder.next(16))
    encoder.free()

    const rss = watchRss()
    const failed = nextEvent<SyncErrorEvent>(relay.relay.sync, 'sync:error')
    const stream = await attacker.node.dialProtocol(relay.node.peerId, SYNC_PROTOCOL)
    await lpStream(stream).write(SyncMessage.encode({ coded: encodeCodedBatch(batch) }))
    const { error, role, peer } = await failed
    const maxRss = rss.stop()
    assert.ok(maxRss < RSS_LIMIT, `RSS reached ${Math.round(maxRss / MiB)} MiB`)
    assert.equal(role, 'responder')
    assert.ok(peer.equals(attacker.node.peerId))
    assert.equal(error.name, 'SyncDecodeError', String(error))
    await assertHealthy(net, relay, maxRss)

    // and an honest relay still syncs with it
    const honest = await net.relay(QUIET)
    await honest.node.dial(addrOf(relay.node))
    await honest.relay.sync.syncWith(relay.node.peerId, { signal: AbortSignal.timeout(30_000) })
    assert.deepEqual([...honest.relay.store.symbols()].sort(), [...relay.relay.store.symbols()].sort())
  })

  it('two idle sync sessions take both inbound slots; an honest relay still syncs at once, and the idle ones are dropped', async () => {
    const relay = await net.relay(QUIET)
    const attackers = [await net.node(), await net.node()]
    const errors: SyncErrorEvent[] = []
    relay.relay.sync.addEventListener('sync:error', (evt) => { errors.push(evt.detail) })
    let starts = 0
    const bothOpen = new Promise<void>(resolve => {
      relay.relay.sync.addEventListener('sync:start', () => { if (++starts === 2) resolve() })
    })
    const rss = watchRss()
    for (const attacker of attackers) {
      // open the stream, send nothing
      await attacker.dialProtocol(addrOf(relay.node), SYNC_PROTOCOL)
    }
    await bothOpen

    const honest = await net.relay(QUIET)
    const record = await createTaggedRecord(await key(), { tag: tagOf(await key()), value: '/ipfs/bafkqaaa', sequence: 1n, lifetime: HOUR, now: Date.now() })
    await honest.relay.ingest.ingest(record.bytes, { now: Date.now(), routingKey: record.routingKey, source: 'custody' })
    await honest.node.dial(addrOf(relay.node))
    const answered = nextEvent<SyncEndEvent>(relay.relay.sync, 'sync:end', d => d.peer.equals(honest.node.peerId))
    await honest.relay.sync.syncWith(relay.node.peerId, { signal: AbortSignal.timeout(30_000) })
    await answered
    // (gossip may have carried it first: either way the relay holds it once the session ends)
    assert.equal(await held(relay, record), 1n)

    const dropped = errors.filter(e => attackers.some(a => a.peerId.equals(e.peer)))
    assert.ok(dropped.length >= 1 && dropped.every(e => e.error.name === 'SyncStalledError'), dropped.map(e => e.error.name).join())
    assert.ok(errors.every(e => !e.peer.equals(honest.node.peerId)), 'the honest session was not refused')
    await assertHealthy(net, relay, rss.stop())
  })
})
