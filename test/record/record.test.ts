import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import * as dagCbor from '@ipld/dag-cbor'
import { createIPNSRecord, createIPNSRecordWithExpiration, marshalIPNSRecord } from 'ipns'
import { ipnsValidator, validate as ipnsValidate } from 'ipns/validator'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { IptsError } from '../../src/errors.ts'
import { IpnsEntry } from '../../src/pb/ipns.ts'
import {
  createPlainRecord, createTaggedRecord, nameRoutingKey, RecordValidator, tagRoutingKey, validateRecord,
  DEFAULT_TTL_NS, MAX_RECORD_SIZE
} from '../../src/record/index.ts'
import { content, ed25519, hex, NOW, rsa, secp256k1 } from './helpers.ts'
import type { IptsRecord } from '../../src/record/index.ts'
import type { PrivateKey } from '@libp2p/interface'

const day = 86_400_000

function rejects (fn: () => unknown, name: string): void {
  assert.throws(fn, (err: any) => {
    assert.ok(err instanceof IptsError, `expected an IptsError, got ${err}`)
    assert.equal(err.name, name, err.message)
    return true
  })
}

/** Re-encodes the record's IpnsEntry with `edit` applied to its decoded CBOR data, keeping the signature. */
function editData (bytes: Uint8Array, edit: (data: Record<string, unknown>) => void): Uint8Array {
  const entry = IpnsEntry.decode(bytes)
  const data = dagCbor.decode<Record<string, unknown>>(entry.data!)
  edit(data)
  entry.data = dagCbor.encode(data) as Uint8Array<ArrayBuffer>
  return IpnsEntry.encode(entry)
}

/** Re-signs arbitrary CBOR data bytes with `key` (to test what the signer alone can produce). */
async function signedWithData (key: PrivateKey, data: Uint8Array, extra: Partial<IpnsEntry> = {}): Promise<Uint8Array> {
  const prefix = new TextEncoder().encode('ipns-signature:')
  const toSign = new Uint8Array(prefix.byteLength + data.byteLength)
  toSign.set(prefix)
  toSign.set(data, prefix.byteLength)
  const { publicKeyToProtobuf } = await import('@libp2p/crypto/keys')
  return IpnsEntry.encode({
    pubKey: publicKeyToProtobuf(key.publicKey) as Uint8Array<ArrayBuffer>,
    signatureV2: await key.sign(toSign) as Uint8Array<ArrayBuffer>,
    data: data as Uint8Array<ArrayBuffer>,
    ...extra
  })
}

describe('record: create -> bytes -> validate round trip', () => {
  for (const v1Compatible of [false, true]) {
    it(`tagged (v1Compatible: ${v1Compatible}) gives back the same fields`, async () => {
      const alice = await ed25519(1)
      const bob = await ed25519(2)
      const created = await createTaggedRecord(alice, { tag: peerIdFromPrivateKey(bob), value: '/ipfs/bafkqaaa', sequence: 7n, now: NOW, v1Compatible })
      const validated = validateRecord(created.bytes, { now: NOW })

      assert.deepEqual(content(validated), content(created))
      assert.deepEqual(validated.bytes, created.bytes)
      assert.equal(validated.kind, 'tagged')
      assert.deepEqual(validated.tag, bob.publicKey.toMultihash().bytes)
      assert.deepEqual(validated.signer, alice.publicKey.toMultihash().bytes)
      assert.deepEqual(validated.routingKey, tagRoutingKey(bob.publicKey.toMultihash().bytes))
      assert.equal(validated.sequence, 7n)
      assert.equal(validated.eol, NOW + day)
      assert.equal(validated.ttl, DEFAULT_TTL_NS)
      // the routing key it belongs to is accepted too
      assert.deepEqual(content(validateRecord(created.bytes, { now: NOW, routingKey: created.routingKey })), content(created))
    })

    it(`plain (v1Compatible: ${v1Compatible}) gives back the same fields`, async () => {
      const alice = await ed25519(1)
      const created = await createPlainRecord(alice, { value: '/ipns/example', sequence: 3, now: NOW, eol: NOW + 5_000, ttl: 1n, v1Compatible })
      const validated = validateRecord(created.bytes, { now: NOW })

      assert.deepEqual(content(validated), content(created))
      assert.equal(validated.kind, 'plain')
      assert.equal(validated.tag, undefined)
      assert.deepEqual(validated.routingKey, nameRoutingKey(alice.publicKey.toMultihash().bytes))
      assert.equal(validated.eol, NOW + 5_000)
      assert.equal(validated.ttl, 1n)
    })
  }

  it('plain without embedded key validates only with its routing key', async () => {
    const alice = await ed25519(1)
    const created = await createPlainRecord(alice, { value: '/ipfs/bafkqaaa', sequence: 1, now: NOW, embedPublicKey: false })

    rejects(() => validateRecord(created.bytes, { now: NOW }), 'KeyMismatchError')
    assert.deepEqual(content(validateRecord(created.bytes, { now: NOW, routingKey: created.routingKey })), content(created))
  })

  it('secp256k1 and RSA signers, and a tag that is an RSA (sha2-256) peer ID', async () => {
    const k = secp256k1(7)
    const r = rsa()
    const bob = await ed25519(2)

    for (const [signer, tag] of [[k, bob], [r, bob], [bob, r], [k, k]] as const) {
      const tagged = await createTaggedRecord(signer, { tag: signer === tag ? tag.publicKey.toMultihash().bytes : peerIdFromPrivateKey(tag), value: '/ipfs/x', sequence: 1, now: NOW })
      assert.deepEqual(content(validateRecord(tagged.bytes, { now: NOW })), content(tagged))
      assert.deepEqual(validateRecord(tagged.bytes, { now: NOW }).signer, signer.publicKey.toMultihash().bytes)
    }

    const plainRsa = await createPlainRecord(r, { value: '/ipfs/x', sequence: 1, now: NOW, embedPublicKey: false })
    assert.equal(r.publicKey.toMultihash().code, 0x12)
    assert.ok(IpnsEntry.decode(plainRsa.bytes).pubKey != null, 'RSA keys are always embedded')
    assert.deepEqual(content(validateRecord(plainRsa.bytes, { now: NOW, routingKey: plainRsa.routingKey })), content(plainRsa))
  })

  it('the validator caches one key per signer, bounded', async () => {
    const validator = new RecordValidator({ keyCacheSize: 2 })
    const bob = await ed25519(2)

    for (let i = 10; i < 14; i++) {
      const record = await createTaggedRecord(await ed25519(i), { tag: bob.publicKey.toMultihash().bytes, value: '/ipfs/x', sequence: 1, now: NOW })
      validator.validate(record.bytes, { now: NOW })
      validator.validate(record.bytes, { now: NOW })
    }

    assert.equal(validator.cachedKeys, 2)
  })
})

describe('record: interoperability with the ipns package', () => {
  it('a record made by createIPNSRecord validates as plain, with the same fields', async () => {
    const alice = await ed25519(1)
    const now = Date.now()

    for (const v1Compatible of [true, false]) {
      const ipnsRecord = await createIPNSRecord(alice, '/ipfs/bafkqaaa', 5, day, { v1Compatible })
      const bytes = marshalIPNSRecord(ipnsRecord)
      const routingKey = nameRoutingKey(alice.publicKey.toMultihash().bytes)
      const record = validateRecord(bytes, { now, routingKey })

      assert.equal(record.kind, 'plain')
      assert.equal(record.value, '/ipfs/bafkqaaa')
      assert.equal(record.sequence, 5n)
      assert.equal(record.ttl, ipnsRecord.ttl)
      assert.equal(record.eol, Date.parse(ipnsRecord.validity.replace(/\d{6}Z$/, 'Z')))
      assert.deepEqual(record.signer, alice.publicKey.toMultihash().bytes)
      // without the routing key there is no key to check against (Ed25519 keys are not embedded by ipns)
      rejects(() => validateRecord(bytes, { now }), 'KeyMismatchError')
    }
  })

  it('our plain record is byte-identical to the ipns package output for the same inputs', async () => {
    const alice = await ed25519(1)
    const eol = Date.parse('2030-01-02T03:04:05.678Z')

    for (const v1Compatible of [true, false]) {
      const theirs = marshalIPNSRecord(await createIPNSRecordWithExpiration(alice, '/ipfs/bafkqaaa', 9, '2030-01-02T03:04:05.678000000Z', { v1Compatible }))
      const ours = await createPlainRecord(alice, { value: '/ipfs/bafkqaaa', sequence: 9, eol, now: NOW, v1Compatible, embedPublicKey: false })
      assert.equal(hex(ours.bytes), hex(theirs))
    }
  })

  it('our tagged record passes the ipns package V2 signature check (validate and ipnsValidator)', async () => {
    const alice = await ed25519(1)
    const bob = await ed25519(2)

    for (const v1Compatible of [true, false]) {
      const tagged = await createTaggedRecord(alice, { tag: peerIdFromPrivateKey(bob), value: '/ipfs/bafkqaaa', sequence: 1, now: Date.now(), v1Compatible })
      await ipnsValidate(alice.publicKey, tagged.bytes)
      await ipnsValidator(nameRoutingKey(alice.publicKey.toMultihash().bytes), tagged.bytes)
      // and it fails there with a wrong key, so the check above is real
      await assert.rejects(ipnsValidate(bob.publicKey, tagged.bytes))
    }
  })
})

describe('record: refusals', () => {
  it('swapping Tag for another peer ID (signature kept) is a BadSignatureError', async () => {
    const alice = await ed25519(1)
    const bob = await ed25519(2)
    const carol = await ed25519(3)
    const record = await createTaggedRecord(alice, { tag: bob.publicKey.toMultihash().bytes, value: '/ipfs/x', sequence: 1, now: NOW })
    const swapped = editData(record.bytes, data => { data.Tag = carol.publicKey.toMultihash().bytes })

    rejects(() => validateRecord(swapped, { now: NOW }), 'BadSignatureError')
    rejects(() => validateRecord(swapped, { now: NOW, routingKey: tagRoutingKey(carol.publicKey.toMultihash().bytes) }), 'BadSignatureError')
    // the unmodified record is fine, so the refusal is about the swap
    validateRecord(record.bytes, { now: NOW })
  })

  it('a Tag that is not a peer ID is an InvalidTagError, even when properly signed', async () => {
    const alice = await ed25519(1)
    const base = {
      Value: new TextEncoder().encode('/ipfs/x'),
      Validity: new TextEncoder().encode('2999-01-01T00:00:00.000000000Z'),
      ValidityType: 0,
      Sequence: 1,
      TTL: 1
    }

    for (const tag of [new Uint8Array(0), new Uint8Array(38), Uint8Array.from([0x12, 0x20, 1, 2, 3]), 'string-tag', 5]) {
      const bytes = await signedWithData(alice, dagCbor.encode({ ...base, Tag: tag }))
      rejects(() => validateRecord(bytes, { now: NOW }), 'InvalidTagError')
    }

    await assert.rejects(createTaggedRecord(alice, { tag: new Uint8Array(5), value: '/ipfs/x', sequence: 1, now: NOW }), { name: 'InvalidTagError' })
  })

  it('routing key mismatches', async () => {
    const alice = await ed25519(1)
    const bob = await ed25519(2)
    const carol = await ed25519(3)
    const tagged = await createTaggedRecord(alice, { tag: bob.publicKey.toMultihash().bytes, value: '/ipfs/x', sequence: 1, now: NOW })
    const plain = await createPlainRecord(alice, { value: '/ipfs/x', sequence: 1, now: NOW })

    rejects(() => validateRecord(tagged.bytes, { now: NOW, routingKey: tagRoutingKey(carol.publicKey.toMultihash().bytes) }), 'KeyMismatchError')
    rejects(() => validateRecord(plain.bytes, { now: NOW, routingKey: nameRoutingKey(carol.publicKey.toMultihash().bytes) }), 'KeyMismatchError')
    rejects(() => validateRecord(tagged.bytes, { now: NOW, routingKey: nameRoutingKey(alice.publicKey.toMultihash().bytes) }), 'InvalidTagError')
    rejects(() => validateRecord(plain.bytes, { now: NOW, routingKey: tagRoutingKey(alice.publicKey.toMultihash().bytes) }), 'InvalidTagError')
    rejects(() => validateRecord(plain.bytes, { now: NOW, routingKey: new TextEncoder().encode('/pk/abc') }), 'InvalidRoutingKeyError')
  })

  it('a tagged record without embedded key, or with another key embedded, is refused', async () => {
    const alice = await ed25519(1)
    const bob = await ed25519(2)
    const { publicKeyToProtobuf } = await import('@libp2p/crypto/keys')
    const record = await createTaggedRecord(alice, { tag: bob.publicKey.toMultihash().bytes, value: '/ipfs/x', sequence: 1, now: NOW })
    const entry = IpnsEntry.decode(record.bytes)

    rejects(() => validateRecord(IpnsEntry.encode({ ...entry, pubKey: undefined }), { now: NOW }), 'KeyMismatchError')
    rejects(() => validateRecord(IpnsEntry.encode({ ...entry, pubKey: new Uint8Array([1, 2, 3]) }), { now: NOW }), 'KeyMismatchError')
    // bob's key embedded: the signature is alice's
    rejects(() => validateRecord(IpnsEntry.encode({ ...entry, pubKey: publicKeyToProtobuf(bob.publicKey) as Uint8Array<ArrayBuffer> }), { now: NOW }), 'BadSignatureError')
  })

  it('a tagged record re-labelled with a non-canonical encoding of the signer key is refused', async () => {
    const { publicKeyFromProtobuf } = await import('@libp2p/crypto/keys')
    const signer = rsa()
    const bob = await ed25519(2)
    const record = await createTaggedRecord(signer, { tag: bob.publicKey.toMultihash().bytes, value: '/ipfs/x', sequence: 1, now: NOW })
    const entry = IpnsEntry.decode(record.bytes)
    // protobuf PublicKey { Type: RSA, Data: DER + one trailing zero byte }: same key, another peer ID
    const der = new Uint8Array([...signer.publicKey.raw, 0])
    const pubKey = new Uint8Array([0x08, 0x00, 0x12, 0x80 | (der.byteLength & 0x7f), der.byteLength >> 7, ...der])
    const relabelled = publicKeyFromProtobuf(pubKey)
    assert.ok(relabelled.equals(signer.publicKey))
    assert.notEqual(hex(relabelled.toMultihash().bytes), hex(signer.publicKey.toMultihash().bytes))

    rejects(() => validateRecord(IpnsEntry.encode({ ...entry, pubKey: pubKey as Uint8Array<ArrayBuffer> }), { now: NOW }), 'KeyMismatchError')
  })

  it('expired records are refused; EOL equal to now is still valid', async () => {
    const alice = await ed25519(1)
    const bob = await ed25519(2)
    const record = await createTaggedRecord(alice, { tag: bob.publicKey.toMultihash().bytes, value: '/ipfs/x', sequence: 1, now: NOW, lifetime: 1000 })

    validateRecord(record.bytes, { now: NOW + 1000 })
    rejects(() => validateRecord(record.bytes, { now: NOW + 1001 }), 'RecordExpiredError')
  })

  it('exactly 10 KiB is accepted, 10 KiB + 1 is a RecordTooLargeError', async () => {
    const alice = await ed25519(1)
    const bob = await ed25519(2)
    const make = async (padding: number): Promise<IptsRecord> =>
      createTaggedRecord(alice, { tag: bob.publicKey.toMultihash().bytes, value: '/ipfs/' + 'a'.repeat(padding), sequence: 1, now: NOW })

    const sized = async (target: number): Promise<IptsRecord> => {
      const base = (await make(0)).bytes.byteLength
      let padding = target - base

      for (let attempt = 0; attempt < 8; attempt++) {
        const record = await make(padding)

        if (record.bytes.byteLength === target) {
          return record
        }

        padding += target - record.bytes.byteLength
      }

      throw new Error(`could not build a record of ${target} bytes`)
    }

    const exact = await sized(MAX_RECORD_SIZE)
    assert.equal(exact.bytes.byteLength, 10 * 1024)
    assert.deepEqual(content(validateRecord(exact.bytes, { now: NOW })), content(exact))

    const over = await sized(MAX_RECORD_SIZE + 1)
    assert.equal(over.bytes.byteLength, 10 * 1024 + 1)
    rejects(() => validateRecord(over.bytes, { now: NOW }), 'RecordTooLargeError')
    // the limit is configurable
    validateRecord(over.bytes, { now: NOW, maxSize: MAX_RECORD_SIZE + 1 })
    rejects(() => validateRecord(exact.bytes, { now: NOW, maxSize: 1000 }), 'RecordTooLargeError')
  })

  it('V1 fields that do not match the signed data are refused', async () => {
    const alice = await ed25519(1)
    const record = await createPlainRecord(alice, { value: '/ipfs/x', sequence: 4, now: NOW, v1Compatible: true })
    const entry = IpnsEntry.decode(record.bytes)

    for (const edit of [{ sequence: 5n }, { ttl: 2n }, { value: new TextEncoder().encode('/ipfs/y') }, { validity: new TextEncoder().encode('2099-01-01T00:00:00.000000000Z') }]) {
      rejects(() => validateRecord(IpnsEntry.encode({ ...entry, ...edit } as IpnsEntry), { now: NOW }), 'MalformedRecordError')
    }

    // without signatureV1 the legacy fields are ignored, as in the ipns package
    validateRecord(IpnsEntry.encode({ ...entry, sequence: 5n, signatureV1: undefined }), { now: NOW })
  })

  it('protobuf, CBOR and field-type errors map to their classes', async () => {
    const alice = await ed25519(1)
    const enc = new TextEncoder()
    const good = {
      Value: enc.encode('/ipfs/x'),
      Validity: enc.encode('2999-01-01T00:00:00.000000000Z'),
      ValidityType: 0,
      Sequence: 1,
      TTL: 1
    }

    rejects(() => validateRecord(Uint8Array.from([0xff, 0xff, 0xff]), { now: NOW }), 'MalformedRecordError')
    rejects(() => validateRecord(new Uint8Array(0), { now: NOW }), 'MalformedRecordError')
    rejects(() => validateRecord(IpnsEntry.encode({ data: new Uint8Array([0xa0]) }), { now: NOW }), 'MalformedRecordError')
    rejects(() => validateRecord(IpnsEntry.encode({ signatureV2: new Uint8Array(64), data: new Uint8Array([0xff]) }), { now: NOW }), 'MalformedDataError')
    rejects(() => validateRecord('not bytes' as any, { now: NOW }), 'MalformedRecordError')

    const bad: Array<Record<string, unknown>> = [
      { ...good, Value: '/ipfs/x' },
      { ...good, Value: enc.encode('relative') },
      { ...good, Validity: enc.encode('2030-01-01') },
      { ...good, Validity: enc.encode('2030-02-30T00:00:00Z') },
      { ...good, ValidityType: 1 },
      { ...good, Sequence: -1 },
      { ...good, TTL: 'x' },
      { ...good, Sequence: undefined }
    ]

    for (const data of bad) {
      for (const key of Object.keys(data)) {
        if (data[key] === undefined) {
          delete data[key]
        }
      }

      const bytes = await signedWithData(alice, dagCbor.encode(data))
      rejects(() => validateRecord(bytes, { now: NOW }), 'MalformedDataError')
    }

    // a duplicated map key (ambiguous: which Sequence?) from the signer: refused by us,
    // accepted by the ipns package's lenient CBOR decoder (a documented difference)
    const canonical = dagCbor.encode(good)
    assert.equal(canonical[0], 0xa5)
    const duplicated = new Uint8Array([0xa6, ...canonical.subarray(1), 0x68, ...enc.encode('Sequence'), 0x02])
    const duplicatedRecord = await signedWithData(alice, duplicated)
    rejects(() => validateRecord(duplicatedRecord, { now: NOW }), 'MalformedDataError')
    await ipnsValidate(alice.publicKey, duplicatedRecord)

    // map key order is not enforced (as in the ipns package): only creation is canonical
    const cborg = await import('cborg')
    const unsorted = cborg.encode(good, { mapSorter: (a: any, b: any) => (a[0].value < b[0].value ? 1 : -1) })
    assert.notDeepEqual(unsorted, canonical)
    validateRecord(await signedWithData(alice, unsorted), { now: NOW })
  })
})
