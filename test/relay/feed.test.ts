/**
 * The relays' feed (src/relay/feed.ts): its batched message framing at and past the limits, and
 * a relay taking a batch from another relay on the feed's own unsigned gossipsub.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { encode as encodeVarint } from 'uint8-varint'
import { createTaggedRecord, tagRoutingKey, validateRecord } from '../../src/record/index.ts'
import { FEED_MAX_ITEMS, FEED_TOPIC, decodeFeedMessage, encodeFeedMessage } from '../../src/relay/feed.ts'
import { encodeItem } from '../../src/sync/index.ts'
import { TestNetwork, addrOf, key, until } from '../utils/network.ts'
import { randomTag } from '../utils/scale.ts'
import type { RelayHandle } from '../../src/relay/index.ts'
import type { IptsNode } from '../../src/node.ts'
import type { GossipSub, Message } from '@libp2p/gossipsub'

const hour = 3_600_000
/** Wait bound for one gossipsub round trip on a loaded machine; never a sleep. */
const BOUND = 15_000

const items = (n: number): Uint8Array[] => Array.from({ length: n }, (_, i) => Uint8Array.from([1, 0, 1, i & 0xff, 7]))

describe('feed message framing', () => {
  it('carries 1 and FEED_MAX_ITEMS items and gives them back in order', () => {
    for (const n of [1, FEED_MAX_ITEMS]) {
      const out = decodeFeedMessage(encodeFeedMessage(items(n)))
      assert.deepEqual(out.map(i => Array.from(i)), items(n).map(i => Array.from(i)))
    }
  })

  it('refuses to build or read a message of FEED_MAX_ITEMS + 1 items, or of none', () => {
    assert.throws(() => encodeFeedMessage(items(FEED_MAX_ITEMS + 1)), { name: 'InvalidSyncItemError' })
    assert.throws(() => encodeFeedMessage([]), { name: 'InvalidSyncItemError' })
    const oneMore = Buffer.concat([encodeFeedMessage(items(FEED_MAX_ITEMS)), encodeFeedMessage(items(1))])
    assert.throws(() => decodeFeedMessage(oneMore), { name: 'InvalidSyncItemError' })
    assert.throws(() => decodeFeedMessage(new Uint8Array(0)), { name: 'InvalidSyncItemError' })
  })

  it('refuses truncated, empty and oversized entries', () => {
    const whole = encodeFeedMessage(items(2))
    assert.throws(() => decodeFeedMessage(whole.subarray(0, whole.byteLength - 1)), { name: 'InvalidSyncItemError' })
    assert.throws(() => decodeFeedMessage(Uint8Array.from([0])), { name: 'InvalidSyncItemError' })
    assert.throws(() => decodeFeedMessage(encodeVarint(64 * 1024 + 1)), { name: 'InvalidSyncItemError' })
  })
})

describe('feed: a relay takes a batch from another relay', () => {
  const net = new TestNetwork()
  let relay: RelayHandle
  let peer: IptsNode
  let feed: GossipSub

  before(async () => {
    relay = await net.relay({ sync: { syncOnConnect: false, interval: 24 * hour } })
    // another relay's node: it speaks the feed protocol
    peer = await net.node({ relay: true })
    const f = peer.services.feed
    assert.ok(f != null, 'a relay node runs the feed gossipsub')
    feed = f
    await peer.dial(addrOf(relay.node))
    feed.subscribe(FEED_TOPIC)
    await until(() => feed.getSubscribers(FEED_TOPIC).some(p => p.equals(relay.node.peerId)), BOUND, 'the relay on the feed')
  })
  after(async () => { await net.stop() })

  async function record (sequence = 1n): Promise<{ key: Uint8Array, bytes: Uint8Array, signer: Uint8Array }> {
    const signer = await key()
    const tag = randomTag()
    const r = await createTaggedRecord(signer, { tag, value: '/ipfs/bafkqaaa', sequence, lifetime: hour, now: Date.now() })
    return { key: tagRoutingKey(tag), bytes: r.bytes, signer: signer.publicKey.toMultihash().bytes }
  }

  it('stores every record of a three-record message', async () => {
    const records = await Promise.all([record(), record(), record()])
    await feed.publish(FEED_TOPIC, encodeFeedMessage(records.map(r => encodeItem({ kind: 'record', routingKey: r.key, record: r.bytes }))))
    await until(async () => (await Promise.all(records.map(async r => relay.relay.store.query(r.key, r.signer)))).every(h => h?.sequence === 1n), BOUND, 'the relay holds all three')
    assert.equal(relay.relay.counters.storedBySource.get('feed'), 3)
  })

  it('counts a forged record in a batch as invalid and still stores the good one beside it', async () => {
    const good = await record()
    const forged = await record()
    const bytes = forged.bytes.slice()
    bytes[bytes.byteLength - 1] ^= 1 // the signature's last byte
    const refused = relay.relay.counters.refusedBySource.get('feed') ?? 0
    await feed.publish(FEED_TOPIC, encodeFeedMessage([
      encodeItem({ kind: 'record', routingKey: good.key, record: good.bytes }),
      encodeItem({ kind: 'record', routingKey: forged.key, record: bytes })
    ]))
    await until(async () => (await relay.relay.store.query(good.key, good.signer)) != null, BOUND, 'the good record is held')
    await until(() => (relay.relay.counters.refusedBySource.get('feed') ?? 0) === refused + 1, BOUND, 'the forged one is refused')
    assert.equal(await relay.relay.store.query(forged.key, forged.signer), undefined)
  })
})

describe('feed: a relay sends what it stored in one turn as one message', () => {
  const net = new TestNetwork()
  let relay: RelayHandle
  let listener: IptsNode
  let feed: GossipSub

  before(async () => {
    relay = await net.relay({ sync: { syncOnConnect: false, interval: 24 * hour } })
    listener = await net.node({ relay: true })
    const f = listener.services.feed
    assert.ok(f != null, 'a relay node runs the feed gossipsub')
    feed = f
    feed.subscribe(FEED_TOPIC)
    await listener.dial(addrOf(relay.node))
    await until(() => (relay.node.services.feed?.getSubscribers(FEED_TOPIC) ?? []).some(p => p.equals(listener.peerId)), BOUND, 'the relay sees a listener on the feed')
  })
  after(async () => { await net.stop() })

  it('three records handed on in one turn arrive as one message of three', async () => {
    const now = Date.now()
    const records = await Promise.all([1, 2, 3].map(async () => {
      const tag = randomTag()
      const r = await createTaggedRecord(await key(), { tag, value: '/ipfs/bafkqaaa', sequence: 1n, lifetime: hour, now })
      return validateRecord(r.bytes, { now, routingKey: tagRoutingKey(tag) })
    }))
    const messages: Message[] = []
    feed.addEventListener('message', (evt) => { if (evt.detail.topic === FEED_TOPIC) messages.push(evt.detail) })
    for (const r of records) relay.relay.feed.publish(r)
    await until(() => messages.length > 0, BOUND, 'the batch arrives')
    await until(() => relay.relay.counters.fed === 3, BOUND, 'the relay counts three records fed')
    assert.equal(messages.length, 1)
    assert.equal(messages[0].type, 'unsigned')
    assert.equal(decodeFeedMessage(messages[0].data).length, 3)
  })
})
