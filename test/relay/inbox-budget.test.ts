/**
 * The inbox budget: every cap (streams and bytes; per peer, per IP, in all) at the limit and one
 * past it, waiting for room, and the bounded and fair waiting queue.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { InboxBudget } from '../../src/relay/inbox-budget.ts'
import type { InboxLease } from '../../src/relay/inbox-budget.ts'

const KiB = 1024
const now = { timeout: 60_000 }
/** A wait that gives up at once, to probe "is there room now?". */
const instant = { timeout: 1 }

async function busy (p: Promise<unknown>): Promise<void> {
  await assert.rejects(p, (err: Error) => err.name === 'InboxBusyError')
}

describe('inbox budget', () => {
  it('streams per peer: the limit is admitted, one more waits until a slot is released', async () => {
    const budget = new InboxBudget({ maxStreamsPerPeer: 2 })
    const a = await budget.admit('p', '10.0.0.1', now)
    await budget.admit('p', '10.0.0.1', now)
    await busy(budget.admit('p', '10.0.0.1', instant))
    // another peer on the same address is not limited by p's cap
    await budget.admit('q', '10.0.0.1', now)
    const third = budget.admit('p', '10.0.0.1', now)
    assert.equal(budget.stats().waiting, 1)
    a.close()
    await third
    assert.deepEqual(budget.stats(), { streams: 3, bytes: 0, waiting: 0 })
  })

  it('streams per IP and in all: at the limit admitted, past it refused after the wait', async () => {
    const perIp = new InboxBudget({ maxStreamsPerIp: 3 })
    for (let i = 0; i < 3; i++) await perIp.admit(`p${i}`, '10.0.0.1', now)
    await busy(perIp.admit('p9', '10.0.0.1', instant))
    await perIp.admit('p9', '10.0.0.2', now)
    const total = new InboxBudget({ maxStreams: 3 })
    for (let i = 0; i < 3; i++) await total.admit(`p${i}`, `10.0.0.${i}`, now)
    await busy(total.admit('p9', '10.0.0.9', instant))
    assert.equal(total.stats().streams, 3)
  })

  it('bytes per peer, per IP and in all: a page waits for room and is refused if none frees up', async () => {
    for (const [init, peers, ips] of [
      [{ maxBytesPerPeer: 64 * KiB, pageBytes: 32 * KiB }, ['p', 'p', 'p'], ['a', 'b', 'c']],
      [{ maxBytesPerIp: 64 * KiB, pageBytes: 32 * KiB }, ['p', 'q', 'r'], ['a', 'a', 'a']],
      [{ maxBytes: 64 * KiB, pageBytes: 32 * KiB }, ['p', 'q', 'r'], ['a', 'b', 'c']]
    ] as const) {
      const budget = new InboxBudget(init)
      const leases: InboxLease[] = []
      for (let i = 0; i < 3; i++) leases.push(await budget.admit(peers[i], ips[i], now))
      await leases[0].reserve(budget.pageBytes, now)
      await leases[1].reserve(budget.pageBytes, now)
      assert.equal(budget.stats().bytes, 64 * KiB)
      await busy(leases[2].reserve(budget.pageBytes, instant))
      const waiting = leases[2].reserve(budget.pageBytes, now)
      // part of a page given back is not enough; the rest of it is
      leases[0].release(16 * KiB)
      assert.equal(budget.stats().waiting, 1)
      leases[0].close()
      await waiting
      assert.equal(budget.stats().bytes, 64 * KiB)
    }
  })

  it('a page never exceeds the smallest byte cap, and caps below one record are refused', () => {
    assert.equal(new InboxBudget({ maxBytesPerPeer: 100 * KiB }).pageBytes, 100 * KiB)
    assert.equal(new InboxBudget({ pageBytes: 64 * 1024 * KiB }).pageBytes, 1024 * KiB)
    assert.throws(() => new InboxBudget({ maxBytesPerIp: 1024 }), (err: Error) => err.name === 'InvalidParametersError')
    assert.throws(() => new InboxBudget({ maxStreams: 0 }), (err: Error) => err.name === 'InvalidParametersError')
  })

  it('the waiting queue is bounded per IP, and a less served IP takes the place of the most served', async () => {
    const budget = new InboxBudget({ maxStreams: 2, maxStreamsPerIp: 2 })
    const held = [await budget.admit('x1', '10.0.0.66', now), await budget.admit('x2', '10.0.0.66', now)]
    // the attacker's address fills the queue
    const queued = [budget.admit('x3', '10.0.0.77', now), budget.admit('x4', '10.0.0.77', now)]
    await busy(budget.admit('x5', '10.0.0.77', now))
    // an honest newcomer takes the newest attacker waiter's place
    const honest = budget.admit('h', '10.0.0.1', now)
    await busy(queued[1])
    // both remaining waiters get in as slots free
    held[0].close()
    held[1].close()
    await Promise.all([honest, queued[0]])
    assert.equal(budget.stats().streams, 2)
  })

  it('a freed slot goes to the waiter whose address holds the fewest streams', async () => {
    const budget = new InboxBudget({ maxStreams: 3 })
    const a = await budget.admit('a1', '10.0.0.66', now)
    await budget.admit('a2', '10.0.0.66', now)
    await budget.admit('b1', '10.0.0.2', now)
    const order: string[] = []
    const fromBusyHost = budget.admit('a3', '10.0.0.66', now).then(() => { order.push('a3') })
    const fromIdleHost = budget.admit('h', '10.0.0.9', now).then(() => { order.push('h') })
    a.close()
    await fromIdleHost
    assert.deepEqual(order, ['h'])
    assert.equal(budget.stats().waiting, 1)
    budget.release('b1', '10.0.0.2', { streams: 1, bytes: 0 })
    await fromBusyHost
  })
})
