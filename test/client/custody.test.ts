/**
 * Custody against real relays over TCP: retries with backoff until a relay answers, gives up
 * with CustodyTimeoutError when the caller's signal ends the wait (also when it had already
 * ended), and a receiver that never answers ends `waitForReceipt` with ReceiptTimeoutError.
 */
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { createClient } from '../../src/client/index.ts'
import { ensureCustody } from '../../src/client/custody.ts'
import { createNode } from '../../src/node.ts'
import { createTaggedRecord } from '../../src/record/index.ts'
import { Relay } from '../../src/relay/relay.ts'
import { TestNetwork, addrOf, key, tempDir } from '../utils/network.ts'
import type { ClientProgressEvent } from '../../src/client/index.ts'
import type { IptsNode } from '../../src/node.ts'
import type { IptsRecord } from '../../src/record/index.ts'
import type { RelayHandle } from '../../src/relay/index.ts'

const hour = 3600_000

/** Rejects if `promise` has not settled within `ms`: the defect is a promise that never settles. */
async function settles<T> (promise: Promise<T>, ms = 10_000): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const never = new Promise<never>((_resolve, reject) => { timer = setTimeout(() => { reject(new Error(`still pending after ${ms} ms`)) }, ms) })
  try {
    return await Promise.race([promise, never])
  } finally {
    clearTimeout(timer)
  }
}

describe('custody', () => {
  const net = new TestNetwork()
  let relay: RelayHandle
  let sender: IptsNode
  let record: IptsRecord

  before(async () => {
    relay = await net.relay()
    const senderKey = await key()
    sender = await net.node({ privateKey: senderKey })
    await sender.dial(addrOf(relay.node))
    record = await createTaggedRecord(senderKey, { tag: (await key()).publicKey.toMultihash().bytes, value: '/ipfs/bafkqaaa', sequence: 1n, lifetime: hour, now: Date.now() })
  })
  after(async () => { await net.stop() })

  it('with a signal that has already ended, fails at once with CustodyTimeoutError', async () => {
    const controller = new AbortController()
    controller.abort()
    await assert.rejects(settles(ensureCustody(sender, [relay.node.peerId], record, { minRelays: 1, signal: controller.signal })), { name: 'CustodyTimeoutError' })
  })

  it('retries a peer that does not answer the relay protocol, then fails with CustodyTimeoutError naming why', async () => {
    const silent = await net.node({ listen: ['/ip4/127.0.0.1/tcp/0'] })
    await sender.dial(addrOf(silent))
    const controller = new AbortController()
    const retries: ClientProgressEvent[] = []
    const custody = ensureCustody(sender, [silent.peerId], record, {
      minRelays: 1,
      signal: controller.signal,
      onProgress: (evt) => {
        if (evt.type !== 'custody:retry') return
        retries.push(evt)
        // end the wait on the third attempt's failure, not on a clock
        if (retries.length === 3) controller.abort()
      }
    })
    await assert.rejects(settles(custody, 60_000), (err: Error) => {
      assert.equal(err.name, 'CustodyTimeoutError')
      assert.match(err.message, /0 of 1 relays confirmed custody in time/)
      assert.match(err.message, /protocol/i, 'names the last error')
      return true
    })
    // backoff: each delay doubles from RETRY_MIN
    assert.deepEqual(retries.map(e => e.type === 'custody:retry' ? e.detail.delay : 0), [250, 500, 1000])
  })

  it('keeps retrying a relay that is not up yet and confirms once it is', async () => {
    const dir = await tempDir('ipts-custody-')
    const node = await createNode({ listen: ['/ip4/127.0.0.1/tcp/0'], relay: true })
    net.nodes.push(node)
    const late = new Relay(node, { path: join(dir.path, 'relay') })
    let started: Promise<void> | undefined
    try {
      await sender.dial(addrOf(node))
      const events: string[] = []
      const result = await settles(ensureCustody(sender, [node.peerId], record, {
        minRelays: 1,
        signal: AbortSignal.timeout(60_000),
        onProgress: (evt) => {
          events.push(evt.type)
          if (evt.type === 'custody:retry' && started == null) started = late.start()
        }
      }), 60_000)
      assert.equal(result.confirmed.length, 1)
      assert.ok(result.confirmed[0].equals(node.peerId))
      assert.equal(result.held, 1n)
      assert.equal(events[0], 'custody:retry')
      assert.equal(events.at(-1), 'custody:confirmed')
      assert.equal(late.store.stats().records, 1)
    } finally {
      await started
      await late.stop()
      await dir.cleanup()
    }
  })

  it('waitForReceipt gives up with ReceiptTimeoutError when no receipt comes', async () => {
    const dir = await tempDir('ipts-receipt-')
    const client = await createClient({ repo: join(dir.path, 'alice'), relays: [addrOf(relay.node).toString()] })
    try {
      const bob = await key()
      await assert.rejects(settles(client.waitForReceipt(bob.publicKey.toString(), 1n, { timeout: 1000 }), 60_000), (err: Error) => {
        assert.equal(err.name, 'ReceiptTimeoutError')
        assert.match(err.message, /no receipt from .* for message 1 within 1 s/)
        return true
      })
    } finally {
      await client.stop()
      await dir.cleanup()
    }
  })
})
