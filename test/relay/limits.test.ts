/**
 * Every relay policy limit, at the limit and past it: accepted at, refused past with a counted
 * reason, and the relay still healthy and serving other tags afterwards.
 */
import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import { createAck, createTaggedRecord, tagRoutingKey, topicForKey } from '../../src/record/index.ts'
import { RelayRequest, RelayResponse } from '../../src/pb/relay.ts'
import { LIFETIME_SLACK } from '../../src/relay/constants.ts'
import { TestNetwork, addrOf, key, relayRequest, subscribed, until } from '../utils/network.ts'
import type { CreateRelayOptions, RelayHandle } from '../../src/relay/index.ts'
import type { IptsNode } from '../../src/node.ts'
import type { PrivateKey } from '@libp2p/interface'

const hour = 60 * 60 * 1000
const day = 24 * hour

async function tagged (signer: PrivateKey, tag: Uint8Array, init: { sequence?: bigint, lifetime?: number, value?: string } = {}): Promise<Uint8Array> {
  const record = await createTaggedRecord(signer, {
    tag,
    value: init.value ?? '/ipfs/bafkqaaa',
    sequence: init.sequence ?? 1n,
    lifetime: init.lifetime ?? hour,
    now: Date.now()
  })
  return record.bytes
}

/** A record of exactly `size` bytes (length prefixes grow with the value, so search for it). */
async function recordOfSize (signer: PrivateKey, tag: Uint8Array, size: number, sequence: bigint): Promise<Uint8Array> {
  const base = (await tagged(signer, tag, { value: '/ipfs/x', sequence })).length
  for (let pad = Math.max(0, size - base - 8); pad <= size - base; pad++) {
    const bytes = await tagged(signer, tag, { value: '/ipfs/x' + 'a'.repeat(pad), sequence })
    if (bytes.length === size) return bytes
  }
  throw new Error(`no record of exactly ${size} bytes`)
}

async function newTag (): Promise<Uint8Array> {
  return (await key()).publicKey.toMultihash().bytes
}

/** Custody PUT: the same ingest path as gossip, with a direct answer. */
async function put (client: IptsNode, relay: RelayHandle, tag: Uint8Array, bytes: Uint8Array): Promise<RelayResponse> {
  const [response] = await relayRequest(client, relay.node, { type: RelayRequest.Type.PUT, key: tagRoutingKey(tag), record: bytes })
  return response
}

async function inboxOf (client: IptsNode, relay: RelayHandle, tag: Uint8Array): Promise<Uint8Array[]> {
  const pages = await relayRequest(client, relay.node, { type: RelayRequest.Type.INBOX, key: tagRoutingKey(tag) })
  return pages.flatMap(p => p.records)
}

describe('relay policy limits', () => {
  const net = new TestNetwork()
  after(async () => { await net.stop() })

  async function setup (options: Partial<CreateRelayOptions>): Promise<{ relay: RelayHandle, client: IptsNode }> {
    const relay = await net.relay(options)
    const client = await net.node()
    await client.dial(addrOf(relay.node))
    return { relay, client }
  }

  /** The relay still stores and serves a fresh tag after a refusal. */
  async function stillHealthy (relay: RelayHandle, client: IptsNode): Promise<void> {
    const tag = await newTag()
    const response = await put(client, relay, tag, await tagged(await key(), tag))
    assert.equal(response.status, RelayResponse.Status.OK)
    const pages = await relayRequest(client, relay.node, { type: RelayRequest.Type.INBOX, key: tagRoutingKey(tag) })
    assert.equal(pages.flatMap(p => p.records).length, 1)
  }

  it('record size: a record at the limit is stored, one byte past it is refused', async () => {
    const limit = 2048
    const { relay, client } = await setup({ maxRecordSize: limit })
    const signer = await key()
    const tag = await newTag()
    const atLimit = await recordOfSize(signer, tag, limit, 1n)
    assert.equal(atLimit.length, limit)
    assert.equal((await put(client, relay, tag, atLimit)).status, RelayResponse.Status.OK)
    const past = await recordOfSize(signer, tag, limit + 1, 2n)
    assert.equal(past.length, limit + 1)
    const refused = await put(client, relay, tag, past)
    assert.equal(refused.status, RelayResponse.Status.REFUSED)
    assert.equal(refused.error, 'RecordTooLargeError')
    assert.equal(relay.relay.counters.refusedCount('RecordTooLargeError'), 1)
    await stillHealthy(relay, client)
  })

  it('lifetime: a record living exactly the maximum (plus the skew tolerated) is stored, one millisecond longer is refused', async () => {
    // the relay's clock stands still, so "exactly" is exact
    const now = Date.now()
    const { relay, client } = await setup({ maxLifetime: 2 * day, now: () => now })
    const tag = await newTag()
    const withEol = async (eol: number): Promise<Uint8Array> => {
      const record = await createTaggedRecord(await key(), { tag, value: '/ipfs/bafkqaaa', sequence: 1n, eol, now })
      return record.bytes
    }
    assert.equal((await put(client, relay, tag, await withEol(now + 2 * day))).status, RelayResponse.Status.OK)
    assert.equal((await put(client, relay, tag, await withEol(now + 2 * day + LIFETIME_SLACK))).status, RelayResponse.Status.OK)
    const refused = await put(client, relay, tag, await withEol(now + 2 * day + LIFETIME_SLACK + 1))
    assert.deepEqual([refused.status, refused.error], [RelayResponse.Status.REFUSED, 'LifetimeTooLongError'])
    assert.equal(relay.relay.counters.refusedCount('LifetimeTooLongError'), 1)
    assert.equal(relay.relay.store.stats().records, 2)
    await stillHealthy(relay, client)
  })

  it('records per tag: the Nth signer is stored, the N+1th refused', async () => {
    const { relay, client } = await setup({ maxRecordsPerKey: 3 })
    const tag = await newTag()
    for (let i = 0; i < 3; i++) {
      assert.equal((await put(client, relay, tag, await tagged(await key(), tag))).status, RelayResponse.Status.OK)
    }
    const refused = await put(client, relay, tag, await tagged(await key(), tag))
    assert.equal(refused.status, RelayResponse.Status.REFUSED)
    assert.equal(relay.relay.counters.refusedCount('KeyFullError'), 1)
    // an existing signer may still replace its own record
    await stillHealthy(relay, client)
  })

  it('total records: past the cap, the address holding the most loses its oldest record', async () => {
    const { relay, client } = await setup({ maxRecords: 4 })
    // another host (127.0.0.2) sends one record to bob
    const other = await net.node({ localAddress: '127.0.0.2' })
    const bob = await newTag()
    assert.equal((await put(other, relay, bob, await tagged(await key(), bob))).status, RelayResponse.Status.OK)
    const first = await newTag()
    for (const tag of [first, await newTag(), await newTag()]) await put(client, relay, tag, await tagged(await key(), tag))
    assert.equal(relay.relay.store.stats().records, 4)
    // 127.0.0.1 holds 3 of 4: its next record evicts its own oldest, not bob's
    const next = await newTag()
    assert.equal((await put(client, relay, next, await tagged(await key(), next))).status, RelayResponse.Status.OK)
    assert.equal(relay.relay.store.stats().records, 4)
    assert.equal((await inboxOf(client, relay, first)).length, 0, 'the oldest record of the largest uploader was evicted')
    assert.equal((await inboxOf(client, relay, bob)).length, 1, 'the other host\'s record was kept')
    assert.equal(relay.relay.counters.evicted, 1)
  })

  it('total bytes: past the byte cap, the oldest record of the largest uploader is evicted', async () => {
    const probe = await tagged(await key(), await newTag())
    const { relay, client } = await setup({ maxBytes: probe.length * 3 + 10 })
    const cold = await newTag()
    for (let i = 0; i < 3; i++) await put(client, relay, cold, await tagged(await key(), cold))
    assert.equal(relay.relay.store.stats().records, 3)
    const next = await newTag()
    assert.equal((await put(client, relay, next, await tagged(await key(), next))).status, RelayResponse.Status.OK)
    assert.ok(relay.relay.store.stats().bytes <= probe.length * 3 + 10)
    assert.equal(relay.relay.counters.evicted, 1)
    assert.equal((await inboxOf(client, relay, cold)).length, 2)
  })

  it('ack state: tombstones and kept acks stop at maxAckBytes; acks past it still delete', async () => {
    const bob = await key()
    const tag = bob.publicKey.toMultihash().bytes
    const senders = [await key(), await key()]
    const now = Date.now()
    const acks = await Promise.all(senders.map(async (s, i) =>
      (await createAck(bob, { entries: [{ signer: s.publicKey.toMultihash().bytes, sequence: 1n, eol: now + hour }], now: now + i })).bytes))
    // room for exactly one tombstone (256 B) and one of these acks
    const { relay, client } = await setup({ maxAckBytes: 256 + acks[0].length })
    for (const s of senders) await put(client, relay, tag, await tagged(s, tag))
    let [answer] = await relayRequest(client, relay.node, { type: RelayRequest.Type.ACK, ack: acks[0] })
    assert.equal(answer.deleted, 1)
    assert.deepEqual([relay.relay.store.stats().tombstones, relay.relay.store.stats().acks], [1, 1])
    assert.equal(relay.relay.store.stats().ackStateBytes, 256 + acks[0].length)
    // past it: the record is deleted, but no tombstone or copy is added
    ;[answer] = await relayRequest(client, relay.node, { type: RelayRequest.Type.ACK, ack: acks[1] })
    assert.equal(answer.status, RelayResponse.Status.OK)
    assert.equal(answer.deleted, 1)
    assert.deepEqual([relay.relay.store.stats().tombstones, relay.relay.store.stats().acks, relay.relay.store.stats().records], [1, 1, 0])
    assert.equal(relay.relay.counters.refusedCount('AckStateFullError'), 1)
    await stillHealthy(relay, client)
  })

  it('custody PUTs per peer: N a minute are answered, the next is refused', async () => {
    // budgets refill with time: the relay's clock stands still, so a slow loop gets no token back
    const now = Date.now()
    const { relay, client } = await setup({ maxPutsPerPeerPerMinute: 3, now: () => now })
    for (let i = 0; i < 3; i++) {
      const tag = await newTag()
      assert.equal((await put(client, relay, tag, await tagged(await key(), tag))).status, RelayResponse.Status.OK)
    }
    const tag = await newTag()
    const refused = await put(client, relay, tag, await tagged(await key(), tag))
    assert.equal(refused.status, RelayResponse.Status.REFUSED)
    assert.equal(refused.error, 'RateLimitedError')
    assert.equal(relay.relay.counters.refusedCount('RateLimitedError'), 1)
    assert.equal(relay.relay.store.stats().records, 3)
    // another peer on the same host has its own budget
    const second = await net.node()
    assert.equal((await put(second, relay, tag, await tagged(await key(), tag))).status, RelayResponse.Status.OK)
  })

  it('custody PUTs per address: fresh peers from one host share N a minute; another host is unaffected', async () => {
    const now = Date.now()
    const { relay, client } = await setup({ maxPutsPerIpPerMinute: 3, now: () => now })
    const peers = [client, await net.node(), await net.node()]
    for (const peer of peers) {
      const tag = await newTag()
      assert.equal((await put(peer, relay, tag, await tagged(await key(), tag))).status, RelayResponse.Status.OK)
    }
    const fresh = await net.node()
    const tag = await newTag()
    const refused = await put(fresh, relay, tag, await tagged(await key(), tag))
    assert.equal(refused.status, RelayResponse.Status.REFUSED)
    assert.equal(refused.error, 'HostRateLimitedError')
    assert.equal(relay.relay.counters.refusedCount('HostRateLimitedError'), 1)
    const elsewhere = await net.node({ localAddress: '127.0.0.2' })
    assert.equal((await put(elsewhere, relay, tag, await tagged(await key(), tag))).status, RelayResponse.Status.OK)
  })

  it('acks per peer and per address: N a minute are applied, the next is refused', async () => {
    const now = Date.now()
    const { relay, client } = await setup({ maxAcksPerPeerPerMinute: 2, maxAcksPerIpPerMinute: 3, now: () => now })
    const ack = async (): Promise<Uint8Array> => {
      const receiver = await key()
      return (await createAck(receiver, { entries: [{ signer: (await key()).publicKey.toMultihash().bytes, sequence: 1n, eol: Date.now() + hour }], now: Date.now() })).bytes
    }
    const send = async (node: IptsNode): Promise<RelayResponse> => (await relayRequest(node, relay.node, { type: RelayRequest.Type.ACK, ack: await ack() }))[0]
    assert.equal((await send(client)).status, RelayResponse.Status.OK)
    assert.equal((await send(client)).status, RelayResponse.Status.OK)
    const overPeer = await send(client)
    assert.deepEqual([overPeer.status, overPeer.error], [RelayResponse.Status.REFUSED, 'RateLimitedError'])
    const second = await net.node()
    assert.equal((await send(second)).status, RelayResponse.Status.OK)
    const overIp = await send(second)
    assert.deepEqual([overIp.status, overIp.error], [RelayResponse.Status.REFUSED, 'HostRateLimitedError'])
    const elsewhere = await net.node({ localAddress: '127.0.0.2' })
    assert.equal((await send(elsewhere)).status, RelayResponse.Status.OK)
    assert.equal(relay.relay.counters.refusedCount('RateLimitedError'), 1)
    assert.equal(relay.relay.counters.refusedCount('HostRateLimitedError'), 1)
  })

  it('items from a relay peer (sync) per peer and per address: N a minute are stored, the rest refused', async () => {
    const now = Date.now()
    const receiver = await net.relay({ maxRelayItemsPerPeerPerMinute: 3, maxRelayItemsPerIpPerMinute: 5, sync: { syncOnConnect: false, interval: 0 }, now: () => now })
    const sources = [await net.relay({ sync: { syncOnConnect: false, interval: 0 } }), await net.relay({ sync: { syncOnConnect: false, interval: 0 } })]
    const client = await net.node()
    for (const source of sources) {
      await client.dial(addrOf(source.node))
      for (let i = 0; i < 4; i++) {
        const tag = await newTag()
        assert.equal((await put(client, source, tag, await tagged(await key(), tag))).status, RelayResponse.Status.OK)
      }
      await receiver.node.dial(addrOf(source.node))
    }
    // the first source offers 4: 3 are stored (its peer budget), the 4th refused
    const one = await receiver.relay.sync.syncWith(sources[0].node.peerId, { signal: AbortSignal.timeout(60_000) })
    assert.deepEqual([one.stored, one.refused], [3, 1])
    assert.equal(receiver.relay.counters.refusedCount('RateLimitedError'), 1)
    // the second, at the same address: 2 more fill the address budget of 5, the rest refused
    const two = await receiver.relay.sync.syncWith(sources[1].node.peerId, { signal: AbortSignal.timeout(60_000) })
    assert.deepEqual([two.stored, two.refused], [2, 2])
    assert.equal(receiver.relay.counters.refusedCount('HostRateLimitedError'), 2)
    assert.equal(receiver.relay.store.stats().records, 5)
  })

  it('publish rate per peer: N messages a minute are stored, the next is refused', async () => {
    // the relay's clock stands still: the bucket refills one token per 12 s, which a loaded
    // machine could otherwise spend between two publishes and so let the sixth in
    const now = Date.now()
    const { relay, client } = await setup({ maxPublishesPerPeerPerMinute: 5, now: () => now })
    const tag = await newTag()
    const topic = topicForKey(tagRoutingKey(tag))
    const records = await Promise.all(Array.from({ length: 6 }, async () => tagged(await key(), tag)))
    client.services.pubsub.subscribe(topic)
    await subscribed(client, topic, relay.node.peerId)
    for (const record of records) {
      await client.services.pubsub.publish(topic, record)
    }
    await until(() => relay.relay.counters.refusedCount('RateLimitedError') >= 1)
    await until(() => relay.relay.store.stats().records === 5)
    assert.equal(relay.relay.counters.refusedCount('RateLimitedError'), 1)
    await stillHealthy(relay, client)
  })

  it('topics per peer: a peer makes the relay join N topics, not N+1', async () => {
    const { relay, client } = await setup({ maxTopicsPerPeer: 3 })
    const topics: string[] = []
    for (let i = 0; i < 4; i++) topics.push(topicForKey(tagRoutingKey(await newTag())))
    for (const topic of topics.slice(0, 3)) {
      client.services.pubsub.subscribe(topic)
      await subscribed(client, topic, relay.node.peerId)
    }
    client.services.pubsub.subscribe(topics[3])
    await until(() => relay.relay.counters.refusedCount('TooManyTopicsError') >= 1)
    assert.equal(relay.relay.follower.has(topics[3]), false)
    assert.ok(topics.slice(0, 3).every(t => relay.relay.follower.has(t)))
    await stillHealthy(relay, client)
  })

  /** `count` fresh tag topics. */
  async function freshTopics (count: number): Promise<string[]> {
    const topics: string[] = []
    for (let i = 0; i < count; i++) topics.push(topicForKey(tagRoutingKey(await newTag())))
    return topics
  }

  it('topics per host: fresh peer IDs from one IP share one budget of N topics, not N+1', async () => {
    const { relay, client } = await setup({ follow: { maxTopicsPerHost: 3 } })
    const other = await net.node()
    await other.dial(addrOf(relay.node))
    const topics = await freshTopics(4)
    // two peers on 127.0.0.1: 2 + 1 topics fill the host's budget
    for (const [node, topic] of [[client, topics[0]], [client, topics[1]], [other, topics[2]]] as const) {
      node.services.pubsub.subscribe(topic)
      await subscribed(node, topic, relay.node.peerId)
    }
    other.services.pubsub.subscribe(topics[3])
    await until(() => relay.relay.counters.refusedCount('HostTooManyTopicsError') >= 1)
    assert.equal(relay.relay.follower.has(topics[3]), false)
    assert.equal(relay.relay.follower.topics(), 3)
    // interest ends when a peer leaves: the host's budget comes back
    await other.stop()
    const third = await net.node()
    await third.dial(addrOf(relay.node))
    await until(() => relay.relay.follower.topicsOf(other.peerId) === 0)
    third.services.pubsub.subscribe(topics[3])
    await subscribed(third, topics[3], relay.node.peerId)
    await stillHealthy(relay, client)
  })

  it('topics in all: the relay follows N topics, not N+1, and follows again once one is left', async () => {
    const { relay, client } = await setup({ follow: { maxTopics: 3, grace: 0 } })
    const topics = await freshTopics(4)
    for (const topic of topics.slice(0, 3)) {
      client.services.pubsub.subscribe(topic)
      await subscribed(client, topic, relay.node.peerId)
    }
    client.services.pubsub.subscribe(topics[3])
    await until(() => relay.relay.counters.refusedCount('TopicsFullError') >= 1)
    assert.equal(relay.relay.follower.has(topics[3]), false)
    assert.equal(relay.relay.follower.topics(), 3)
    // one topic left (grace 0): room for another
    client.services.pubsub.unsubscribe(topics[0])
    await until(() => !relay.relay.follower.has(topics[0]))
    client.services.pubsub.unsubscribe(topics[3])
    client.services.pubsub.subscribe(topics[3])
    await subscribed(client, topics[3], relay.node.peerId)
    await stillHealthy(relay, client)
  })
})
