/**
 * The client as a library, against in-process relays on 127.0.0.1: custody rules, watching the
 * topic, embedding in an existing node, recovering from lost state, sharing a repo.
 */
import assert from 'node:assert/strict'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { createClient } from '../../src/client/index.ts'
import { createNode } from '../../src/node.ts'
import { defer } from '../../src/client/util.ts'
import { TestNetwork, key, tempDir } from '../utils/network.ts'
import type { Client, ClientProgressEvent, InboxMessage } from '../../src/client/index.ts'
import type { RelayHandle } from '../../src/relay/index.ts'

const addrOf = (relay: RelayHandle): string => relay.node.getMultiaddrs()[0].toString()

describe('client library', { concurrency: true }, () => {
  const net = new TestNetwork()
  let relays: RelayHandle[]
  let dir: { path: string, cleanup(): Promise<void> }
  const clients: Client[] = []
  const client = async (name: string, extra: { relays?: string[] } = {}): Promise<Client> => {
    const c = await createClient({ repo: join(dir.path, name), relays: extra.relays ?? relays.map(addrOf) })
    clients.push(c)
    return c
  }
  const readAll = async (c: Client, options = {}): Promise<InboxMessage[]> => {
    const out: InboxMessage[] = []
    for await (const m of c.inbox(options)) out.push(m)
    return out
  }

  before(async () => {
    dir = await tempDir('ipts-client-')
    relays = await Promise.all([net.relay(), net.relay(), net.relay({ maxLifetime: 3_600_000 })])
  })

  after(async () => {
    await Promise.allSettled(clients.map(async c => c.stop()))
    await net.stop()
    await dir?.cleanup()
  })

  it('custody: waits for every relay asked for, reports each confirmation, and refuses to start without enough relays', async () => {
    const alice = await client('alice1', { relays: relays.slice(0, 2).map(addrOf) })
    const bob = await client('bob1')
    const events: ClientProgressEvent[] = []
    const sent = await alice.send(bob.peerId, { text: 'hi' }, { onProgress: e => events.push(e) })
    assert.equal(sent.relays.length, 2, 'two by default when two are reachable')
    assert.equal(events.filter(e => e.type === 'custody:confirmed').length, 2)
    await assert.rejects(alice.send(bob.peerId, { text: 'again' }, { minRelays: 3 }), { name: 'NoRelaysError', message: /3 relays needed for custody but only 2 reachable/ })
    const one = await alice.send(bob.peerId, { text: 'one is enough' }, { minRelays: 1 })
    assert.ok(one.relays.length >= 1)
  })

  it('custody fails with the relays\' reason when too many refuse the record', async () => {
    const alice = await client('alice2', { relays: [addrOf(relays[2])] })
    const bob = await client('bob2')
    // relay 3 accepts lifetimes up to one hour
    await assert.rejects(alice.send(bob.peerId, { text: 'for a week' }, { lifetime: 7 * 86_400_000 }), (err: any) => {
      assert.equal(err.name, 'CustodyRefusedError')
      assert.match(err.message, /LifetimeTooLongError/)
      return true
    })
    const ok = await alice.send(bob.peerId, { text: 'for half an hour' }, { lifetime: 1_800_000 })
    assert.equal(ok.seq, 2n, 'the refused attempt used up sequence 1: numbers never go back')
    assert.deepEqual((await readAll(bob)).map(m => m.text), ['for half an hour'])
  })

  it('inbox --watch: a message sent after the reader caught up arrives on the topic, and is acknowledged', async () => {
    const alice = await client('alice3')
    const bob = await client('bob3')
    await alice.send(bob.peerId, { text: 'before' })
    const controller = new AbortController()
    const caughtUp = defer()
    let drained = 0
    const seen: string[] = []
    const reading = (async () => {
      const onProgress = (e: ClientProgressEvent): void => {
        if (e.type === 'inbox:drained' && ++drained === relays.length) caughtUp.resolve()
      }
      for await (const m of bob.inbox({ watch: true, ack: true, signal: controller.signal, onProgress })) {
        seen.push(m.text ?? '')
        if (m.text === 'after') controller.abort()
      }
    })()
    await caughtUp.promise
    await alice.send(bob.peerId, { text: 'after' })
    await reading
    assert.deepEqual(seen, ['before', 'after'])
    const receipt = await alice.waitForReceipt(bob.peerId, 1n, { timeout: 30_000 })
    assert.ok(receipt.seq >= 1n)
  })

  it('embeds in an existing node, which it leaves running', async () => {
    const privateKey = await key()
    const node = await createNode({ privateKey, listen: [] })
    try {
      const embedded = await createClient({ node, privateKey, relays: relays.slice(0, 2).map(addrOf) })
      const bob = await client('bob4')
      const sent = await embedded.send(bob.peerId, { text: 'from inside' })
      assert.equal(sent.seq, 1n)
      await embedded.stop()
      assert.equal(node.status, 'started')
      const got = await readAll(bob)
      assert.deepEqual(got.map(m => [m.from.toString(), m.text]), [[node.peerId.toString(), 'from inside']])
    } finally {
      await node.stop()
    }
  })

  it('recovers when its state is lost: numbers continue past what relays hold, and the unread messages it forgot are carried, not erased', async () => {
    const alice = await client('alice5')
    const bob = await client('bob5')
    for (const text of ['1', '2', '3']) await alice.send(bob.peerId, { text })
    await alice.stop()
    await rm(join(dir.path, 'alice5', 'client'), { recursive: true })
    const reborn = await client('alice5')
    const sent = await reborn.send(bob.peerId, { text: 'after amnesia' })
    assert.equal(sent.seq, 4n, 'renumbered past the record 3 the relays hold')
    assert.deepEqual(sent.renumbered, { held: 3n, carried: true })
    assert.deepEqual((await readAll(bob, { ack: true })).map(m => [m.seq, m.text]), [[1n, '1'], [2n, '2'], [3n, '3'], [4n, 'after amnesia']])
    // the receipt for record 4 covers the carried record too: the next record carries neither
    await reborn.receipts()
    const next = await reborn.send(bob.peerId, { text: 'later' })
    assert.equal(next.renumbered, undefined)
    assert.deepEqual((await readAll(bob)).map(m => [m.seq, m.text]), [[5n, 'later']])
  })

  it('a sender whose sequence the receiver already acknowledged renumbers above it, and the message arrives once', async () => {
    const alice = await client('alice7')
    const bob = await client('bob7')
    await alice.send(bob.peerId, { text: 'read' })
    assert.deepEqual((await readAll(bob, { ack: true })).map(m => m.text), ['read'])
    await alice.stop()
    await rm(join(dir.path, 'alice7', 'client'), { recursive: true })
    const reborn = await client('alice7')
    const events: ClientProgressEvent[] = []
    const sent = await reborn.send(bob.peerId, { text: 'again from 1' }, { onProgress: e => { if (e.type === 'send:renumbered') events.push(e) } })
    assert.equal(sent.seq, 2n)
    assert.deepEqual(sent.renumbered, { acked: 1n, carried: false })
    assert.equal(events.length, 1, 'said once')
    assert.deepEqual((await readAll(bob)).map(m => [m.seq, m.text]), [[2n, 'again from 1']])
  })

  it('a sender that lost its state asks the receiver\'s chosen relay, not only its own, before writing there', async () => {
    // send() asks its own relays what they hold while Bob's list resolves; that answer stands in
    // only when the list sends it to the same relays. Here Alice knows relay 1, Bob chose relay 2
    // (unconnected to relay 1), and only relay 2 holds her unread record 1.
    const bob = await client('bob8')
    await bob.setRelays({ relays: [addrOf(relays[1])], min: 1 })
    const alice = await client('alice8', { relays: [addrOf(relays[0])] })
    const first = await alice.send(bob.peerId, { text: 'unread' })
    assert.deepEqual(first.relays.map(String), [relays[1].node.peerId.toString()])
    await alice.stop()
    await rm(join(dir.path, 'alice8', 'client'), { recursive: true })
    const reborn = await client('alice8', { relays: [addrOf(relays[0])] })
    const sent = await reborn.send(bob.peerId, { text: 'after amnesia' })
    // numbered 1 again, it would have replaced the unread record on relay 2 (same sequence, later EOL)
    assert.equal(sent.seq, 2n)
    assert.deepEqual(sent.renumbered, { held: 1n, carried: true })
    assert.deepEqual((await readAll(bob)).map(m => [m.seq, m.text]), [[1n, 'unread'], [2n, 'after amnesia']])
  })

  it('two clients sharing a repo never reuse a sequence number', async () => {
    const bob = await client('bob6')
    const [a, b] = await Promise.all([client('alice6'), client('alice6')])
    const sent = await Promise.all([a.send(bob.peerId, { text: 'x' }), b.send(bob.peerId, { text: 'y' })])
    assert.deepEqual(sent.map(s => s.seq).sort(), [1n, 2n])
    assert.deepEqual((await readAll(bob)).map(m => m.text).sort(), ['x', 'y'])
  })
})
