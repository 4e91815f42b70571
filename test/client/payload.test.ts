import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import * as dagCbor from '@ipld/dag-cbor'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { createIPNSRecord, marshalIPNSRecord } from 'ipns'
import { base32 } from 'multiformats/bases/base32'
import { base64url } from 'multiformats/bases/base64'
import { CID } from 'multiformats/cid'
import { identity } from 'multiformats/hashes/identity'
import { sha256 } from 'multiformats/hashes/sha2'
import {
  RECORD_OVERHEAD_BYTES, decodeEnvelope, encodeEnvelope, envelopeToValue, fitsInline, maxInlineBytes, valueToEnvelope
} from '../../src/client/payload.ts'
import { MAX_RECORD_SIZE } from '../../src/constants.ts'
import type { Envelope } from '../../src/client/payload.ts'

const at = 1_750_000_000_000

const sample: Envelope = {
  messages: [
    { seq: 1n, at, text: 'first, still unread' },
    { seq: 2n, at: at + 1, data: new Uint8Array([0, 1, 2, 255]), name: 'notes.bin', text: 'a file' },
    { seq: 18446744073709551615n, at: at + 2, cid: 'bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy' }
  ],
  receipts: [
    { seq: 7n, at: at + 3 },
    { seq: 9n, at: at + 4 }
  ]
}

function oneText (length: number): Envelope {
  return { messages: [{ seq: 1n, at, text: 'x'.repeat(length) }], receipts: [] }
}

/** Largest single-message ASCII text that fits, found through fitsInline. */
function largestText (encrypted: boolean, recipient: Uint8Array): number {
  let lo = 0
  let hi = MAX_RECORD_SIZE
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2)
    if (fitsInline(oneText(mid), encrypted ? { encryptTo: recipient } : {})) lo = mid
    else hi = mid
  }
  return lo
}

function inlineValue (payload: Uint8Array, codec = 0x55): string {
  return '/ipfs/' + CID.createV1(codec, identity.digest(payload)).toString(base64url)
}

/** Small seeded PRNG (xorshift32): reproducible fuzz inputs. */
function rng (seed: number): () => number {
  let x = seed
  return () => {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    return (x >>> 0) / 0x100000000
  }
}

describe('payload', () => {
  it('round trips an envelope with 3 messages and 2 receipts through a plain value', () => {
    const value = envelopeToValue(sample)
    assert.match(value, /^\/ipfs\/u[A-Za-z0-9_-]+$/)
    assert.deepEqual(valueToEnvelope(value), { envelope: sample, encrypted: false })
    assert.deepEqual(decodeEnvelope(encodeEnvelope(sample)), sample)
    // the same CID in base32 reads the same
    const b32 = '/ipfs/' + CID.parse(value.slice(6), base64url).toString(base32)
    assert.deepEqual(valueToEnvelope(b32).envelope, sample)
  })

  it('round trips through a sealed value, for the recipient only', async () => {
    const bob = await generateKeyPair('Ed25519')
    const eve = await generateKeyPair('Ed25519')
    const value = envelopeToValue(sample, { encryptTo: peerIdFromPrivateKey(bob) })
    assert.deepEqual(valueToEnvelope(value, { privateKey: bob }), { envelope: sample, encrypted: true })
    assert.deepEqual(valueToEnvelope(value, { privateKey: eve }), { encrypted: true })
    assert.deepEqual(valueToEnvelope(value), { encrypted: true })
    const payload = CID.parse(value.slice(6), base64url).multihash.digest
    assert.equal(Buffer.from(payload).indexOf('first, still unread'), -1)
    assert.notEqual(envelopeToValue(sample, { encryptTo: bob.publicKey.raw }), value)
  })

  it('binds the sender: a sealed payload copied into another signer\'s record stays closed', async () => {
    const alice = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
    const mallory = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
    const bob = await generateKeyPair('Ed25519')
    const value = envelopeToValue(sample, { encryptTo: bob.publicKey.raw, sender: alice })
    assert.deepEqual(valueToEnvelope(value, { privateKey: bob, sender: alice }).envelope, sample)
    assert.deepEqual(valueToEnvelope(value, { privateKey: bob, sender: mallory }), { encrypted: true })
    assert.deepEqual(valueToEnvelope(value, { privateKey: bob }), { encrypted: true })
  })

  it('passes pointers through', async () => {
    const sha = CID.createV1(0x55, await sha256.digest(new TextEncoder().encode('big file')))
    const pointers = [
      `/ipfs/${sha.toString()}`,
      `/ipfs/${sha.toString(base64url)}`,
      `/ipfs/${sha.toString()}/dir/file.txt`,
      '/ipfs/QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG',
      '/ipns/k51qzi5uqu5dlvj2baxnqndepeb86cbk3ng7n3i46uzyxzyqj2xjonzllnv0v8',
      '/ipfs/not-a-cid',
      // inline, but dag-pb rather than raw: real IPFS content, not an ipts payload
      inlineValue(new Uint8Array([0x0a, 0x02, 0x08, 0x01]), 0x70),
      'plain text'
    ]
    for (const value of pointers) {
      assert.deepEqual(valueToEnvelope(value), { encrypted: false, pointer: value }, value)
    }
  })

  it('documents its budget: a message of the largest fitting text is accepted, one more byte is refused', async () => {
    const bob = await generateKeyPair('Ed25519')
    const budget = MAX_RECORD_SIZE - RECORD_OVERHEAD_BYTES
    for (const encrypted of [false, true]) {
      const options = encrypted ? { encryptTo: bob.publicKey.raw } : {}
      const largest = largestText(encrypted, bob.publicKey.raw)
      const value = envelopeToValue(oneText(largest), options)
      // fits, and tightly: base64url adds 4 characters per 3 bytes, so one more byte would not fit
      assert.ok(value.length <= budget, `value ${value.length} <= ${budget}`)
      assert.ok(budget - value.length < 2, `value ${value.length} uses the budget ${budget}`)
      assert.throws(() => envelopeToValue(oneText(largest + 1), options), { name: 'PayloadTooLargeError' })
      assert.throws(() => envelopeToValue(oneText(largest + 1000), options), { name: 'PayloadTooLargeError' })
      assert.equal(fitsInline(oneText(largest + 1), options), false)
      assert.equal(encodeEnvelope(oneText(largest)).byteLength, maxInlineBytes({ encrypted }))
      assert.equal(valueToEnvelope(value, { privateKey: bob }).envelope?.messages[0].text?.length, largest)
      // the measured figures quoted in docs/protocol.md section 7
      assert.equal(largest, encrypted ? 7311 : 7409)
      // a real V2 IPNS record with this value, sequence and lifetime at their widest, stays within
      // the limit with room for the Tag and the embedded public key
      const record = await createIPNSRecord(bob, value, 18446744073709551615n, 365 * 24 * 3600 * 1000, { v1Compatible: false })
      const size = marshalIPNSRecord(record).byteLength
      assert.ok(size + 90 <= MAX_RECORD_SIZE, `record ${size} B + Tag and pubKey`)
    }
  })

  it('stays within the budget when receipts pile up', () => {
    const receipts = Array.from({ length: 400 }, (_, i) => ({ seq: BigInt(i + 1), at: at + i }))
    const value = envelopeToValue({ messages: [], receipts })
    assert.ok(value.length <= MAX_RECORD_SIZE - RECORD_OVERHEAD_BYTES)
    assert.equal(valueToEnvelope(value).envelope?.receipts.length, 400)
  })

  it('refuses malformed envelopes with MalformedPayloadError', () => {
    const bad: unknown[] = [
      1, 'm', [], null,
      { m: 'x', r: [] },
      { m: [{ s: -1, a: at }], r: [] },
      { m: [{ s: 1, a: -5 }], r: [] },
      { m: [{ s: 1, a: 1.5 }], r: [] },
      { m: [{ s: 1, a: 2n ** 60n }], r: [] },
      { m: [{ s: 1, a: at, t: new Uint8Array(1) }], r: [] },
      { m: [{ s: 1, a: at, d: 'text' }], r: [] },
      { m: [{ s: 1, a: at, f: 'x'.repeat(256) }], r: [] },
      { m: [{ s: 1 }], r: [] },
      { m: [], r: [{ s: 'one', a: at }] },
      { m: [], r: [[1, at]] },
      { m: [], r: Array.from({ length: 1025 }, () => ({ s: 1, a: 1 })) }
    ]
    for (const wire of bad) {
      assert.throws(() => decodeEnvelope(dagCbor.encode(wire)), { name: 'MalformedPayloadError' }, JSON.stringify(wire, (_, v) => typeof v === 'bigint' ? String(v) : v))
    }
    assert.throws(() => decodeEnvelope(new Uint8Array([0xff])), { name: 'MalformedPayloadError' })
    assert.throws(() => decodeEnvelope(new Uint8Array(MAX_RECORD_SIZE + 1)), { name: 'MalformedPayloadError' })
    // unknown keys are room for later versions, not errors
    assert.deepEqual(decodeEnvelope(dagCbor.encode({ m: [{ s: 1, a: 2, z: 3 }], r: [], x: true })), { messages: [{ seq: 1n, at: 2 }], receipts: [] })
    // and encoding checks the same rules
    assert.throws(() => encodeEnvelope({ messages: [{ seq: -1n, at }], receipts: [] }), { name: 'MalformedPayloadError' })
    assert.throws(() => encodeEnvelope({ messages: [{ seq: 2n ** 64n, at }], receipts: [] }), { name: 'MalformedPayloadError' })
    assert.throws(() => encodeEnvelope({ messages: [], receipts: [{ seq: 1n, at: Number.NaN }] }), { name: 'MalformedPayloadError' })
  })

  it('refuses malformed inline payloads with MalformedPayloadError', () => {
    const bad: unknown[] = [
      { v: 2, env: { m: [], r: [] } },
      { env: { m: [], r: [] } },
      { v: 1, env: { m: [], r: [] }, sealed: new Uint8Array(100) },
      { v: 1, sealed: 'not bytes' },
      { v: 1, env: 'not a map' },
      { v: 1, sealed: null }
    ]
    for (const payload of bad) {
      assert.throws(() => valueToEnvelope(inlineValue(dagCbor.encode(payload))), { name: 'MalformedPayloadError' })
    }
  })

  it('takes inline raw payloads that are not ipts payloads (no env or sealed) for other tools\' content', () => {
    const foreign = [
      new TextEncoder().encode('hello'),
      dagCbor.encode({ v: 1 }),
      dagCbor.encode([1, 2]),
      dagCbor.encode({ hello: 'world' }),
      new Uint8Array([0xff, 0x00]),
      new Uint8Array(0)
    ]
    for (const payload of foreign) {
      const value = inlineValue(payload)
      assert.deepEqual(valueToEnvelope(value), { encrypted: false, pointer: value }, Buffer.from(payload).toString('hex'))
    }
  })

  it('fuzz: random and mutated inputs raise only typed errors', async () => {
    const bob = await generateKeyPair('Ed25519')
    const next = rng(0x1f2e3d4c)
    const byte = (): number => Math.floor(next() * 256)
    const plain = new Uint8Array(CID.parse(envelopeToValue(sample).slice(6), base64url).multihash.digest)
    const sealed = new Uint8Array(CID.parse(envelopeToValue(sample, { encryptTo: bob.publicKey.raw }).slice(6), base64url).multihash.digest)
    const envBytes = encodeEnvelope(sample)
    const allowed = new Set(['MalformedPayloadError'])
    const outcomes = { ok: 0, malformed: 0, closed: 0 }
    for (let i = 0; i < 4000; i++) {
      let input: Uint8Array
      const kind = i % 4
      if (kind === 0) {
        input = Uint8Array.from({ length: Math.floor(next() * 64) }, byte)
      } else {
        // flip, insert or delete a few bytes of a valid input
        const source = kind === 1 ? plain : kind === 2 ? sealed : envBytes
        const arr = Array.from(source)
        for (let k = 1 + Math.floor(next() * 3); k > 0; k--) {
          const at = Math.floor(next() * arr.length)
          const op = next()
          if (op < 0.6) arr[at] = byte()
          else if (op < 0.8) arr.splice(at, 0, byte())
          else arr.splice(at, 1)
        }
        input = Uint8Array.from(arr)
      }
      try {
        if (kind === 3) {
          decodeEnvelope(input)
          outcomes.ok++
        } else {
          const result = valueToEnvelope(inlineValue(input), { privateKey: bob })
          if (result.envelope == null) outcomes.closed++
          else outcomes.ok++
        }
      } catch (err) {
        assert.ok(err instanceof Error && allowed.has(err.name), `input ${Buffer.from(input).toString('hex')} threw ${String(err)}`)
        outcomes.malformed++
      }
    }
    // the fuzz reached every outcome, so it exercised more than the first check
    assert.ok(outcomes.ok > 0 && outcomes.malformed > 0 && outcomes.closed > 0, JSON.stringify(outcomes))
  })
})
