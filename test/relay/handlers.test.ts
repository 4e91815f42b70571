/**
 * The relay protocol's PUT and ACK handlers with a real relay over TCP: requests missing their
 * field, requests and payloads over the limits, and how long an ack's tombstone outlives the
 * record it deleted.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { createAck, createTaggedRecord, tagRoutingKey } from '../../src/record/index.ts'
import { RelayRequest, RelayResponse } from '../../src/pb/relay.ts'
import { MAX_REQUEST_BYTES } from '../../src/relay/protocol.ts'
import { LIFETIME_SLACK } from '../../src/relay/constants.ts'
import { TestNetwork, addrOf, key, relayRequest } from '../utils/network.ts'
import type { IptsNode } from '../../src/node.ts'
import type { RelayHandle } from '../../src/relay/index.ts'

const hour = 3600_000
const day = 24 * hour

describe('relay protocol: PUT and ACK handlers', () => {
  const net = new TestNetwork()
  let relay: RelayHandle
  let client: IptsNode

  before(async () => {
    relay = await net.relay()
    client = await net.node()
    await client.dial(addrOf(relay.node))
  })
  after(async () => { await net.stop() })

  /** A fresh tag with one record stored through PUT: the relay still serves after a bad request. */
  async function stillServes (): Promise<void> {
    const tag = (await key()).publicKey.toMultihash().bytes
    const record = await createTaggedRecord(await key(), { tag, value: '/ipfs/bafkqaaa', sequence: 1n, lifetime: hour, now: Date.now() })
    const [put] = await relayRequest(client, relay.node, { type: RelayRequest.Type.PUT, key: tagRoutingKey(tag), record: record.bytes })
    assert.equal(put.status, RelayResponse.Status.OK)
    assert.equal(put.sequence, 1n)
  }

  it('a PUT without a record is answered ERROR MissingRecord', async () => {
    const tag = (await key()).publicKey.toMultihash().bytes
    const responses = await relayRequest(client, relay.node, { type: RelayRequest.Type.PUT, key: tagRoutingKey(tag) })
    assert.deepEqual(responses.map(r => [r.status, r.error]), [[RelayResponse.Status.ERROR, 'MissingRecord']])
    assert.equal(relay.relay.store.stats().records, 0)
    await stillServes()
  })

  it('an ACK without an ack is answered ERROR MissingAck', async () => {
    const responses = await relayRequest(client, relay.node, { type: RelayRequest.Type.ACK })
    assert.deepEqual(responses.map(r => [r.status, r.error]), [[RelayResponse.Status.ERROR, 'MissingAck']])
    await stillServes()
  })

  it('a PUT whose record is over the relay\'s record size is refused RecordTooLargeError', async () => {
    const before = relay.relay.counters.refusedCount('RecordTooLargeError')
    const tag = (await key()).publicKey.toMultihash().bytes
    const record = await createTaggedRecord(await key(), { tag, value: '/ipfs/' + 'a'.repeat(12 * 1024), sequence: 1n, lifetime: hour, now: Date.now() })
    assert.ok(record.bytes.length > 10 * 1024 && record.bytes.length < MAX_REQUEST_BYTES)
    const [response] = await relayRequest(client, relay.node, { type: RelayRequest.Type.PUT, key: tagRoutingKey(tag), record: record.bytes })
    assert.deepEqual([response.status, response.error], [RelayResponse.Status.REFUSED, 'RecordTooLargeError'])
    assert.equal(relay.relay.counters.refusedCount('RecordTooLargeError'), before + 1)
    await stillServes()
  })

  it('an ACK over the ack size limit is refused InvalidAckError', async () => {
    const before = relay.relay.counters.refusedCount('InvalidAckError')
    const ack = new Uint8Array(64 * 1024 + 1).fill(7)
    assert.ok(ack.length < MAX_REQUEST_BYTES)
    const [response] = await relayRequest(client, relay.node, { type: RelayRequest.Type.ACK, ack })
    assert.deepEqual([response.status, response.error], [RelayResponse.Status.REFUSED, 'InvalidAckError'])
    assert.equal(relay.relay.counters.refusedCount('InvalidAckError'), before + 1)
    await stillServes()
  })

  for (const type of ['PUT', 'ACK'] as const) {
    it(`a ${type} request over the request size limit is cut off and counted, and the relay serves on`, async () => {
      const before = relay.relay.counters.streamErrors
      const big = new Uint8Array(MAX_REQUEST_BYTES + 1)
      const request = type === 'PUT'
        ? { type: RelayRequest.Type.PUT, key: tagRoutingKey((await key()).publicKey.toMultihash().bytes), record: big }
        : { type: RelayRequest.Type.ACK, ack: big }
      await assert.rejects(relayRequest(client, relay.node, request))
      assert.equal(relay.relay.counters.streamErrors, before + 1)
      assert.equal(relay.relay.store.stats().tombstones, 0)
      await stillServes()
    })
  }
})

describe('relay: a tombstone lasts as long as the records the relay accepts', () => {
  const net = new TestNetwork()
  after(async () => { await net.stop() })

  it('with --max-lifetime 90d, an acknowledged 80-day record is still refused 40 days later', async () => {
    let clock = Date.now()
    const relay = await net.relay({ maxLifetime: 90 * day, now: () => clock })
    const client = await net.node()
    await client.dial(addrOf(relay.node))
    const alice = await key()
    const bob = await key()
    const tag = bob.publicKey.toMultihash().bytes
    const routingKey = tagRoutingKey(tag)
    const record = await createTaggedRecord(alice, { tag, value: '/ipfs/bafkqaaa', sequence: 1n, lifetime: 80 * day, now: clock })
    const [stored] = await relayRequest(client, relay.node, { type: RelayRequest.Type.PUT, key: routingKey, record: record.bytes })
    assert.equal(stored.status, RelayResponse.Status.OK)

    const ack = await createAck(bob, { entries: [{ signer: alice.publicKey.toMultihash().bytes, sequence: 1n, eol: record.eol }], now: clock })
    const [applied] = await relayRequest(client, relay.node, { type: RelayRequest.Type.ACK, ack: ack.bytes })
    assert.deepEqual([applied.status, applied.deleted], [RelayResponse.Status.OK, 1])

    // 40 days on, the record is well within the relay's lifetime: only the tombstone refuses it
    clock += 40 * day
    const [replay] = await relayRequest(client, relay.node, { type: RelayRequest.Type.PUT, key: routingKey, record: record.bytes })
    assert.deepEqual([replay.status, replay.error], [RelayResponse.Status.REFUSED, 'tombstoned'])
    assert.equal(relay.relay.store.stats().records, 0)
    // kept until the record's own EOL
    const tombstone = await relay.relay.store.tombstone(tag, alice.publicKey.toMultihash().bytes, clock)
    assert.deepEqual(tombstone, { sequence: 1n, until: record.eol })
  })

  it('a tombstone is clamped to the relay\'s maxLifetime plus the clock skew it tolerates', async () => {
    let clock = Date.now()
    const relay = await net.relay({ maxLifetime: 2 * day, now: () => clock })
    const client = await net.node()
    await client.dial(addrOf(relay.node))
    const bob = await key()
    const alice = await key()
    const signer = alice.publicKey.toMultihash().bytes
    const tag = bob.publicKey.toMultihash().bytes
    // the relay holds the record the ack covers (an ack writes no tombstone for a slot of a tag
    // the relay holds nothing of: docs/protocol.md, "Where an ack may write a tombstone")
    const record = await createTaggedRecord(alice, { tag, value: '/ipfs/bafkqaaa', sequence: 1n, lifetime: day, now: clock })
    const [stored] = await relayRequest(client, relay.node, { type: RelayRequest.Type.PUT, key: tagRoutingKey(tag), record: record.bytes })
    assert.equal(stored.status, RelayResponse.Status.OK)
    // an ack may claim any EOL: the relay keeps its tombstone no longer than it would keep a record
    const ack = await createAck(bob, { entries: [{ signer, sequence: 1n, eol: clock + 60 * day }], now: clock })
    const [applied] = await relayRequest(client, relay.node, { type: RelayRequest.Type.ACK, ack: ack.bytes })
    assert.deepEqual([applied.status, applied.deleted], [RelayResponse.Status.OK, 1])
    assert.deepEqual(await relay.relay.store.tombstone(tag, signer, clock), { sequence: 1n, until: clock + 2 * day + LIFETIME_SLACK })
    clock += 2 * day + LIFETIME_SLACK + 1
    assert.equal(await relay.relay.store.tombstone(tag, signer, clock), undefined)
  })
})
