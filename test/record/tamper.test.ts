import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { IptsError } from '../../src/errors.ts'
import { createTaggedRecord, RecordValidator } from '../../src/record/index.ts'
import { content, ed25519, NOW } from './helpers.ts'

describe('record: tampering with any single byte', () => {
  for (const v1Compatible of [false, true]) {
    it(`every byte of a tagged record (v1Compatible: ${v1Compatible}), xor 0xff and +1: a typed error or the same content`, async () => {
      const alice = await ed25519(1)
      const bob = await ed25519(2)
      const record = await createTaggedRecord(alice, { tag: bob.publicKey.toMultihash().bytes, value: '/ipfs/bafkqaaa', sequence: 3, now: NOW, v1Compatible })
      const expected = content(record)
      const validator = new RecordValidator()
      const outcomes = new Map<string, number>()

      for (let i = 0; i < record.bytes.byteLength; i++) {
        for (const change of [(b: number) => b ^ 0xff, (b: number) => (b + 1) & 0xff]) {
          const tampered = record.bytes.slice()
          tampered[i] = change(tampered[i])
          let outcome: string

          try {
            const result = validator.validate(tampered, { now: NOW })
            assert.deepEqual(content(result), expected, `byte ${i} changed the content`)
            outcome = 'same content'
          } catch (err: any) {
            if (err instanceof assert.AssertionError) {
              throw err
            }

            assert.ok(err instanceof IptsError, `byte ${i}: untyped error ${err}`)
            outcome = err.name
          }

          outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1)
        }
      }

      // most changes must be caught; the signature alone catches every change to the signed data
      assert.ok((outcomes.get('BadSignatureError') ?? 0) > record.bytes.byteLength / 2, JSON.stringify([...outcomes]))
      // the original still validates
      assert.deepEqual(content(validator.validate(record.bytes, { now: NOW })), expected)
    })
  }
})
