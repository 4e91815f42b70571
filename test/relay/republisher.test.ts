/**
 * The republisher and the purge timer of a real relay, with a subscriber over TCP: a cycle
 * republishes every live record (never an expired one) on its topic, within the publish budget;
 * pushes to a new subscriber are bounded and what does not fit is dropped and counted; the purge
 * timer deletes what expired. The relay's clock is injected, so
 * "expired" is decided by the test, not by waiting.
 */
import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import { createTaggedRecord, tagRoutingKey, topicForKey } from '../../src/record/index.ts'
import { RelayRequest, RelayResponse } from '../../src/pb/relay.ts'
import { TestNetwork, addrOf, key, relayRequest, until, waitFor } from '../utils/network.ts'
import type { CreateRelayOptions, RelayHandle } from '../../src/relay/index.ts'
import type { IptsNode } from '../../src/node.ts'
import type { PrivateKey } from '@libp2p/interface'
import type { Message } from '@libp2p/gossipsub'

const hour = 3600_000
const day = 24 * hour
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

/** `n` signers, in the order the store keeps their records under one key (by multihash). */
async function signersInStoreOrder (n: number): Promise<PrivateKey[]> {
  const keys = await Promise.all(Array.from({ length: n }, async () => key()))
  return keys.sort((a, b) => hex(a.publicKey.toMultihash().bytes) < hex(b.publicKey.toMultihash().bytes) ? -1 : 1)
}

describe('republisher and purge', () => {
  const net = new TestNetwork()
  after(async () => { await net.stop() })

  interface Setup {
    relay: RelayHandle
    client: IptsNode
    tag: Uint8Array
    topic: string
    clock: { now: number }
    /** Stores a record from `signer` under the tag through custody PUT. */
    store(signer: PrivateKey, lifetime: number): Promise<Uint8Array>
    /** Subscribes the client to the tag's topic, waits until the relay knows, and records what arrives. */
    subscribe(): Promise<Array<{ data: Uint8Array, at: number }>>
  }

  async function setup (options: Partial<CreateRelayOptions> = {}): Promise<Setup> {
    const clock = { now: Date.now() }
    const relay = await net.relay({ now: () => clock.now, ...options })
    const client = await net.node()
    await client.dial(addrOf(relay.node))
    const tag = (await key()).publicKey.toMultihash().bytes
    const routingKey = tagRoutingKey(tag)
    const topic = topicForKey(routingKey)
    return {
      relay,
      client,
      tag,
      topic,
      clock,
      async store (signer, lifetime) {
        const record = await createTaggedRecord(signer, { tag, value: '/ipfs/bafkqaaa', sequence: 1n, lifetime, now: clock.now })
        const [response] = await relayRequest(client, relay.node, { type: RelayRequest.Type.PUT, key: routingKey, record: record.bytes })
        assert.equal(response.status, RelayResponse.Status.OK)
        return record.bytes
      },
      async subscribe () {
        const received: Array<{ data: Uint8Array, at: number }> = []
        client.services.pubsub.addEventListener('message', (evt: CustomEvent<Message>) => {
          if (evt.detail.topic === topic) received.push({ data: evt.detail.data, at: performance.now() })
        })
        client.services.pubsub.subscribe(topic)
        await until(() => relay.node.services.pubsub.getSubscribers(topic).some(p => p.equals(client.peerId)))
        return received
      }
    }
  }

  const has = (received: Array<{ data: Uint8Array }>, bytes: Uint8Array): boolean => received.some(m => hex(m.data) === hex(bytes))

  it('a cycle republishes every live record on its topic and never one that has expired', async () => {
    const s = await setup()
    const received = await s.subscribe()
    // the expired record comes first in the cycle's order: seeing the live one after it means it was skipped
    const [first, second] = await signersInStoreOrder(2)
    const expiring = await s.store(first, hour)
    const live = await s.store(second, day)
    await until(() => has(received, expiring) && has(received, live), 20_000, 'custody publishes')
    received.length = 0

    s.clock.now += 2 * hour
    const ended = waitFor<{ records: number }>(s.relay.relay.republisher, 'republish:end')
    s.relay.relay.republisher.startCycle()
    assert.equal((await ended).records, 1, 'the cycle took only the live record')
    await until(() => has(received, live), 20_000, 'the live record republished')
    assert.equal(has(received, expiring), false, 'the expired record was republished')
    assert.equal(s.relay.relay.counters.republished, 1)
  })

  it('a record that expires while queued is not published', async () => {
    // one publish a second: the test moves the clock between the first publish and the next
    const s = await setup({ republish: { rate: 1 } })
    const received = await s.subscribe()
    const [a, b, c] = await signersInStoreOrder(3)
    const first = await s.store(a, day)
    const expiring = await s.store(b, hour)
    const last = await s.store(c, day)
    await until(() => [first, expiring, last].every(r => has(received, r)), 20_000, 'custody publishes')
    received.length = 0

    const ended = waitFor<{ records: number }>(s.relay.relay.republisher, 'republish:end')
    s.relay.relay.republisher.startCycle()
    assert.equal((await ended).records, 3, 'all three live when queued')
    await until(() => has(received, first), 20_000, 'the first republish')
    s.clock.now += 2 * hour
    await until(() => has(received, last), 20_000, 'the last republish')
    assert.equal(has(received, expiring), false, 'the record that expired in the queue was published')
  })

  it('republishes within its budget: no more than rate x elapsed (plus one burst) records', async () => {
    const rate = 10
    const s = await setup({ republish: { rate } })
    const received = await s.subscribe()
    const signers = await signersInStoreOrder(30)
    for (const signer of signers) await s.store(signer, day)
    await until(() => received.length >= 30, 20_000, 'custody publishes')
    received.length = 0

    const start = performance.now()
    s.relay.relay.republisher.startCycle()
    await until(() => received.length >= 30, 60_000, 'the whole cycle republished')
    // a bucket of `rate` tokens, refilled at `rate` a second: the k-th publish cannot come before
    // (k - rate - 1) / rate seconds (a busy machine only makes it later)
    for (const [i, m] of received.entries()) {
      const k = i + 1
      const earliest = (k - rate - 1) / rate * 1000
      assert.ok(m.at - start >= earliest, `publish ${k} came ${Math.round(m.at - start)} ms after the start, before ${earliest} ms`)
    }
    assert.equal(s.relay.relay.counters.republished, 30)
  })

  it('a push to a new subscriber is bounded by the queue: the rest is dropped and counted', async () => {
    const s = await setup({ republish: { maxQueue: 4 } })
    const signers = await signersInStoreOrder(10)
    const stored: Uint8Array[] = []
    for (const signer of signers) stored.push(await s.store(signer, day))
    // subscribing after the records were stored: only the push brings them
    const received = await s.subscribe()
    await until(() => s.relay.relay.counters.pushed >= 4, 20_000, 'the push')
    await until(() => received.length >= 4, 20_000, 'the pushed records')
    assert.equal(s.relay.relay.counters.pushesDropped, 1)
    assert.ok(received.every(m => stored.some(r => hex(r) === hex(m.data))))
    // the first four in store order fitted in the queue
    assert.deepEqual(received.slice(0, 4).map(m => hex(m.data)), stored.slice(0, 4).map(hex))
  })

  it('the purge timer deletes the expired records, and only those', async () => {
    const s = await setup({ purgeInterval: 100 })
    const [a, b] = await signersInStoreOrder(2)
    await s.store(a, hour)
    const live = await s.store(b, day)
    const purged = waitFor<{ records: number }>(s.relay.relay, 'purge', d => d.records > 0)
    s.clock.now += 2 * hour
    assert.equal((await purged).records, 1)
    assert.equal(s.relay.relay.store.stats().records, 1)
    const pages = await relayRequest(s.client, s.relay.node, { type: RelayRequest.Type.INBOX, key: tagRoutingKey(s.tag) })
    assert.deepEqual(pages.flatMap(p => p.records).map(hex), [hex(live)])
  })
})
