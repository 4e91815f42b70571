/** The next record to a peer: what it carries, how it is numbered, when it is sealed, when it is refused. */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { draftRecord } from '../../src/client/outbox.ts'
import { valueToEnvelope } from '../../src/client/payload.ts'
import { emptyState, peerState } from '../../src/client/state.ts'
import type { NewMessage } from '../../src/client/outbox.ts'

const hour = 3_600_000

describe('outbox drafts', async () => {
  const bobKey = await generateKeyPair('Ed25519')
  const bob = peerIdFromPrivateKey(bobKey)
  const alice = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
  const text = (t: string, extra: Partial<NewMessage> = {}): NewMessage => ({ text: t, encrypt: true, lifetime: 24 * hour, ...extra })
  const open = (value: string) => valueToEnvelope(value, { privateKey: bobKey, sender: alice })

  it('numbers records 1, 2, 3 and carries every message not acknowledged yet', () => {
    const state = peerState(emptyState(), bob.toString())
    const drafts = ['a', 'b', 'c'].map((t, i) => draftRecord(state, { to: bob, from: alice, message: text(t), receiptLifetime: hour, now: 1000 + i }))
    assert.deepEqual(drafts.map(d => d.sequence), [1n, 2n, 3n])
    const last = open(drafts[2].value)
    assert.equal(last.encrypted, true)
    assert.deepEqual(last.envelope?.messages.map(m => [m.seq, m.text]), [[1n, 'a'], [2n, 'b'], [3n, 'c']])
    assert.equal(drafts[2].eol, 1002 + 24 * hour, 'the record lives as long as its longest-lived message')
  })

  it('carries our receipt for the peer, and a receipt-only record when there is nothing to say', () => {
    const state = peerState(emptyState(), bob.toString())
    state.acked = { seq: '9', at: 500 }
    const draft = draftRecord(state, { to: bob, from: alice, receiptLifetime: hour, now: 1000 })
    assert.equal(draft.sequence, 1n)
    assert.equal(draft.eol, 1000 + hour)
    assert.equal(draft.encrypted, true)
    assert.deepEqual(open(draft.value).envelope, { messages: [], receipts: [{ seq: 9n, at: 500 }] })
  })

  it('drops expired messages', () => {
    const state = peerState(emptyState(), bob.toString())
    draftRecord(state, { to: bob, from: alice, message: text('short', { lifetime: 10 }), receiptLifetime: hour, now: 0 })
    const draft = draftRecord(state, { to: bob, from: alice, message: text('later'), receiptLifetime: hour, now: 100 })
    assert.deepEqual(open(draft.value).envelope?.messages.map(m => m.text), ['later'])
  })

  it('a --no-encrypt message stays sealed while an earlier sealed one shares its record', () => {
    const state = peerState(emptyState(), bob.toString())
    draftRecord(state, { to: bob, from: alice, message: text('secret'), receiptLifetime: hour, now: 0 })
    const mixed = draftRecord(state, { to: bob, from: alice, message: text('public', { encrypt: false }), receiptLifetime: hour, now: 1 })
    assert.equal(mixed.encrypted, true)
    const alone = peerState(emptyState(), bob.toString())
    const plain = draftRecord(alone, { to: bob, from: alice, message: text('public', { encrypt: false }), receiptLifetime: hour, now: 1 })
    assert.equal(plain.encrypted, false)
    assert.equal(valueToEnvelope(plain.value).envelope?.messages[0].text, 'public', 'readable without a key')
  })

  it('refuses a message too large for a record, and one that no longer fits beside the unread ones', () => {
    const state = peerState(emptyState(), bob.toString())
    assert.throws(() => draftRecord(state, { to: bob, from: alice, message: text('x'.repeat(20_000)), receiptLifetime: hour, now: 0 }), { name: 'PayloadTooLargeError' })
    assert.equal(state.seq, '0', 'nothing taken')
    for (let i = 0; i < 3; i++) {
      draftRecord(state, { to: bob, from: alice, message: text('y'.repeat(2000)), receiptLifetime: hour, now: i })
    }
    assert.throws(() => draftRecord(state, { to: bob, from: alice, message: text('z'.repeat(2000)), receiptLifetime: hour, now: 9 }), { name: 'OutboxFullError' })
    assert.equal(state.seq, '3')
    assert.equal(state.outbox.length, 3)
  })
})
