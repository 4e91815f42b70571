/**
 * 100,000 random, truncated and mutated inputs (seeded, so every run is the same) through the
 * validator: it may only throw `IptsError`s, and whatever it accepts must have the content of
 * one of the genuine records the inputs were derived from.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import * as dagCbor from '@ipld/dag-cbor'
import { IptsError } from '../../src/errors.ts'
import { IpnsEntry } from '../../src/pb/ipns.ts'
import { createAck, createPlainRecord, createTaggedRecord, RecordValidator, tagRoutingKey, validateAck } from '../../src/record/index.ts'
import { content, ed25519, NOW, prng, rsa, secp256k1 } from './helpers.ts'

const RUNS = 100_000

describe('record: fuzz', () => {
  it(`${RUNS} random/truncated/mutated inputs give only typed errors or genuine content`, async () => {
    const random = prng(0x1975)
    const int = (n: number): number => Math.floor(random() * n)
    const bytesOf = (n: number): Uint8Array => Uint8Array.from({ length: n }, () => int(256))
    const alice = await ed25519(1)
    const bob = await ed25519(2)
    const bobTag = bob.publicKey.toMultihash().bytes
    const genuine = [
      await createTaggedRecord(alice, { tag: bobTag, value: '/ipfs/bafkqaaa', sequence: 1, now: NOW }),
      await createTaggedRecord(alice, { tag: bobTag, value: '/ipfs/bafkqaaa', sequence: 2, now: NOW, v1Compatible: true }),
      await createTaggedRecord(secp256k1(5), { tag: bobTag, value: '/ipfs/x', sequence: 3, now: NOW }),
      await createTaggedRecord(rsa(), { tag: bobTag, value: '/ipfs/x', sequence: 4, now: NOW }),
      await createPlainRecord(alice, { value: '/ipns/x', sequence: 5, now: NOW, v1Compatible: true }),
      await createPlainRecord(alice, { value: '/ipns/x', sequence: 6, now: NOW, embedPublicKey: false })
    ]
    const contents = genuine.map(r => JSON.stringify(content(r), (_k, v) => typeof v === 'bigint' ? v.toString() : v))
    const entries = genuine.map(r => IpnsEntry.decode(r.bytes))
    const datas = entries.map(e => dagCbor.decode<Record<string, unknown>>(e.data!))
    const routingKeys = [...genuine.map(r => r.routingKey), tagRoutingKey(alice.publicKey.toMultihash().bytes), new Uint8Array(0), bytesOf(44)]

    const mutate = (input: Uint8Array): Uint8Array => {
      const bytes = input.slice()

      for (let n = 1 + int(8); n > 0 && bytes.byteLength > 0; n--) {
        const at = int(bytes.byteLength)

        switch (int(4)) {
          case 0: bytes[at] ^= 1 << int(8); break
          case 1: bytes[at] = int(256); break
          case 2: bytes[at] = [0, 0xff, 0x7f, 0x80][int(4)]; break
          default: bytes[at] = (bytes[at] + 1) & 0xff
        }
      }

      return bytes
    }

    const generators: Array<() => Uint8Array> = [
      // random bytes of random length
      () => bytesOf(int(600)),
      // truncated genuine record
      () => { const r = genuine[int(genuine.length)].bytes; return r.slice(0, int(r.byteLength)) },
      // a few bytes of a genuine record changed
      () => mutate(genuine[int(genuine.length)].bytes),
      // bytes inserted or removed somewhere
      () => {
        const r = genuine[int(genuine.length)].bytes
        const at = int(r.byteLength)
        return int(2) === 0
          ? new Uint8Array([...r.subarray(0, at), ...bytesOf(1 + int(4)), ...r.subarray(at)])
          : new Uint8Array([...r.subarray(0, at), ...r.subarray(at + 1 + int(4))])
      },
      // a well-formed IpnsEntry around mutated CBOR data
      () => {
        const i = int(entries.length)
        return IpnsEntry.encode({ ...entries[i], data: mutate(entries[i].data!) as Uint8Array<ArrayBuffer> })
      },
      // a well-formed IpnsEntry around re-encoded data with one field replaced by junk
      () => {
        const i = int(entries.length)
        const data = { ...datas[i] }
        const keys = ['Value', 'Validity', 'ValidityType', 'Sequence', 'TTL', 'Tag', 'Other']
        const junk = [null, -1, 2 ** 53, 2n ** 64n - 1n, 'text', bytesOf(int(40)), [1, 2], { a: 1 }, true, 1.5]
        data[keys[int(keys.length)]] = junk[int(junk.length)]
        return IpnsEntry.encode({ ...entries[i], data: dagCbor.encode(data) as Uint8Array<ArrayBuffer> })
      },
      // fields of different records spliced together
      () => IpnsEntry.encode({ ...entries[int(entries.length)], pubKey: entries[int(entries.length)].pubKey, signatureV2: entries[int(entries.length)].signatureV2 }),
      // protobuf-shaped random fields
      () => IpnsEntry.encode({ pubKey: bytesOf(int(50)) as Uint8Array<ArrayBuffer>, signatureV2: bytesOf(64) as Uint8Array<ArrayBuffer>, data: bytesOf(int(200)) as Uint8Array<ArrayBuffer>, sequence: BigInt(int(10)) })
    ]

    const validator = new RecordValidator({ keyCacheSize: 16 })
    const outcomes = new Map<string, number>()

    for (let run = 0; run < RUNS; run++) {
      const input = generators[run % generators.length]()
      const routingKey = int(4) === 0 ? routingKeys[int(routingKeys.length)] : undefined
      let outcome: string

      try {
        const record = validator.validate(input, { now: NOW, routingKey })
        const found = JSON.stringify(content(record), (_k, v) => typeof v === 'bigint' ? v.toString() : v)
        assert.ok(contents.includes(found), `run ${run} accepted content that was never signed: ${found}`)
        outcome = 'accepted'
      } catch (err: any) {
        if (err instanceof assert.AssertionError) {
          throw err
        }

        assert.ok(err instanceof IptsError, `run ${run}: untyped error ${err?.stack ?? err}`)
        outcome = err.name
      }

      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1)
    }

    // every kind of refusal was reached, and some genuine content got through
    for (const name of ['accepted', 'MalformedRecordError', 'MalformedDataError', 'BadSignatureError', 'InvalidTagError', 'KeyMismatchError', 'InvalidRoutingKeyError']) {
      assert.ok((outcomes.get(name) ?? 0) > 0, `no ${name} in ${JSON.stringify([...outcomes])}`)
    }
  })

  it('20,000 random and mutated acks give only InvalidAckError', async () => {
    const random = prng(0xacc)
    const int = (n: number): number => Math.floor(random() * n)
    const bob = await ed25519(2)
    const alice = await ed25519(1)
    const ack = await createAck(bob, { entries: [{ signer: alice.publicKey.toMultihash().bytes, sequence: 3n, eol: NOW }], now: NOW })
    let accepted = 0

    for (let run = 0; run < 20_000; run++) {
      let input: Uint8Array

      if (run % 2 === 0) {
        input = Uint8Array.from({ length: int(300) }, () => int(256))
      } else {
        input = ack.bytes.slice(0, run % 4 === 1 ? ack.bytes.byteLength : int(ack.bytes.byteLength))
        input[int(input.byteLength)] ^= 1 << int(8)
      }

      try {
        const result = validateAck(input)
        assert.deepEqual(result.entries, ack.entries)
        accepted++
      } catch (err: any) {
        if (err instanceof assert.AssertionError) {
          throw err
        }

        assert.equal(err?.name, 'InvalidAckError', String(err?.stack ?? err))
      }
    }

    assert.ok(accepted < 20_000)
  })
})
