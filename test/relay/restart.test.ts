/**
 * A relay in a real child process is killed with SIGKILL between send and receive, restarted
 * from its repo, and still delivers: stored means written to LevelDB before it was answered.
 */
import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import { multiaddr } from '@multiformats/multiaddr'
import { equals } from 'uint8arrays/equals'
import { createTaggedRecord, tagRoutingKey, topicForKey } from '../../src/record/index.ts'
import { RelayRequest, RelayResponse } from '../../src/pb/relay.ts'
import { TestNetwork, key, relayRequest, subscribed } from '../utils/network.ts'
import { spawnRelay, tempDir } from '../utils/cli.ts'
import type { CliRelay } from '../utils/cli.ts'
import type { Message } from '@libp2p/gossipsub'

describe('relay: SIGKILL and restart from the repo between send and receive', () => {
  const net = new TestNetwork()
  const cleanups: Array<() => Promise<unknown>> = []
  after(async () => {
    await net.stop()
    for (const c of cleanups.reverse()) await c()
  })

  it('Alice sends through the relay; the relay is SIGKILLed and restarted; Bob gets the record through the inbox protocol and the topic', async () => {
    const repo = await tempDir('ipts-restart-')
    cleanups.push(repo.cleanup)
    let relay: CliRelay = await spawnRelay(repo.path)
    cleanups.push(async () => relay.proc.stop('SIGKILL'))

    const aliceKey = await key()
    const bobKey = await key()
    const bobTag = bobKey.publicKey.toMultihash().bytes
    const routingKey = tagRoutingKey(bobTag)
    const record = await createTaggedRecord(aliceKey, { tag: bobTag, value: '/ipfs/bafkqaaa', sequence: 1n, lifetime: 3_600_000, now: Date.now() })

    const alice = await net.node({ privateKey: aliceKey })
    const [held] = await relayRequest(alice, multiaddr(relay.addr), { type: RelayRequest.Type.PUT, key: routingKey, record: record.bytes })
    assert.equal(held.status, RelayResponse.Status.OK)
    assert.equal(held.sequence, 1n)
    await alice.stop()

    // no clean shutdown: the record must already be on disk
    const killed = await relay.proc.stop('SIGKILL')
    assert.equal(killed.signal, 'SIGKILL')
    relay = await spawnRelay(repo.path)

    const bob = await net.node({ privateKey: bobKey })
    const pages = await relayRequest(bob, multiaddr(relay.addr), { type: RelayRequest.Type.INBOX, key: routingKey })
    const records = pages.flatMap(p => p.records)
    assert.equal(records.length, 1)
    assert.ok(equals(records[0], record.bytes))

    // the restarted relay rejoined the topic and pushes what it holds to a new subscriber
    const topic = topicForKey(routingKey)
    const message = new Promise<Message>((resolve) => {
      bob.services.pubsub.addEventListener('message', (evt) => { if (evt.detail.topic === topic) resolve(evt.detail) })
    })
    bob.services.pubsub.subscribe(topic)
    await subscribed(bob, topic, bob.getConnections()[0].remotePeer)
    const pushed = await message
    assert.ok(equals(pushed.data, record.bytes))
  })
})
