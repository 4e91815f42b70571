import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { AckBody, SignedAck } from '../../src/pb/ack.ts'
import { createAck, validateAck, MAX_ACK_ENTRIES } from '../../src/record/index.ts'
import { ed25519, hex, NOW, rsa, secp256k1 } from './helpers.ts'
import type { AckEntry } from '../../src/record/index.ts'

describe('record: acknowledgements', () => {
  it('create -> bytes -> validate round trip (Ed25519, secp256k1 and RSA receivers)', async () => {
    const alice = await ed25519(1)
    const carol = await ed25519(3)
    const entries: AckEntry[] = [
      { signer: alice.publicKey.toMultihash().bytes, sequence: 3n, eol: NOW + 1000 },
      { signer: carol.publicKey.toMultihash().bytes, sequence: 2n ** 64n - 1n, eol: NOW }
    ]

    for (const receiver of [await ed25519(2), secp256k1(4), rsa()]) {
      const ack = await createAck(receiver, { entries, now: NOW })
      const validated = validateAck(ack.bytes)

      assert.equal(hex(validated.tag), hex(receiver.publicKey.toMultihash().bytes))
      assert.equal(hex(ack.tag), hex(validated.tag))
      assert.deepEqual(validated.entries, entries)
      assert.equal(validated.issuedAt, NOW)
      assert.deepEqual(validated.bytes, ack.bytes)
      // the key travels only when the tag cannot carry it
      assert.equal(SignedAck.decode(ack.bytes).pubKey != null, receiver.type === 'RSA')
    }
  })

  it('an ack signed by another key than the tag owner is an InvalidAckError', async () => {
    const bob = await ed25519(2)
    const mallory = await ed25519(6)
    const alice = await ed25519(1)
    const genuine = await createAck(bob, { entries: [{ signer: alice.publicKey.toMultihash().bytes, sequence: 1n, eol: NOW }], now: NOW })
    const signed = SignedAck.decode(genuine.bytes)
    const prefix = new TextEncoder().encode('ipts-ack:')

    // mallory signs a body naming bob's tag
    const forged = SignedAck.encode({ body: signed.body, signature: await mallory.sign(new Uint8Array([...prefix, ...signed.body])) as Uint8Array<ArrayBuffer> })
    assert.throws(() => validateAck(forged), { name: 'InvalidAckError' })

    // ... and also ships her own key along
    const { publicKeyToProtobuf } = await import('@libp2p/crypto/keys')
    const forgedWithKey = SignedAck.encode({ ...SignedAck.decode(forged), pubKey: publicKeyToProtobuf(mallory.publicKey) as Uint8Array<ArrayBuffer> })
    assert.throws(() => validateAck(forgedWithKey), { name: 'InvalidAckError' })

    // an RSA tag whose ack lacks the key
    const rsaAck = await createAck(rsa(), { entries: [], now: NOW })
    assert.throws(() => validateAck(SignedAck.encode({ ...SignedAck.decode(rsaAck.bytes), pubKey: undefined })), { name: 'InvalidAckError' })

    validateAck(genuine.bytes)
  })

  it('tampered bytes are an InvalidAckError (every byte, xor 0xff)', async () => {
    const bob = await ed25519(2)
    const alice = await ed25519(1)
    const ack = await createAck(bob, { entries: [{ signer: alice.publicKey.toMultihash().bytes, sequence: 1n, eol: NOW }], now: NOW })

    for (let i = 0; i < ack.bytes.byteLength; i++) {
      const tampered = ack.bytes.slice()
      tampered[i] ^= 0xff
      assert.throws(() => validateAck(tampered), { name: 'InvalidAckError' }, `byte ${i}`)
    }

    assert.throws(() => validateAck(ack.bytes.subarray(0, 10)), { name: 'InvalidAckError' })
    assert.throws(() => validateAck(new Uint8Array(0)), { name: 'InvalidAckError' })
  })

  it('too many entries, or too many bytes, are refused', async () => {
    const bob = await ed25519(2)
    const signer = (await ed25519(1)).publicKey.toMultihash().bytes
    const entries = (n: number): AckEntry[] => Array.from({ length: n }, (_, i) => ({ signer, sequence: BigInt(i), eol: NOW }))

    const full = await createAck(bob, { entries: entries(MAX_ACK_ENTRIES), now: NOW })
    assert.equal(validateAck(full.bytes).entries.length, MAX_ACK_ENTRIES)

    const over = await createAck(bob, { entries: entries(MAX_ACK_ENTRIES + 1), now: NOW })
    assert.throws(() => validateAck(over.bytes), { name: 'InvalidAckError' })
    assert.equal(validateAck(over.bytes, { maxEntries: MAX_ACK_ENTRIES + 1 }).entries.length, MAX_ACK_ENTRIES + 1)
    assert.throws(() => validateAck(full.bytes, { maxEntries: 10 }), { name: 'InvalidAckError' })
    assert.throws(() => validateAck(full.bytes, { maxSize: full.bytes.byteLength - 1 }), { name: 'InvalidAckError' })
  })

  it('entries must name peer IDs and carry ms values a Number can hold', async () => {
    const bob = await ed25519(2)
    await assert.rejects(createAck(bob, { entries: [{ signer: new Uint8Array(3), sequence: 1n, eol: NOW }], now: NOW }), { name: 'InvalidParametersError' })

    // a body (properly signed) with an EOL beyond 2^53
    const prefix = new TextEncoder().encode('ipts-ack:')
    const body = AckBody.encode({ tag: bob.publicKey.toMultihash().bytes as Uint8Array<ArrayBuffer>, entries: [{ signer: bob.publicKey.toMultihash().bytes as Uint8Array<ArrayBuffer>, sequence: 1n, eol: 2n ** 60n }], issuedAt: BigInt(NOW) })
    const bytes = SignedAck.encode({ body, signature: await bob.sign(new Uint8Array([...prefix, ...body])) as Uint8Array<ArrayBuffer> })
    assert.throws(() => validateAck(bytes), { name: 'InvalidAckError' })
  })
})
