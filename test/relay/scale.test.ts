/**
 * A relay that holds many inboxes stays usable by ordinary peers: it follows record topics only
 * where a connected peer is interested, tells each peer only about that peer's own topics, and
 * hands new records to the other relays on one feed topic instead of a topic per tag.
 *
 * Every peer here but the relays has gossipsub's default configuration, as a Helia or js-libp2p
 * user has it: 1 MiB of announced topic bytes per peer (~1,000 topics), 5,000 subscriptions per
 * RPC. A relay that announced one topic per stored inbox became invisible to such a peer on the
 * peer's own topic past ~1,000 inboxes, so its IPNS publish failed with NoPeersSubscribedToTopic.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { createIPNSRecord, marshalIPNSRecord } from 'ipns'
import { equals } from 'uint8arrays/equals'
import { nameRoutingKey, createTaggedRecord, tagRoutingKey, topicForKey } from '../../src/record/index.ts'
import { RelayRequest, RelayResponse } from '../../src/pb/relay.ts'
import { FEED_TOPIC } from '../../src/relay/feed.ts'
import { TestNetwork, addrOf, key, relayRequest, until, waitFor } from '../utils/network.ts'
import { defaultPeer, fillInboxes, randomTag, topicsLearntFrom } from '../utils/scale.ts'
import type { DefaultPeer } from '../utils/scale.ts'
import type { RelayHandle } from '../../src/relay/index.ts'
import type { Message } from '@libp2p/gossipsub'

const hour = 3_600_000
/** Wait bound for one gossipsub round trip on a loaded machine; never a sleep. */
const BOUND = 15_000

/**
 * A default peer subscribes to its own IPNS topic, publishes a plain IPNS record (made by the
 * `ipns` package, as Helia does) and leaves; a fresh default peer then resolves the name through
 * the relay with libp2p fetch. Returns what the publisher learnt from the relay.
 */
async function publishAndResolve (relay: RelayHandle, nodes: DefaultPeer[]): Promise<{ learnt: string[] }> {
  const nameKey = await key()
  const routingKey = nameRoutingKey(nameKey.publicKey.toMultihash().bytes)
  const topic = topicForKey(routingKey)
  const relayId = relay.node.peerId.toString()

  const publisher = await defaultPeer(nameKey)
  nodes.push(publisher)
  await dialRetrying(publisher, relay)
  publisher.services.pubsub.subscribe(topic)
  // the relay follows the topic and announces it to this peer: only then can it publish there
  await until(() => publisher.services.pubsub.getSubscribers(topic).some(p => p.toString() === relayId), BOUND, 'the publisher sees the relay on its topic')
  const learnt = topicsLearntFrom(publisher, relayId)

  const bytes = marshalIPNSRecord(await createIPNSRecord(nameKey, '/ipfs/bafkqaaa', 1n, hour))
  const stored = waitFor(relay.relay, 'record:stored', (d: { record: { routingKey: Uint8Array } }) => equals(d.record.routingKey, routingKey))
  const result = await publisher.services.pubsub.publish(topic, bytes)
  assert.ok(result.recipients.some(p => p.toString() === relayId), 'the relay was a recipient')
  await stored
  await publisher.stop()

  const resolver = await defaultPeer()
  nodes.push(resolver)
  await dialRetrying(resolver, relay)
  const fetched = await resolver.services.fetch.fetch(addrOf(relay.node), routingKey, { signal: AbortSignal.timeout(BOUND) })
  assert.ok(fetched != null, 'the name resolves through the relay')
  assert.ok(equals(fetched, bytes))
  return { learnt }
}

/**
 * Dials the relay, again after a failed handshake: on a loaded 2-core machine a noise handshake
 * can exceed its timeout, and a user's node would simply dial again.
 */
async function dialRetrying (node: DefaultPeer, relay: RelayHandle, attempts = 3): Promise<void> {
  for (let i = 1; ; i++) {
    try {
      await node.dial(addrOf(relay.node), { signal: AbortSignal.timeout(BOUND) })
      return
    } catch (err) {
      if (i >= attempts) throw err
    }
  }
}

/** Two default peers that subscribe to `perPeer` topics each and wait until the relay follows all. */
async function interestedPeers (relay: RelayHandle, nodes: DefaultPeer[], perPeer: number): Promise<void> {
  const before = relay.relay.follower.topics()
  for (let p = 0; p < 2; p++) {
    const peer = await defaultPeer()
    nodes.push(peer)
    await dialRetrying(peer, relay)
    for (let i = 0; i < perPeer; i++) peer.services.pubsub.subscribe(topicForKey(tagRoutingKey(randomTag())))
  }
  await until(() => relay.relay.follower.topics() >= before + 2 * perPeer, BOUND * 2, `the relay follows ${2 * perPeer} more topics`)
}

for (const { inboxes, otherTopics } of [
  { inboxes: 4000, otherTopics: 0 },
  { inboxes: 300, otherTopics: 1600 },
  { inboxes: 20_000, otherTopics: 1600 }
]) {
  describe(`scale: a relay restarted holding ${inboxes.toLocaleString('en')} inboxes${otherTopics > 0 ? ` and following ${otherTopics.toLocaleString('en')} topics for two other peers` : ''}`, () => {
    const net = new TestNetwork()
    const nodes: DefaultPeer[] = []
    let relay: RelayHandle

    before(async () => {
      const repo = (await net.dir()).path
      await fillInboxes(repo, inboxes)
      relay = await net.relay({ repo })
      assert.equal(relay.relay.store.stats().keys, inboxes)
      if (otherTopics > 0) await interestedPeers(relay, nodes, otherTopics / 2)
    })
    after(async () => {
      await Promise.allSettled(nodes.map(async n => n.stop()))
      await net.stop()
    })

    it('a default peer publishes its IPNS name through the relay and leaves; a fresh peer resolves it with fetch', async () => {
      const { learnt } = await publishAndResolve(relay, nodes)
      // what the peer learnt from the relay is its own topic and the acks topic, nothing more (the
      // feed topic is on the relays' own gossipsub)
      const records = learnt.filter(t => t.startsWith('/record/'))
      assert.equal(records.length, 1, `learnt ${records.length} record topics`)
      assert.ok(learnt.length <= 2, `learnt ${learnt.length} topics in all`)
      assert.ok(relay.relay.follower.topics() <= otherTopics + 1, 'stored inboxes are not followed')
    })
  })
}

describe('scale: following ends with interest', () => {
  const net = new TestNetwork()
  const nodes: DefaultPeer[] = []
  let relay: RelayHandle

  before(async () => {
    relay = await net.relay({ follow: { grace: 200 }, republish: { pushCooldown: 0 } })
  })
  after(async () => {
    await Promise.allSettled(nodes.map(async n => n.stop()))
    await net.stop()
  })

  it('a topic is left after its last subscriber unsubscribes or disconnects, and its records stay', async () => {
    const bob = await key()
    const routingKey = tagRoutingKey(bob.publicKey.toMultihash().bytes)
    const topic = topicForKey(routingKey)
    const record = await createTaggedRecord(await key(), { tag: bob.publicKey.toMultihash().bytes, value: '/ipfs/bafkqaaa', sequence: 1n, lifetime: hour, now: Date.now() })
    const sender = await defaultPeer()
    nodes.push(sender)
    const [put] = await relayRequest(sender as any, relay.node, { type: RelayRequest.Type.PUT, key: routingKey, record: record.bytes })
    assert.equal(put.status, RelayResponse.Status.OK)
    assert.equal(relay.relay.follower.has(topic), false, 'custody alone does not make the relay follow')
    assert.equal(relay.relay.counters.fed, 0, 'a relay with no other relay connected puts nothing on the feed')

    const listener = await defaultPeer(bob)
    nodes.push(listener)
    await listener.dial(addrOf(relay.node))
    const pushed = waitFor<{ topic: string, data: Uint8Array }>(listener.services.pubsub, 'message', m => m.topic === topic)
    listener.services.pubsub.subscribe(topic)
    assert.ok(equals((await pushed).data, record.bytes), 'the relay pushes what it holds when it starts following')
    assert.equal(relay.relay.follower.interested(topic), 1)

    const left = waitFor(relay.relay, 'topic:follow', (d: { topic: string, following: boolean }) => d.topic === topic && !d.following)
    listener.services.pubsub.unsubscribe(topic)
    await left
    assert.equal(relay.relay.follower.has(topic), false)
    assert.equal(relay.relay.node.services.pubsub.getTopics().includes(topic), false)

    // subscribe again, then disconnect: the topic is left too, and the per-peer count is back to 0
    const again = waitFor(relay.relay, 'topic:follow', (d: { topic: string, following: boolean }) => d.topic === topic && d.following)
    listener.services.pubsub.subscribe(topic)
    await again
    assert.equal(relay.relay.follower.topicsOf(listener.peerId), 1)
    const leftAgain = waitFor(relay.relay, 'topic:follow', (d: { topic: string, following: boolean }) => d.topic === topic && !d.following)
    await listener.stop()
    await leftAgain
    assert.equal(relay.relay.follower.topicsOf(listener.peerId), 0)
    assert.equal((await relay.relay.store.page(routingKey, { limit: 10, now: Date.now() })).records.length, 1, 'the record stays')
  })
})

describe('scale: relays hand new records to each other on the feed topic, with no sync session', () => {
  const net = new TestNetwork()
  const relays: RelayHandle[] = []

  before(async () => {
    const noSync = { sync: { syncOnConnect: false, interval: 24 * hour } }
    relays.push(await net.relay(noSync))
    relays.push(await net.relay({ ...noSync, bootstrap: [addrOf(relays[0].node).toString()] }))
    relays.push(await net.relay({ ...noSync, bootstrap: [addrOf(relays[1].node).toString()] }))
    // a chain 1 - 2 - 3: relay 3 gets records only through relay 2's forwarding
    const mesh = (r: RelayHandle): number => (r.node.services.feed as unknown as { getMeshPeers(topic: string): string[] }).getMeshPeers(FEED_TOPIC).length
    await until(() => mesh(relays[0]) >= 1 && mesh(relays[1]) >= 2 && mesh(relays[2]) >= 1, BOUND, 'the feed mesh forms')
  })
  after(async () => { await net.stop() })

  it('a record PUT to relay 1 alone is held by relays 2 and 3 within 2 s, with no client subscribed anywhere', async () => {
    const alice = await key()
    const tag = randomTag()
    const routingKey = tagRoutingKey(tag)
    const record = await createTaggedRecord(alice, { tag, value: '/ipfs/bafkqaaa', sequence: 1n, lifetime: hour, now: Date.now() })
    const sender = await net.node()
    const feed = relays[1].node.services.feed
    assert.ok(feed != null, 'a relay node runs the feed gossipsub')
    const onFeed = waitFor<Message>(feed, 'message', m => m.topic === FEED_TOPIC)
    let sessions = 0
    for (const r of relays) r.relay.sync.addEventListener('sync:start', () => { sessions++ })
    const [put] = await relayRequest(sender, relays[0].node, { type: RelayRequest.Type.PUT, key: routingKey, record: record.bytes })
    assert.equal(put.status, RelayResponse.Status.OK)
    const signer = alice.publicKey.toMultihash().bytes
    await until(async () => {
      const held = await Promise.all(relays.slice(1).map(async r => (await r.relay.store.query(routingKey, signer))?.sequence))
      return held.every(s => s === 1n)
    }, 2000, 'relays 2 and 3 hold the record')
    assert.equal(sessions, 0, 'no sync session ran')
    assert.equal(relays[0].relay.counters.fed, 1, 'relay 1 put the record on the feed once')
    assert.ok(relays.every(r => r.relay.follower.topics() === 0), 'no relay follows a record topic')
    // the feed is the relays' own unsigned gossipsub: no message signature, and not on the
    // gossipsub that clients speak
    assert.equal((await onFeed).type, 'unsigned', 'feed messages carry no gossipsub signature')
    assert.equal(relays[0].node.services.pubsub.getTopics().includes(FEED_TOPIC), false, 'the feed topic is not on the clients\' gossipsub')
    assert.equal(sender.services.pubsub.getSubscribers(FEED_TOPIC).length, 0, 'a client is told of no feed subscription')
  })
})
