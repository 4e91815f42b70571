/** What the receiver makes of the records it is handed: copies, stale versions, forgeries, sealed payloads. */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { InboxReader } from '../../src/client/inbox.ts'
import { envelopeToValue } from '../../src/client/payload.ts'
import { createTaggedRecord } from '../../src/record/index.ts'
import type { Envelope } from '../../src/client/payload.ts'
import type { PrivateKey, PeerId } from '@libp2p/interface'

const now = 1_700_000_000_000

async function record (signer: PrivateKey, to: PeerId, sequence: bigint, env: Envelope | string, seal = true): Promise<Uint8Array> {
  const value = typeof env === 'string'
    ? env
    : envelopeToValue(env, { encryptTo: seal ? to : undefined, sender: peerIdFromPrivateKey(signer) })
  return (await createTaggedRecord(signer, { tag: to, value, sequence, now })).bytes
}

const msg = (seq: bigint, text: string) => ({ seq, at: now, text })

describe('InboxReader', async () => {
  const bobKey = await generateKeyPair('Ed25519')
  const bob = peerIdFromPrivateKey(bobKey)
  const aliceKey = await generateKeyPair('Ed25519')
  const alice = peerIdFromPrivateKey(aliceKey)
  const malloryKey = await generateKeyPair('Ed25519')

  it('reads a sealed record, and skips the same bytes from another relay without verifying them again', async () => {
    const reader = new InboxReader({ privateKey: bobKey })
    const bytes = await record(aliceKey, bob, 1n, { messages: [msg(1n, 'hi')], receipts: [] })
    const first = reader.read(bytes, now)
    assert.equal(first.status, 'new')
    assert.ok(first.status === 'new')
    assert.equal(first.received.from.toString(), alice.toString())
    assert.deepEqual(first.received.messages.map(m => [m.seq, m.text, m.encrypted]), [[1n, 'hi', true]])
    assert.equal(reader.read(bytes, now).status, 'duplicate')
  })

  it('delivers each message once: a later record re-carrying unread messages adds only the new one; an older record is stale', async () => {
    const reader = new InboxReader({ privateKey: bobKey })
    const r1 = await record(aliceKey, bob, 1n, { messages: [msg(1n, 'a')], receipts: [] })
    const r2 = await record(aliceKey, bob, 2n, { messages: [msg(1n, 'a'), msg(2n, 'b')], receipts: [] })
    const got2 = reader.read(r2, now)
    assert.ok(got2.status === 'new')
    assert.deepEqual(got2.received.messages.map(m => m.text), ['a', 'b'])
    assert.equal(reader.read(r1, now).status, 'stale')
    const r3 = await record(aliceKey, bob, 3n, { messages: [msg(1n, 'a'), msg(2n, 'b'), msg(3n, 'c')], receipts: [{ seq: 4n, at: now }] })
    const got3 = reader.read(r3, now)
    assert.ok(got3.status === 'new')
    assert.deepEqual(got3.received.messages.map(m => m.text), ['c'])
    assert.deepEqual(got3.received.receipts, [{ seq: 4n, at: now }])
  })

  it('hides messages acknowledged in an earlier run', async () => {
    const reader = new InboxReader({ privateKey: bobKey, acked: from => (from === alice.toString() ? 2n : -1n) })
    const got = reader.read(await record(aliceKey, bob, 3n, { messages: [msg(1n, 'a'), msg(2n, 'b'), msg(3n, 'c')], receipts: [] }), now)
    assert.ok(got.status === 'new')
    assert.deepEqual(got.received.messages.map(m => m.text), ['c'])
  })

  it('rejects a record tagged for someone else, and an expired one', async () => {
    const reader = new InboxReader({ privateKey: bobKey })
    const forOther = await record(aliceKey, peerIdFromPrivateKey(malloryKey), 1n, { messages: [msg(1n, 'x')], receipts: [] })
    const wrongTag = reader.read(forOther, now)
    assert.equal(wrongTag.status, 'invalid')
    assert.ok(wrongTag.status === 'invalid')
    assert.equal(wrongTag.error.name, 'KeyMismatchError')
    const bytes = await record(aliceKey, bob, 1n, { messages: [msg(1n, 'x')], receipts: [] })
    const late = reader.read(bytes, now + 365 * 86_400_000)
    assert.ok(late.status === 'invalid')
    assert.equal(late.error.name, 'RecordExpiredError')
  })

  it('a sealed payload copied into another signer\'s record does not open (the seal binds the sender)', async () => {
    const reader = new InboxReader({ privateKey: bobKey })
    const value = envelopeToValue({ messages: [msg(1n, 'from alice')], receipts: [] }, { encryptTo: bob, sender: alice })
    const copied = (await createTaggedRecord(malloryKey, { tag: bob, value, sequence: 1n, now })).bytes
    const got = reader.read(copied, now)
    assert.ok(got.status === 'new')
    assert.equal(got.received.readable, false)
    assert.deepEqual(got.received.messages, [])
  })

  it('a plain tagged record (a pointer, not an ipts payload) is one message numbered by the record', async () => {
    const reader = new InboxReader({ privateKey: bobKey })
    const got = reader.read(await record(aliceKey, bob, 5n, '/ipfs/bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy'), now)
    assert.ok(got.status === 'new')
    assert.deepEqual(got.received.messages.map(m => [m.seq, m.value, m.cid, m.encrypted]), [[5n, '/ipfs/bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy', 'bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy', false]])
    assert.equal(got.received.readable, true)
  })
})
