/**
 * A receiver with 10,000 pending records drains them all through the paged inbox protocol.
 * (Time and peak memory of both sides are measured by `npm run bench`, not asserted here.)
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { createTaggedRecord, tagRoutingKey, RecordValidator } from '../../src/record/index.ts'
import { RelayRequest } from '../../src/pb/relay.ts'
import { TestNetwork, addrOf, key, relayRequest } from '../utils/network.ts'
import type { RelayHandle } from '../../src/relay/index.ts'

const COUNT = 10_000

describe('relay: draining a large inbox', () => {
  const net = new TestNetwork()
  let relay: RelayHandle
  const bobKeyP = key()
  let routingKey: Uint8Array

  before(async () => {
    relay = await net.relay({ maxRecordsPerKey: COUNT })
    const bob = (await bobKeyP).publicKey.toMultihash().bytes
    routingKey = tagRoutingKey(bob)
    const now = Date.now()
    // 10,000 senders, one record each, stored through the relay's one ingest path
    for (let i = 0; i < COUNT; i += 500) {
      const batch = await Promise.all(Array.from({ length: Math.min(500, COUNT - i) }, async () => {
        const record = await createTaggedRecord(await key(), { tag: bob, value: '/ipfs/bafkqaaa', sequence: 1n, lifetime: 3_600_000, now })
        return record.bytes
      }))
      for (const bytes of batch) {
        const result = await relay.relay.ingest.ingest(bytes, { now, routingKey, source: 'custody' })
        assert.equal(result.status, 'stored')
      }
    }
  })
  after(async () => { await net.stop() })

  it('Bob drains 10,000 records in pages, each exactly once, all valid', async () => {
    const bob = await net.node({ privateKey: await bobKeyP })
    await bob.dial(addrOf(relay.node))
    const pages = await relayRequest(bob, relay.node, { type: RelayRequest.Type.INBOX, key: routingKey, pageSize: 256 })
    assert.ok(pages.length >= Math.ceil(COUNT / 256), `${pages.length} pages`)
    assert.ok(pages.every(p => p.records.length <= 256))
    const validator = new RecordValidator()
    const signers = new Set<string>()
    for (const page of pages) {
      for (const bytes of page.records) {
        const record = validator.validate(bytes, { now: Date.now(), routingKey })
        signers.add(Buffer.from(record.signer).toString('hex'))
      }
    }
    assert.equal(signers.size, COUNT)
    assert.equal(pages.flatMap(p => p.records).length, COUNT)
  })

  it('a drain resumes from a cursor', async () => {
    const client = await net.node()
    await client.dial(addrOf(relay.node))
    const first = await relayRequest(client, relay.node, { type: RelayRequest.Type.INBOX, key: routingKey, pageSize: 100 })
    const cursor = first[9].cursor
    assert.ok(cursor != null)
    const rest = await relayRequest(client, relay.node, { type: RelayRequest.Type.INBOX, key: routingKey, pageSize: 100, cursor })
    assert.equal(rest.flatMap(p => p.records).length, COUNT - 1000)
  })
})

describe('relay: inbox pages are bounded by bytes', () => {
  const net = new TestNetwork()
  after(async () => { await net.stop() })

  it('40 records of ~5 KB drain in pages of at most `pageBytes` of records, each record once', async () => {
    const pageBytes = 64 * 1024
    const relay = await net.relay({ inbox: { pageBytes } })
    const bob = (await key()).publicKey.toMultihash().bytes
    const routingKey = tagRoutingKey(bob)
    const now = Date.now()
    for (let i = 0; i < 40; i++) {
      const record = await createTaggedRecord(await key(), { tag: bob, value: '/ipfs/' + 'a'.repeat(4800), sequence: 1n, lifetime: 3_600_000, now })
      assert.equal((await relay.relay.ingest.ingest(record.bytes, { now, routingKey, source: 'custody' })).status, 'stored')
    }
    const client = await net.node()
    await client.dial(addrOf(relay.node))
    const pages = await relayRequest(client, relay.node, { type: RelayRequest.Type.INBOX, key: routingKey })
    for (const page of pages) {
      const bytes = page.records.reduce((n, r) => n + r.length, 0)
      assert.ok(bytes <= pageBytes, `a page of ${bytes} bytes`)
    }
    const total = pages.reduce((n, p) => n + p.records.reduce((m, r) => m + r.length, 0), 0)
    assert.ok(total > 3 * pageBytes)
    assert.ok(pages.length >= Math.ceil(total / pageBytes), `${pages.length} pages for ${total} bytes`)
    assert.equal(new Set(pages.flatMap(p => p.records.map(r => Buffer.from(r).toString('base64')))).size, 40)
    assert.equal(relay.relay.status().inbox.bytes, 0)
  })
})
