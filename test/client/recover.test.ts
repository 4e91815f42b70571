/**
 * The pure parts of recovering from lost state: planning the renumbering from what relays say,
 * and carrying earlier payloads inside an envelope (sealed, nested, bounded).
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { CID } from 'multiformats/cid'
import { base64url } from 'multiformats/bases/base64'
import {
  MAX_CARRIED, MAX_CARRY_DEPTH, decodeEnvelope, encodeEnvelope, envelopeToValue, flattenEnvelope, valueToEnvelope
} from '../../src/client/payload.ts'
import { MAX_BELIEVED_SEQUENCE, planRecovery } from '../../src/client/recover.ts'
import { createTaggedRecord } from '../../src/record/index.ts'
import { inlineCid } from '../utils/foreign.ts'
import type { Envelope } from '../../src/client/payload.ts'

const at = 1_750_000_000_000
const payloadOf = (value: string): Uint8Array => CID.parse(value.slice('/ipfs/'.length), base64url).multihash.digest

describe('recovering from lost state', async () => {
  const bobKey = await generateKeyPair('Ed25519')
  const bob = peerIdFromPrivateKey(bobKey)
  const aliceKey = await generateKeyPair('Ed25519')
  const alice = peerIdFromPrivateKey(aliceKey)
  const sealed = (env: Envelope): Uint8Array => payloadOf(envelopeToValue(env, { encryptTo: bob, sender: alice }))
  const heldRecord = async (sequence: bigint, value: string): Promise<any> => createTaggedRecord(aliceKey, { tag: bob, value, sequence, now: at })

  it('plans nothing when relays know no more than the state', () => {
    assert.equal(planRecovery({ acked: -1n, failed: [] }, 0n), undefined)
    assert.equal(planRecovery({ acked: 3n, failed: [] }, 3n), undefined)
    assert.equal(planRecovery({ acked: -1n, failed: [] }, 5n, { acked: 4n, held: 5n }), undefined)
  })

  it('numbers above the acknowledged sequence, and carries an unacknowledged record the state did not know', async () => {
    assert.deepEqual(planRecovery({ acked: 3n, failed: [] }, 0n), { above: 3n })
    const value = envelopeToValue({ messages: [{ seq: 5n, at, text: 'unread' }], receipts: [] }, { encryptTo: bob, sender: alice })
    const held = await heldRecord(5n, value)
    const plan = planRecovery({ acked: 3n, held, failed: [] }, 0n)
    assert.equal(plan?.above, 5n)
    assert.equal(plan?.carry?.seq, '5')
    assert.deepEqual(new Uint8Array(Buffer.from(plan?.carry?.payload ?? '', 'base64')), payloadOf(value))
    assert.equal(plan?.carry?.expires, held.eol)
    // a held record at or below the acknowledged sequence was read: nothing to carry
    assert.equal(planRecovery({ acked: 5n, held, failed: [] }, 0n)?.carry, undefined)
    // a held record that is not an ipts payload cannot be carried: it is named as replaced
    const foreign = await heldRecord(6n, `/ipfs/${inlineCid('hello').toString()}`)
    assert.deepEqual(planRecovery({ acked: -1n, held: foreign, failed: [] }, 0n), { above: 6n, uncarried: 6n })
  })

  it('does not believe sequences a relay could only invent', () => {
    assert.equal(planRecovery({ acked: -1n, failed: [] }, 0n, { acked: MAX_BELIEVED_SEQUENCE, held: (1n << 64n) - 1n }), undefined)
    assert.deepEqual(planRecovery({ acked: -1n, failed: [] }, 0n, { acked: MAX_BELIEVED_SEQUENCE - 1n }), { above: MAX_BELIEVED_SEQUENCE - 1n })
  })

  it('an envelope carries earlier payloads; the receiver opens them (nested too) and sees each message once, in order', () => {
    const first = sealed({ messages: [{ seq: 1n, at, text: 'one' }], receipts: [] })
    const second = sealed({ messages: [{ seq: 1n, at, text: 'one' }, { seq: 2n, at, text: 'two' }], receipts: [{ seq: 9n, at }], carried: [first] })
    const outer: Envelope = { messages: [{ seq: 3n, at, text: 'three' }], receipts: [], carried: [second] }
    assert.deepEqual(decodeEnvelope(encodeEnvelope(outer)), outer)
    const opened = valueToEnvelope(envelopeToValue(outer, { encryptTo: bob, sender: alice }), { privateKey: bobKey, sender: alice })
    assert.ok(opened.envelope != null)
    const { envelope, unreadable } = flattenEnvelope(opened.envelope, { privateKey: bobKey, sender: alice })
    assert.equal(unreadable, 0)
    assert.deepEqual(envelope.messages.map(m => [m.seq, m.text]), [[1n, 'one'], [2n, 'two'], [3n, 'three']])
    assert.deepEqual(envelope.receipts.map(r => r.seq), [9n])
  })

  it('carried payloads that do not open (another signer, garbage, too deep) are counted, not thrown', async () => {
    const mallory = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
    const otherSigner = payloadOf(envelopeToValue({ messages: [{ seq: 1n, at, text: 'x' }], receipts: [] }, { encryptTo: bob, sender: mallory }))
    let nested = sealed({ messages: [{ seq: 1n, at, text: 'deepest' }], receipts: [] })
    for (let depth = 0; depth < MAX_CARRY_DEPTH; depth++) nested = sealed({ messages: [], receipts: [], carried: [nested] })
    const env: Envelope = { messages: [{ seq: 7n, at, text: 'outer' }], receipts: [], carried: [otherSigner, new Uint8Array([1, 2, 3]), nested] }
    const { envelope, unreadable } = flattenEnvelope(env, { privateKey: bobKey, sender: alice })
    assert.equal(unreadable, 3)
    assert.deepEqual(envelope.messages.map(m => m.text), ['outer'])
  })

  it(`at most ${MAX_CARRIED} carried payloads per envelope`, () => {
    const many = Array.from({ length: MAX_CARRIED + 1 }, () => new Uint8Array([0]))
    assert.throws(() => encodeEnvelope({ messages: [], receipts: [], carried: many }), { name: 'MalformedPayloadError' })
    assert.doesNotThrow(() => encodeEnvelope({ messages: [], receipts: [], carried: many.slice(1) }))
  })
})
