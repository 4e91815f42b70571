/**
 * The rendezvous on real libp2p nodes (TCP on 127.0.0.1, kad-dht `/ipts/kad/1.0.0`), in one
 * process. Every wait is on events, bounded by an overall timeout; nothing sleeps to synchronise.
 */
import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { createNode } from '../../src/node.ts'
import { findRelays, Rendezvous, RELAY_TAG } from '../../src/rendezvous/index.ts'
import type { IptsNode } from '../../src/node.ts'
import type { RendezvousInit, RendezvousProgressEvents } from '../../src/rendezvous/index.ts'
import type { PeerId } from '@libp2p/interface'

const RELAYS = 5
/** Upper bound on any single wait; generous, since the measured convergence is ~1-2 s. */
const BOUND = 60_000
/** DHT queries a client may make to find every relay. */
const MAX_QUERIES = 10

/** Settings that keep a loopback test brisk; the production defaults are minutes. */
const FAST: RendezvousInit = {
  findInterval: 200,
  maxFindInterval: 1_000,
  findTimeout: 10_000,
  provideTimeout: 10_000,
  dialTimeout: 5_000,
  redialDelay: 50,
  maxRedialDelay: 200,
  redialAttempts: 2,
  aloneAfter: 200
}

/**
 * Resolves once `check()` holds, re-checking after each `type` event on `target`; rejects with
 * `what` if it does not hold within `ms`.
 */
async function until (target: EventTarget, type: string, check: () => boolean, what: string, ms = BOUND): Promise<void> {
  if (check()) return
  await new Promise<void>((resolve, reject) => {
    const listener = (): void => {
      if (!check()) return
      cleanup()
      resolve()
    }
    const timer = setTimeout(() => {
      cleanup()
      reject(new Error(`timed out waiting for ${what}`))
    }, ms)
    const cleanup = (): void => {
      clearTimeout(timer)
      target.removeEventListener(type, listener)
    }
    target.addEventListener(type, listener)
  })
}

function ids (peers: PeerId[]): string[] {
  return peers.map(p => p.toString()).sort()
}

describe('rendezvous', () => {
  const nodes: IptsNode[] = []
  const rendezvous: Rendezvous[] = []
  let relays: IptsNode[] = []

  before(async () => {
    const first = await createNode({ dht: 'server' })
    nodes.push(first)
    const bootstrap = [first.getMultiaddrs()[0]!.toString()]
    for (let i = 1; i < RELAYS; i++) {
      nodes.push(await createNode({ dht: 'server', bootstrap }))
    }
    relays = [...nodes]
  })

  after(async () => {
    await Promise.all(rendezvous.map(async r => { await r.stop() }))
    await Promise.all(nodes.map(async n => { await n.stop() }))
  })

  it('five relays that each know one bootstrap peer all find each other as providers', async (t) => {
    const started = performance.now()
    for (const node of relays) {
      const r = new Rendezvous(node, FAST)
      rendezvous.push(r)
      r.start()
      r.start() // idempotent
    }
    await Promise.all(rendezvous.map(async (r, i) => {
      await until(r, 'relay:discovered', () => r.discovered().length === RELAYS - 1, `relay ${i} to discover ${RELAYS - 1} others`)
    }))
    t.diagnostic(`all ${RELAYS} relays discovered each other in ${Math.round(performance.now() - started)} ms`)

    for (const [i, r] of rendezvous.entries()) {
      const self = relays[i]!.peerId.toString()
      const expected = relays.map(n => n.peerId.toString()).filter(id => id !== self).sort()
      assert.deepEqual(ids(r.discovered()), expected, `relay ${i} discovered exactly the others`)
    }

    // each relay keeps (dials and tags) every other one: 4 < maxRelayConnections (8)
    await Promise.all(rendezvous.map(async (r, i) => {
      await until(r, 'relay:connected', () => r.relays().length === RELAYS - 1, `relay ${i} to keep ${RELAYS - 1} connections`)
    }))
    t.diagnostic(`all ${RELAYS} relays connected to each other in ${Math.round(performance.now() - started)} ms`)
    for (const [i, r] of rendezvous.entries()) {
      assert.equal(r.alone(), false)
      for (const peer of r.relays()) {
        const stored = await relays[i]!.peerStore.get(peer)
        assert.ok(stored.tags.has(RELAY_TAG), `relay ${i} tagged ${peer.toString()}`)
      }
    }
  })

  it('a client that knows only one bootstrap address finds the relays', async (t) => {
    const client = await createNode({ dht: 'client', bootstrap: [relays[2]!.getMultiaddrs()[0]!.toString()] })
    nodes.push(client)
    const events: string[] = []
    const started = performance.now()
    // one DHT query can end before it met every provider record (on a loaded machine, peers
    // answer after the query moved on), so the client asks again, as a client would, boundedly
    const signal = AbortSignal.timeout(BOUND)
    const found = new Map<string, PeerId>()
    let queries = 0
    while (found.size < RELAYS && queries < MAX_QUERIES) {
      queries++
      const peers = await findRelays(client, {
        signal,
        max: RELAYS,
        onProgress: (evt: RendezvousProgressEvents) => { events.push(evt.type) }
      })
      assert.ok(peers.length <= RELAYS)
      for (const peer of peers) {
        assert.ok(client.getConnections(peer).length > 0, 'the relays returned are connected')
        found.set(peer.toString(), peer)
      }
    }
    t.diagnostic(`client found ${found.size} relays in ${queries} queries, ${Math.round(performance.now() - started)} ms`)
    assert.deepEqual(ids([...found.values()]), ids(relays.map(n => n.peerId)))
    assert.ok(events.includes('rendezvous:provider'))
    assert.ok(events.includes('kad-dht:query:send-query'), 'kad-dht progress is passed through')

    // a bound below the number of relays is respected
    const two = await findRelays(client, { signal: AbortSignal.timeout(BOUND), max: 2 })
    assert.ok(two.length >= 1 && two.length <= 2, `found ${two.length} with max 2`)
  })

  it('findRelays rejects with the signal\'s reason when aborted', async () => {
    const client = nodes[nodes.length - 1]!
    const controller = new AbortController()
    const reason = new Error('caller gave up')
    controller.abort(reason)
    await assert.rejects(findRelays(client, { signal: controller.signal }), (err) => err === reason)
  })

  it('a kept relay whose connection drops is re-dialled', async () => {
    const [a, b] = [relays[0]!, relays[1]!]
    const r = rendezvous[0]!
    const dropped = waitDetail<PeerId>(r, 'relay:disconnected', p => p.equals(b.peerId), 'relay 0 to see relay 1 drop')
    const back = waitDetail<PeerId>(r, 'relay:connected', p => p.equals(b.peerId), 'relay 0 to re-dial relay 1')
    await a.hangUp(b.peerId)
    await back
    await dropped
    assert.ok(a.getConnections(b.peerId).length > 0)
    assert.ok(r.relays().some(p => p.equals(b.peerId)))
  })

  it('a relay that stays down is re-dialled a bounded number of times, then given up', async () => {
    const gone = relays[RELAYS - 1]!
    const goneRendezvous = rendezvous[RELAYS - 1]!
    const watchers = rendezvous.slice(0, RELAYS - 1)
    const lost = watchers.map(async (r, i) =>
      await waitDetail<PeerId>(r, 'relay:lost', p => p.equals(gone.peerId), `relay ${i} to give up on the stopped relay`))
    await goneRendezvous.stop()
    await gone.stop()
    await Promise.all(lost)
    for (const r of watchers) {
      assert.ok(!r.relays().some(p => p.equals(gone.peerId)))
    }
  })
})

describe('rendezvous with no peers', () => {
  it('a relay with no bootstrap address runs alone, says so, and stops promptly', async () => {
    const node = await createNode({ dht: 'server' })
    const r = new Rendezvous(node, FAST)
    try {
      await r.stop() // stop before start is harmless
      const alone = waitDetail<undefined>(r, 'alone', () => true, 'the lone relay to say it is alone')
      r.start()
      await alone
      assert.equal(r.alone(), true)
      assert.deepEqual(r.relays(), [])
      assert.deepEqual(r.discovered(), [])
    } finally {
      await r.stop()
      await r.stop() // idempotent
      await node.stop()
    }
    assert.equal(r.alone(), false, 'a stopped rendezvous is not running alone, it is not running')
  })

  it('a node without a DHT cannot take part', async () => {
    const node = await createNode({})
    try {
      assert.throws(() => new Rendezvous(node), { name: 'RendezvousUnavailableError' })
    } finally {
      await node.stop()
    }
  })
})

/** The detail of the next `type` event that satisfies `match`, within the bound. */
async function waitDetail<T> (target: EventTarget, type: string, match: (detail: T) => boolean, what: string, ms = BOUND): Promise<T> {
  return await new Promise<T>((resolve, reject) => {
    const listener = (evt: Event): void => {
      const detail = (evt as CustomEvent<T>).detail
      if (!match(detail)) return
      cleanup()
      resolve(detail)
    }
    const timer = setTimeout(() => {
      cleanup()
      reject(new Error(`timed out waiting for ${what}`))
    }, ms)
    const cleanup = (): void => {
      clearTimeout(timer)
      target.removeEventListener(type, listener)
    }
    target.addEventListener(type, listener)
  })
}
