/**
 * The relay with real nodes over TCP on 127.0.0.1 and a real LevelDB: type-1 subscriptions,
 * storage, late subscribers (inbox protocol, push on subscribe, fetch), invalid traffic.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { createIPNSRecord, marshalIPNSRecord } from 'ipns'
import { equals } from 'uint8arrays/equals'
import { createTaggedRecord, nameRoutingKey, tagRoutingKey, topicForKey, validateRecord } from '../../src/record/index.ts'
import { RelayRequest } from '../../src/pb/relay.ts'
import { IpnsEntry } from '../../src/pb/ipns.ts'
import { TestNetwork, addrOf, key, relayRequest, subscribed, until, waitFor } from '../utils/network.ts'
import type { IptsNode } from '../../src/node.ts'
import type { RelayHandle } from '../../src/relay/index.ts'
import type { Message } from '@libp2p/gossipsub'

const hour = 60 * 60 * 1000

describe('relay: a sender publishes, stops, and a late receiver gets the record', () => {
  const net = new TestNetwork()
  let relay: RelayHandle

  before(async () => {
    relay = await net.relay()
  })
  after(async () => { await net.stop() })

  it('Alice publishes on Bob\'s tag topic and stops; Bob starts later and drains it through the inbox protocol and the topic', async () => {
    const aliceKey = await key()
    const bobKey = await key()
    const bobTag = bobKey.publicKey.toMultihash().bytes
    const routingKey = tagRoutingKey(bobTag)
    const topic = topicForKey(routingKey)

    const alice = await net.node({ privateKey: aliceKey })
    await alice.dial(addrOf(relay.node))
    // subscribing is how a relay learns of a topic (type-1 behaviour)
    alice.services.pubsub.subscribe(topic)
    await subscribed(alice, topic, relay.node.peerId)

    const record = await createTaggedRecord(aliceKey, { tag: bobTag, value: '/ipfs/bafkqaaa', sequence: 1n, lifetime: hour, now: Date.now() })
    const stored = waitFor<{ record: { sequence: bigint } }>(relay.relay, 'record:stored')
    await alice.services.pubsub.publish(topic, record.bytes)
    assert.equal((await stored).record.sequence, 1n)
    await alice.stop()

    // Bob comes online, connected only to the relay
    const bob = await net.node({ privateKey: bobKey })
    await bob.dial(addrOf(relay.node))

    // 1. the inbox protocol
    const pages = await relayRequest(bob, relay.node, { type: RelayRequest.Type.INBOX, key: routingKey })
    const records = pages.flatMap(p => p.records)
    assert.equal(records.length, 1)
    const got = validateRecord(records[0], { now: Date.now(), routingKey })
    assert.ok(equals(got.signer, aliceKey.publicKey.toMultihash().bytes))
    assert.equal(got.value, '/ipfs/bafkqaaa')

    // 2. the topic: the relay pushes what it holds when Bob subscribes
    const message = waitFor<Message>(bob.services.pubsub, 'message', m => m.topic === topic)
    bob.services.pubsub.subscribe(topic)
    const pushed = await message
    assert.ok(equals(pushed.data, record.bytes))
  })

  it('a plain IPNS record published over pubsub by a node that then stops is fetchable with libp2p fetch', async () => {
    const nameKey = await key()
    const routingKey = nameRoutingKey(nameKey.publicKey.toMultihash().bytes)
    const topic = topicForKey(routingKey)

    const publisher = await net.node({ privateKey: nameKey })
    await publisher.dial(addrOf(relay.node))
    publisher.services.pubsub.subscribe(topic)
    await subscribed(publisher, topic, relay.node.peerId)
    // made by the ipns package itself, as Helia does
    const ipnsRecord = await createIPNSRecord(nameKey, '/ipfs/bafkqaaa', 7n, hour)
    const bytes = marshalIPNSRecord(ipnsRecord)
    const stored = waitFor(relay.relay, 'record:stored')
    await publisher.services.pubsub.publish(topic, bytes)
    await stored
    await publisher.stop()

    const resolver = await net.node()
    const fetched = await resolver.services.fetch.fetch(addrOf(relay.node), routingKey)
    assert.ok(fetched != null)
    assert.ok(equals(fetched, bytes))
    const missing = await resolver.services.fetch.fetch(addrOf(relay.node), nameRoutingKey((await key()).publicKey.toMultihash().bytes))
    assert.equal(missing, undefined)
  })
})

describe('relay: invalid traffic is rejected, never stored, and valid traffic still flows', () => {
  const net = new TestNetwork()
  let relay: RelayHandle
  let mallory: IptsNode

  before(async () => {
    relay = await net.relay()
    mallory = await net.node()
    await mallory.dial(addrOf(relay.node))
  })
  after(async () => { await net.stop() })

  async function joinTopic (node: IptsNode, topic: string): Promise<void> {
    node.services.pubsub.subscribe(topic)
    await subscribed(node, topic, relay.node.peerId)
  }

  it('bad signature, wrong tag, expired and garbage records are rejected with counted reasons', async () => {
    const signer = await key()
    const bob = (await key()).publicKey.toMultihash().bytes
    const carol = (await key()).publicKey.toMultihash().bytes
    const bobTopic = topicForKey(tagRoutingKey(bob))
    await joinTopic(mallory, bobTopic)

    const good = await createTaggedRecord(signer, { tag: bob, value: '/ipfs/bafkqaaa', sequence: 1n, lifetime: hour, now: Date.now() })
    // bad signature: flip a byte inside the signature
    const entry = IpnsEntry.decode(good.bytes)
    const signatureV2 = entry.signatureV2?.slice() ?? new Uint8Array(64)
    signatureV2[5] ^= 0xff
    const badSig = IpnsEntry.encode({ ...entry, signatureV2 })
    // wrong tag: a valid record for Carol published on Bob's topic
    const forCarol = await createTaggedRecord(signer, { tag: carol, value: '/ipfs/bafkqaaa', sequence: 1n, lifetime: hour, now: Date.now() })
    // expired: valid signature, EOL already past
    const expired = await createTaggedRecord(signer, { tag: bob, value: '/ipfs/bafkqaaa', sequence: 2n, eol: Date.now() - 1000, now: Date.now() - 2000 })
    const garbage = new TextEncoder().encode('not a record at all')

    for (const bytes of [badSig, forCarol.bytes, expired.bytes, garbage]) {
      await mallory.services.pubsub.publish(bobTopic, bytes)
    }
    await until(() => totalInvalid(relay) >= 4)
    // each record refused for its own reason, once
    assert.deepEqual(invalidByReason(relay), {
      'invalid:BadSignatureError': 1, // bad signature
      'invalid:KeyMismatchError': 1, // Carol's record on Bob's topic
      'invalid:RecordExpiredError': 1,
      'invalid:MalformedRecordError': 1 // garbage
    })
    assert.equal(relay.relay.store.stats().records, 0, 'nothing invalid was stored')

    // the relay keeps serving valid traffic on the same topic
    const stored = waitFor(relay.relay, 'record:stored')
    await mallory.services.pubsub.publish(bobTopic, good.bytes)
    await stored
    assert.equal(relay.relay.store.stats().records, 1)
  })
})

function totalInvalid (relay: RelayHandle): number {
  let n = 0
  for (const [reason, count] of relay.relay.counters.refusedByReason) {
    if (reason.startsWith('invalid:')) n += count
  }
  return n
}

function invalidByReason (relay: RelayHandle): Record<string, number> {
  return Object.fromEntries([...relay.relay.counters.refusedByReason].filter(([reason]) => reason.startsWith('invalid:')))
}
