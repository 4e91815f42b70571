/**
 * An acknowledgement of more senders than one signed ack holds (MAX_ACK_ENTRIES) goes out in
 * chunks: the client records as acknowledged only the senders whose chunk some relay applied.
 * A real relay stops serving the relay protocol right after applying the first chunk, as if it
 * went down in the middle of the acknowledgement.
 */
import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { Client } from '../../src/client/index.ts'
import { MemoryState } from '../../src/client/state.ts'
import { createNode } from '../../src/node.ts'
import { MAX_ACK_ENTRIES, createTaggedRecord } from '../../src/record/index.ts'
import { RELAY_PROTOCOL } from '../../src/relay/index.ts'
import { TestNetwork, addrOf, key } from '../utils/network.ts'
import type { InboxMessage } from '../../src/client/index.ts'

const hour = 3600_000

describe('client: acknowledging more senders than one ack holds', () => {
  const net = new TestNetwork()
  after(async () => { await net.stop() })

  it('a chunk no relay applied is not recorded as acknowledged', async () => {
    // the relay holds every record acknowledged (one receiver, more senders than the default cap)
    const relay = await net.relay({ maxRecordsPerKey: 2 * MAX_ACK_ENTRIES })
    const privateKey = await key()
    // the state is kept in memory, where the test can read it
    const state = new MemoryState()
    const node = await createNode({ privateKey, listen: [] })
    const bob = new Client({ privateKey, node, ownsNode: true, state, relays: [addrOf(relay.node).toString()] })
    try {
      // one message from each of MAX_ACK_ENTRIES + 6 senders: two chunks
      const eol = Date.now() + hour
      const messages: InboxMessage[] = []
      const tag = privateKey.publicKey.toMultihash().bytes
      for (let i = 0; i < MAX_ACK_ENTRIES + 6; i++) {
        const sender = await key()
        const from = peerIdFromPrivateKey(sender)
        const record = await createTaggedRecord(sender, { tag, value: '/ipfs/bafkqaaa', sequence: 1n, eol, now: Date.now() })
        assert.equal((await relay.relay.ingest.ingest(record.bytes, { now: Date.now(), routingKey: record.routingKey, source: 'custody' })).status, 'stored')
        messages.push({ from, seq: 1n, value: '/ipfs/bafkqaaa', encrypted: false, expires: new Date(eol), record: { sequence: 1n, eol } })
      }
      // the relay goes away once it has applied the first chunk
      relay.relay.addEventListener('ack:applied', () => { void relay.node.unhandle(RELAY_PROTOCOL) }, { once: true })
      // end the receipts' custody at once once the second chunk failed (no relay is left for them)
      const controller = new AbortController()
      const failed: string[] = []
      let receipts = 0
      await assert.rejects(bob.ack(messages, {
        signal: controller.signal,
        onProgress: (evt) => {
          if (evt.type === 'ack:failed') {
            failed.push(evt.detail.error.message)
            controller.abort()
          }
          if (evt.type === 'receipt:sent' || evt.type === 'receipt:failed') receipts++
        }
      }), { name: 'RelayProtocolError', message: new RegExp(`no relay applied the acknowledgement of 6 of ${MAX_ACK_ENTRIES + 6} senders`) })
      assert.equal(receipts, MAX_ACK_ENTRIES, 'receipts only to the senders whose chunk was applied')
      assert.equal(failed.length, 1, 'the second chunk failed')
      assert.equal(relay.relay.store.stats().tombstones, MAX_ACK_ENTRIES, 'the relay applied the first chunk only')

      const data = await state.read()
      const acked = messages.map(m => data.peers[m.from.toString()]?.acked?.seq)
      assert.deepEqual(acked.slice(0, MAX_ACK_ENTRIES).filter(seq => seq !== '1'), [], 'the applied chunk is recorded')
      assert.deepEqual(acked.slice(MAX_ACK_ENTRIES), Array(6).fill(undefined), 'the chunk no relay applied is not recorded')
    } finally {
      await bob.stop()
    }
  })
})
