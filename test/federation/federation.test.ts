/**
 * Relay federation with real relays over TCP on 127.0.0.1: rendezvous through the DHT, records
 * spreading to every relay (gossip meshes + sync), catch-up after a restart, and acks that delete
 * everywhere and never come back through sync.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { createAck, createTaggedRecord, tagRoutingKey } from '../../src/record/index.ts'
import { RelayRequest, RelayResponse } from '../../src/pb/relay.ts'
import { TestNetwork, addrOf, key, relayRequest, until } from '../utils/network.ts'
import type { RelayHandle, CreateRelayOptions } from '../../src/relay/index.ts'
import type { PrivateKey } from '@libp2p/interface'

const RELAYS = 5
const BOUND = 60_000
const HOUR = 3_600_000

/** Loopback-brisk schedules; production defaults are minutes. */
const FAST: Partial<CreateRelayOptions> = {
  dht: true,
  rendezvous: { findInterval: 200, maxFindInterval: 1000, findTimeout: 10_000, provideTimeout: 10_000, redialDelay: 50, maxRedialDelay: 200, redialAttempts: 3, aloneAfter: 200 },
  sync: { interval: 1000 }
}

async function held (relay: RelayHandle, key: Uint8Array, signer: Uint8Array): Promise<bigint | undefined> {
  return (await relay.relay.store.query(key, signer))?.sequence
}

describe('federation: five relays that each know one bootstrap peer', () => {
  const net = new TestNetwork()
  const relays: RelayHandle[] = []
  const repos: string[] = []

  before(async () => {
    for (let i = 0; i < RELAYS; i++) {
      const dir = await net.dir()
      repos.push(dir.path)
      const bootstrap = i === 0 ? [] : [addrOf(relays[0].node).toString()]
      relays.push(await net.relay({ ...FAST, repo: dir.path, bootstrap }))
    }
  })
  after(async () => { await net.stop() })

  it('all find each other through the rendezvous key', async () => {
    await until(() => relays.every(r => (r.relay.rendezvous?.discovered().length ?? 0) >= RELAYS - 1), BOUND)
    for (const r of relays) {
      const found = new Set(r.relay.rendezvous?.discovered().map(p => p.toString()))
      for (const other of relays) {
        if (other !== r) assert.ok(found.has(other.node.peerId.toString()))
      }
    }
  })

  it('a record sent to relay 1 only is held by all five; relay 1 dies; a receiver that knows only relay 5 gets it', async () => {
    const alice = await key()
    const bob = await key()
    const bobTag = bob.publicKey.toMultihash().bytes
    const routingKey = tagRoutingKey(bobTag)
    const signer = alice.publicKey.toMultihash().bytes
    const record = await createTaggedRecord(alice, { tag: bobTag, value: '/ipfs/bafkqaaa', sequence: 1n, lifetime: HOUR, now: Date.now() })

    const sender = await net.node({ privateKey: alice })
    const [response] = await relayRequest(sender, relays[0].node, { type: RelayRequest.Type.PUT, key: routingKey, record: record.bytes })
    assert.equal(response.status, RelayResponse.Status.OK)
    await sender.stop()

    await until(async () => (await Promise.all(relays.map(async r => held(r, routingKey, signer)))).every(s => s === 1n), BOUND)

    await relays[0].stop()
    const receiver = await net.node({ privateKey: bob })
    await receiver.dial(addrOf(relays[4].node))
    const pages = await relayRequest(receiver, relays[4].node, { type: RelayRequest.Type.INBOX, key: routingKey })
    assert.equal(pages.flatMap(p => p.records).length, 1)
  })
})

describe('federation: catch-up and acknowledgements', () => {
  const net = new TestNetwork()
  let a: RelayHandle
  let b: RelayHandle
  let bRepo: string

  before(async () => {
    a = await net.relay(FAST)
    const dir = await net.dir()
    bRepo = dir.path
    b = await net.relay({ ...FAST, repo: bRepo, bootstrap: [addrOf(a.node).toString()] })
  })
  after(async () => { await net.stop() })

  it('a relay that was down while 1,000 records were sent catches up after it restarts', async () => {
    await b.stop()
    const tag = (await key()).publicKey.toMultihash().bytes
    const routingKey = tagRoutingKey(tag)
    const now = Date.now()
    for (let i = 0; i < 1000; i += 100) {
      const batch = await Promise.all(Array.from({ length: 100 }, async () => (await createTaggedRecord(await key(), { tag, value: '/ipfs/bafkqaaa', sequence: 1n, lifetime: HOUR, now })).bytes))
      for (const bytes of batch) {
        assert.equal((await a.relay.ingest.ingest(bytes, { now, routingKey, source: 'custody' })).status, 'stored')
      }
    }
    b = await net.relay({ ...FAST, repo: bRepo, bootstrap: [addrOf(a.node).toString()] })
    // polled on the in-memory count (reading 1,000 records every 25 ms would take the CPU the
    // sync it waits for needs), then read once
    await until(() => b.relay.store.stats().records >= 1000, BOUND, 'b caught up')
    const pages = await b.relay.store.page(routingKey, { limit: 2000, now: Date.now() })
    assert.equal(pages.records.length, 1000)
  })

  it('an ack sent to one relay deletes the record on every relay, and a relay that was down during the ack does not bring it back', async () => {
    const alice = await key()
    const bob: PrivateKey = await key()
    const bobTag = bob.publicKey.toMultihash().bytes
    const routingKey = tagRoutingKey(bobTag)
    const signer = alice.publicKey.toMultihash().bytes
    const record = await createTaggedRecord(alice, { tag: bobTag, value: '/ipfs/bafkqaaa', sequence: 3n, lifetime: HOUR, now: Date.now() })
    const client = await net.node()
    await relayRequest(client, a.node, { type: RelayRequest.Type.PUT, key: routingKey, record: record.bytes })
    await until(async () => (await held(b, routingKey, signer)) === 3n, BOUND, 'b holds the record')

    // b goes down; Bob acknowledges through a only
    await b.stop()
    const ack = await createAck(bob, { entries: [{ signer, sequence: 3n, eol: record.eol }], now: Date.now() })
    const [applied] = await relayRequest(client, a.node, { type: RelayRequest.Type.ACK, ack: ack.bytes })
    assert.equal(applied.status, RelayResponse.Status.OK)
    assert.equal(applied.deleted, 1)
    assert.equal(await held(a, routingKey, signer), undefined)

    // b restarts still holding the record: sync must delete it there, not resurrect it on a
    b = await net.relay({ ...FAST, repo: bRepo, bootstrap: [addrOf(a.node).toString()] })
    await until(async () => (await held(b, routingKey, signer)) === undefined, BOUND, 'b deleted the record after restart')
    // and a few sync rounds later a still refuses it
    await until(() => (a.relay.counters.ignoredByKind.get('tombstoned') ?? 0) + (b.relay.counters.acksApplied) > 0, BOUND, 'sync exchanged ack and record')
    assert.equal(await held(a, routingKey, signer), undefined)
    // replaying the record to a is refused by the tombstone
    const [replay] = await relayRequest(client, a.node, { type: RelayRequest.Type.PUT, key: routingKey, record: record.bytes })
    assert.equal(replay.status, RelayResponse.Status.REFUSED)
  })
})
