import assert from 'node:assert/strict'
import { describe, it, afterEach } from 'node:test'
import { lpStream } from '@libp2p/utils'
import { SyncMessage } from '../../src/pb/sync.ts'
import { SYNC_PROTOCOL } from '../../src/sync/index.ts'
import { SymbolEncoder, encodeCodedBatch, loadRiblt } from '../../src/sync/riblt.ts'
import { packSymbols } from '../../src/sync/symbols.ts'
import { MemorySource, addCells, craftedBatch, createPlainNode, createSyncNode, fill, nextEvent, randomItem } from './helpers.ts'
import type { SyncNode } from './helpers.ts'
import type { SyncEndEvent, SyncErrorEvent } from '../../src/sync/index.ts'
import type { Libp2p } from '@libp2p/interface'

const started: Libp2p[] = []

async function pair (a: MemorySource, b: MemorySource, initA = {}, initB = {}): Promise<[SyncNode, SyncNode]> {
  const nodeA = await createSyncNode(a, initA)
  const nodeB = await createSyncNode(b, initB)
  started.push(nodeA, nodeB)
  await nodeA.dial(nodeB.getMultiaddrs()[0])
  return [nodeA, nodeB]
}

afterEach(async () => {
  await Promise.all(started.splice(0).map(async n => n.stop()))
})

function assertUnion (a: MemorySource, b: MemorySource, size: number): void {
  assert.equal(a.items.size, size)
  assert.deepEqual(a.sorted(), b.sorted())
}

describe('relay sync between two libp2p nodes', () => {
  it('identical sets: one round of coded symbols, no items moved', async () => {
    const a = new MemorySource()
    const b = new MemorySource()
    fill(a, b, 1000, 0, 0)
    const [nodeA, nodeB] = await pair(a, b)
    const responderEnd = nextEvent<SyncEndEvent>(nodeB.services.sync, 'sync:end')
    const stats = await nodeA.services.sync.syncWith(nodeB.peerId)
    assert.equal(stats.differences, 0)
    assert.equal(stats.itemsSent + stats.itemsReceived, 0)
    assert.equal(stats.rounds, 1)
    assert.equal(stats.codedSymbols, 16)
    assert.equal(stats.fullList, false)
    assert.ok(stats.bytesSent < 500, `sent ${stats.bytesSent} B`)
    const { stats: rs } = await responderEnd
    assert.equal(rs.role, 'responder')
    assert.equal(rs.bytesReceived, stats.bytesSent)
    assert.equal(rs.bytesSent, stats.bytesReceived)
  })

  it('differences both ways: each side ends with the union', async () => {
    const a = new MemorySource()
    const b = new MemorySource()
    fill(a, b, 1000, 200, 150)
    const [nodeA, nodeB] = await pair(a, b)
    const stats = await nodeA.services.sync.syncWith(nodeB.peerId)
    assertUnion(a, b, 1350)
    assert.equal(stats.differences, 350)
    assert.equal(stats.itemsReceived, 150)
    assert.equal(stats.itemsSent, 200)
    assert.equal(stats.stored, 150)
    assert.equal(stats.rounds >= 2, true)
    assert.ok(b.accepted.every(({ from }) => from.equals(nodeA.peerId)))
  })

  it('20,000 items differing in 100: bytes in proportion to the 100, not the 20,000', async () => {
    const a = new MemorySource()
    const b = new MemorySource()
    fill(a, b, 19_950, 50, 50)
    const [nodeA, nodeB] = await pair(a, b)
    const stats = await nodeA.services.sync.syncWith(nodeB.peerId)
    assertUnion(a, b, 20_050)
    assert.equal(stats.differences, 100)
    assert.equal(stats.fullList, false)
    const total = stats.bytesSent + stats.bytesReceived
    const overhead = total - stats.itemBytesSent - stats.itemBytesReceived
    const fullSymbolList = 20_000 * 8
    // the protocol's own bytes stay under a tenth of shipping the bare symbol list
    assert.ok(overhead < fullSymbolList / 10, `overhead ${overhead} B vs full list ${fullSymbolList} B`)
    // and everything moved is within a small constant of the 100 items themselves
    assert.ok(total < (stats.itemBytesSent + stats.itemBytesReceived) * 1.5, `total ${total} B`)
  })

  it('a large difference falls back to the full symbol list and still converges', async () => {
    const a = new MemorySource()
    const b = new MemorySource()
    fill(a, b, 0, 1000, 800, 100)
    const [nodeA, nodeB] = await pair(a, b)
    const stats = await nodeA.services.sync.syncWith(nodeB.peerId)
    assert.equal(stats.fullList, true)
    assertUnion(a, b, 1800)
    // coded symbols stopped where the list became cheaper: 1000 x 8 / 18 bytes
    assert.ok(stats.codedSymbols <= 445, `${stats.codedSymbols} coded symbols`)
  })

  it('an empty relay pulls everything from a full one', async () => {
    const a = new MemorySource()
    const b = new MemorySource()
    fill(a, b, 0, 0, 500, 100)
    const [nodeA, nodeB] = await pair(a, b)
    const stats = await nodeA.services.sync.syncWith(nodeB.peerId)
    assertUnion(a, b, 500)
    assert.equal(stats.itemsReceived, 500)
  })

  it('a full relay meeting an empty one sends its symbol list after one batch', async () => {
    const a = new MemorySource()
    const b = new MemorySource()
    fill(a, b, 0, 500, 0, 100)
    const [nodeA, nodeB] = await pair(a, b)
    const stats = await nodeA.services.sync.syncWith(nodeB.peerId)
    assertUnion(a, b, 500)
    assert.equal(stats.fullList, true)
    assert.equal(stats.codedSymbols, 16)
    assert.equal(stats.itemsSent, 500)
  })

  it('caps items per session and picks the rest up next time', async () => {
    const a = new MemorySource()
    const b = new MemorySource()
    fill(a, b, 100, 0, 300, 100)
    const [nodeA, nodeB] = await pair(a, b, { maxItems: 120 })
    const first = await nodeA.services.sync.syncWith(nodeB.peerId)
    assert.equal(first.itemsReceived, 120)
    await nodeA.services.sync.syncWith(nodeB.peerId)
    await nodeA.services.sync.syncWith(nodeB.peerId)
    assertUnion(a, b, 400)
  })

  it('refused items are counted and not requested again', async () => {
    const a = new MemorySource()
    const b = new MemorySource()
    fill(a, b, 500, 0, 0)
    const bad = new Set<string>()
    for (let i = 0; i < 10; i++) {
      const item = randomItem()
      b.add(item)
      bad.add(Buffer.from(item).toString('hex'))
    }
    for (let i = 0; i < 5; i++) b.add(randomItem())
    a.verdict = (item) => bad.has(Buffer.from(item).toString('hex')) ? 'refused' : 'stored'
    const [nodeA, nodeB] = await pair(a, b)

    const first = await nodeA.services.sync.syncWith(nodeB.peerId)
    assert.equal(first.differences, 15)
    assert.equal(first.itemsReceived, 15)
    assert.equal(first.refused, 10)
    assert.equal(first.stored, 5)

    const second = await nodeA.services.sync.syncWith(nodeB.peerId)
    assert.equal(second.differences, 10, 'the refused items are still a difference')
    assert.equal(second.itemsReceived, 0, 'but they are not fetched again')
    assert.equal(second.refused, 0)
    assert.equal(a.accepted.length, 15)
  })

  it('honours an abort signal mid-session; the responder survives', async () => {
    const a = new MemorySource()
    const b = new MemorySource()
    fill(a, b, 200, 20, 0)
    const [nodeA, nodeB] = await pair(a, b)
    const controller = new AbortController()
    // the initiator stalls serving its first item; abort while it waits
    a.getItemHook = async () => {
      controller.abort()
      return new Promise(() => {})
    }
    const responderError = nextEvent<SyncErrorEvent>(nodeB.services.sync, 'sync:error')
    await assert.rejects(nodeA.services.sync.syncWith(nodeB.peerId, { signal: controller.signal }), { name: 'AbortError' })
    const { error } = await responderError
    assert.ok(error instanceof Error)

    a.getItemHook = undefined
    await nodeA.services.sync.syncWith(nodeB.peerId)
    assertUnion(a, b, 220)
  })

  it('rejects at once with an already aborted signal', async () => {
    const [nodeA, nodeB] = await pair(new MemorySource(), new MemorySource())
    await assert.rejects(nodeA.services.sync.syncWith(nodeB.peerId, { signal: AbortSignal.abort() }), { name: 'AbortError' })
  })

  it('syncs by itself when two relays connect (only one side initiates)', async () => {
    const a = new MemorySource()
    const b = new MemorySource()
    fill(a, b, 100, 7, 9, 100)
    const nodeA = await createSyncNode(a, { syncOnConnect: true })
    const nodeB = await createSyncNode(b, { syncOnConnect: true })
    started.push(nodeA, nodeB)
    const [initiator, responder] = nodeA.peerId.toString() < nodeB.peerId.toString() ? [nodeA, nodeB] : [nodeB, nodeA]
    const starts: string[] = []
    for (const n of [nodeA, nodeB]) {
      n.services.sync.addEventListener('sync:start', (evt) => { starts.push(evt.detail.role) })
    }
    const initiated = nextEvent<SyncEndEvent>(initiator.services.sync, 'sync:end', d => d.role === 'initiator')
    const answered = nextEvent<SyncEndEvent>(responder.services.sync, 'sync:end', d => d.role === 'responder')
    await nodeA.dial(nodeB.getMultiaddrs()[0])
    const [{ stats }] = await Promise.all([initiated, answered])
    assertUnion(a, b, 116)
    assert.equal(stats.differences, 16)
    assert.deepEqual(starts.sort(), ['initiator', 'responder'])
  })

  it('syncs again on its schedule: an item added later arrives with the next round', async () => {
    const a = new MemorySource()
    const b = new MemorySource()
    fill(a, b, 100, 1, 1, 100)
    const nodeA = await createSyncNode(a, { syncOnConnect: true, interval: 200 })
    const nodeB = await createSyncNode(b, { syncOnConnect: true, interval: 200 })
    started.push(nodeA, nodeB)
    const [initiator, initiatorSource] = nodeA.peerId.toString() < nodeB.peerId.toString() ? [nodeA, a] : [nodeB, b]
    const otherSource = initiatorSource === a ? b : a
    const first = nextEvent<SyncEndEvent>(initiator.services.sync, 'sync:end')
    await nodeA.dial(nodeB.getMultiaddrs()[0])
    await first
    assertUnion(a, b, 102)
    const late = randomItem(100)
    otherSource.add(late)
    await nextEvent<SyncEndEvent>(initiator.services.sync, 'sync:end', d => d.stats.itemsReceived === 1)
    assertUnion(a, b, 103)
  })

  it('answers at most maxInboundSessions at once and resets the rest with SyncBusyError', async () => {
    const a = new MemorySource()
    const b = new MemorySource()
    const c = new MemorySource()
    fill(a, b, 50, 5, 0, 100)
    for (const item of b.items.values()) c.add(item)
    c.add(randomItem(100))
    const [nodeA, nodeB] = await pair(a, b, {}, { maxInboundSessions: 1, preemptIdle: Infinity })
    const nodeC = await createSyncNode(c)
    started.push(nodeC)
    // A's session stalls while serving its first item, holding B's only slot
    let stalled!: () => void
    const stalling = new Promise<void>(resolve => { stalled = resolve })
    a.getItemHook = async () => { stalled(); return new Promise(() => {}) }
    const controller = new AbortController()
    const held = nodeA.services.sync.syncWith(nodeB.peerId, { signal: controller.signal })
    await stalling
    const busy = nextEvent<SyncErrorEvent>(nodeB.services.sync, 'sync:error')
    await nodeC.dial(nodeB.getMultiaddrs()[0])
    // the initiator sees only the reset stream (reset while writing, or on its next read)
    await assert.rejects(nodeC.services.sync.syncWith(nodeB.peerId), (err: Error) => ['StreamStateError', 'StreamResetError'].includes(err.name))
    assert.equal((await busy).error.name, 'SyncBusyError')
    controller.abort()
    await assert.rejects(held, { name: 'AbortError' })
  })
})

describe('relay sync against a misbehaving peer', () => {
  function frame (bytes: Uint8Array): Uint8Array {
    // a varint length prefix for lengths under 16 KiB
    const len = bytes.byteLength
    const prefix = len < 0x80 ? [len] : [(len & 0x7f) | 0x80, len >> 7]
    return new Uint8Array([...prefix, ...bytes])
  }

  const garbage: Array<[string, Uint8Array, string]> = [
    ['bytes that are no protobuf', frame(new Uint8Array(200).fill(0xff)), 'InvalidSyncMessageError'],
    ['a message with no field set', frame(new Uint8Array(0)), 'InvalidSyncMessageError'],
    ['a reply where a coded batch belongs', frame(SyncMessage.encode({ reply: { decoded: true, have: new Uint8Array(0), want: new Uint8Array(0), last: true, itemCount: 0 } })), 'InvalidSyncMessageError'],
    ['a coded batch with unaligned symbols', frame(SyncMessage.encode({ coded: { symbols: new Uint8Array(9), hashes: new Uint8Array(9), counts: new Uint8Array([2]) } })), 'InvalidSyncMessageError'],
    ['a full list that is not 8-byte aligned', frame(SyncMessage.encode({ full: { symbols: new Uint8Array(12), last: true } })), 'InvalidSyncMessageError'],
    ['a length prefix of 1 GiB', new Uint8Array([0x80, 0x80, 0x80, 0x80, 0x04]), 'SyncLimitError'],
    ['a frame cut short', new Uint8Array([50, 1, 2, 3]), 'InvalidSyncMessageError']
  ]

  for (const [name, bytes, errorName] of garbage) {
    it(`responder answers ${name} with ${errorName} and keeps serving`, async () => {
      const b = new MemorySource()
      const a = new MemorySource()
      fill(a, b, 50, 3, 4, 100)
      const nodeB = await createSyncNode(b)
      const attacker = await createPlainNode()
      const nodeA = await createSyncNode(a)
      started.push(nodeB, attacker, nodeA)
      const failed = nextEvent<SyncErrorEvent>(nodeB.services.sync, 'sync:error')
      const stream = await attacker.dialProtocol(nodeB.getMultiaddrs()[0], SYNC_PROTOCOL)
      stream.send(bytes)
      await stream.close().catch(() => {})
      const { error, role } = await failed
      assert.equal(role, 'responder')
      assert.equal(error.name, errorName)

      await nodeA.dial(nodeB.getMultiaddrs()[0])
      await nodeA.services.sync.syncWith(nodeB.peerId)
      assertUnion(a, b, 57)
    })
  }

  /** A fake responder: reads the first message, then answers with `reply`, then `after`. */
  async function fakeResponder (reply: Partial<SyncMessage>, after: Array<Partial<SyncMessage>> = []): Promise<Libp2p> {
    const node = await createPlainNode()
    await node.handle(SYNC_PROTOCOL, async (stream) => {
      const lp = lpStream(stream)
      try {
        await lp.read()
        await lp.write(SyncMessage.encode(reply))
        if (after.length > 0) {
          // wait for the initiator's want, then push what follows
          await lp.read()
          for (const m of after) await lp.write(SyncMessage.encode(m))
        }
        await stream.close()
      } catch {}
    })
    return node
  }

  const known = randomItem(100)
  const cases: Array<[string, () => Promise<Libp2p>, string]> = [
    ['a reply whose have list is not 8-byte aligned', async () => fakeResponder({ reply: { decoded: true, have: new Uint8Array(5), want: new Uint8Array(0), last: true, itemCount: 0 } }), 'InvalidSyncMessageError'],
    ['an item instead of a reply', async () => fakeResponder({ item: { data: known } }), 'InvalidSyncMessageError'],
    ['an item nobody asked for', async () => fakeResponder(
      { reply: { decoded: true, have: packSymbols([123n]), want: new Uint8Array(0), last: true, itemCount: 0 } },
      [{ item: { data: randomItem(100) } }]
    ), 'InvalidSyncMessageError']
  ]

  for (const [name, make, errorName] of cases) {
    it(`initiator rejects ${name} with ${errorName}`, async () => {
      const a = new MemorySource()
      for (let i = 0; i < 100; i++) a.add(randomItem(100))
      const nodeA = await createSyncNode(a)
      const fake = await make()
      started.push(nodeA, fake)
      await nodeA.dial(fake.getMultiaddrs()[0])
      await assert.rejects(nodeA.services.sync.syncWith(fake.peerId), { name: errorName })
      assert.equal(a.accepted.length, 0)
    })
  }
})

describe('relay sync against crafted and stalling sessions', () => {
  /** Opens a sync stream from `from` to `to` and writes `messages`, leaving the stream open. */
  async function openSession (from: Libp2p, to: Libp2p, messages: Array<Partial<SyncMessage>> = []): Promise<void> {
    const stream = await from.dialProtocol(to.getMultiaddrs()[0], SYNC_PROTOCOL)
    const lp = lpStream(stream)
    for (const m of messages) await lp.write(SyncMessage.encode(m))
  }

  it('a crafted coded batch (issue 9: one symbol in the second of 16 empty cells) ends the session with SyncDecodeError; the responder keeps serving', async () => {
    await loadRiblt()
    const a = new MemorySource()
    const b = new MemorySource()
    fill(a, b, 200, 3, 4, 100)
    const nodeB = await createSyncNode(b)
    const attacker = await createPlainNode()
    const nodeA = await createSyncNode(a)
    started.push(nodeB, attacker, nodeA)
    // the attacker knows B's set (one honest sync shows it) and adds B's own coded symbols, so
    // that after B subtracts them the pattern is exactly the crafted one
    const encoder = new SymbolEncoder(b.sorted())
    const batch = addCells(craftedBatch(0x1234_5678_9abc_def0n), encoder.next(16))
    encoder.free()
    const failed = nextEvent<SyncErrorEvent>(nodeB.services.sync, 'sync:error')
    await openSession(attacker, nodeB, [{ coded: encodeCodedBatch(batch) }])
    const { error, role } = await failed
    assert.equal(role, 'responder')
    assert.equal(error.name, 'SyncDecodeError')

    await nodeA.dial(nodeB.getMultiaddrs()[0])
    await nodeA.services.sync.syncWith(nodeB.peerId)
    assertUnion(a, b, 207)
  })

  it('a peer that opens a session and sends nothing is dropped with SyncStalledError after idleTimeout', async () => {
    const nodeB = await createSyncNode(new MemorySource(), { idleTimeout: 200 })
    const attacker = await createPlainNode()
    started.push(nodeB, attacker)
    const failed = nextEvent<SyncErrorEvent>(nodeB.services.sync, 'sync:error')
    await openSession(attacker, nodeB)
    const { error } = await failed
    assert.equal(error.name, 'SyncStalledError')
  })

  it('an initiator drops a responder that stops answering after idleTimeout', async () => {
    const a = new MemorySource()
    fill(a, new MemorySource(), 0, 100, 0, 100)
    const nodeA = await createSyncNode(a, { idleTimeout: 200 })
    const mute = await createPlainNode()
    started.push(nodeA, mute)
    await mute.handle(SYNC_PROTOCOL, async (stream) => {
      const lp = lpStream(stream)
      // take the first batch, then say nothing until the initiator gives up
      await lp.read().then(async () => lp.read()).catch(() => {})
    })
    await nodeA.dial(mute.getMultiaddrs()[0])
    await assert.rejects(nodeA.services.sync.syncWith(mute.peerId), { name: 'SyncStalledError' })
  })

  it('answers one session per peer: a second stream from the same peer is SyncBusyError', async () => {
    const nodeB = await createSyncNode(new MemorySource())
    const attacker = await createPlainNode()
    started.push(nodeB, attacker)
    const first = nextEvent(nodeB.services.sync, 'sync:start')
    await openSession(attacker, nodeB)
    await first
    const busy = nextEvent<SyncErrorEvent>(nodeB.services.sync, 'sync:error')
    await openSession(attacker, nodeB)
    const { error } = await busy
    assert.equal(error.name, 'SyncBusyError')
    assert.match(error.message, /from this peer/)
  })

  it('two idle peers take both inbound slots; an honest peer still syncs at once, and the idlest gives way', async () => {
    const a = new MemorySource()
    const b = new MemorySource()
    fill(a, b, 100, 5, 5, 100)
    const nodeB = await createSyncNode(b)
    const attackers = [await createPlainNode(), await createPlainNode()]
    const nodeA = await createSyncNode(a)
    started.push(nodeB, ...attackers, nodeA)
    const errors: SyncErrorEvent[] = []
    nodeB.services.sync.addEventListener('sync:error', (evt) => { errors.push(evt.detail) })
    let starts = 0
    const both = new Promise<void>(resolve => {
      nodeB.services.sync.addEventListener('sync:start', () => { if (++starts === 2) resolve() })
    })
    for (const attacker of attackers) await openSession(attacker, nodeB)
    await both

    await nodeA.dial(nodeB.getMultiaddrs()[0])
    await nodeA.services.sync.syncWith(nodeB.peerId)
    assertUnion(a, b, 110)
    const preempted = errors.filter(e => attackers.some(x => x.peerId.equals(e.peer)))
    assert.equal(preempted.length, 1)
    assert.equal(preempted[0].error.name, 'SyncStalledError')
    assert.ok(errors.every(e => !e.peer.equals(nodeA.peerId)), 'the honest session was not refused')
  })
})
