/**
 * Our synchronous validator against the ipns package's `ipnsValidator` on the same inputs:
 * for plain records they must agree on accept/refuse. Both read the time: the ipns package
 * from the clock, ours from `now` = Date.now(), with every EOL a day or more away from it.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { createIPNSRecord, marshalIPNSRecord } from 'ipns'
import { ipnsValidator, validate as ipnsValidate } from 'ipns/validator'
import { createPlainRecord, createTaggedRecord, nameRoutingKey, RecordValidator } from '../../src/record/index.ts'
import { ed25519, rsa, secp256k1 } from './helpers.ts'
import type { PrivateKey } from '@libp2p/interface'

const day = 86_400_000

async function theirs (routingKey: Uint8Array, bytes: Uint8Array): Promise<boolean> {
  try {
    await ipnsValidator(routingKey, bytes)
    return true
  } catch {
    return false
  }
}

function ours (validator: RecordValidator, routingKey: Uint8Array, bytes: Uint8Array, now: number): boolean {
  try {
    validator.validate(bytes, { now, routingKey })
    return true
  } catch {
    return false
  }
}

function flips (bytes: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = []

  for (let i = 0; i < bytes.byteLength; i++) {
    for (const change of [(b: number) => b ^ 0xff, (b: number) => (b + 1) & 0xff, () => 0]) {
      const copy = bytes.slice()
      copy[i] = change(copy[i])
      out.push(copy)
    }
  }

  for (let length = 0; length < bytes.byteLength; length += 7) {
    out.push(bytes.slice(0, length))
  }

  return out
}

describe('record: plain validation is equivalent to ipns ipnsValidator', () => {
  it('agrees on records from both libraries, key types, expiry, wrong names, and every single-byte change', async () => {
    const now = Date.now()
    const alice = await ed25519(1)
    const bob = await ed25519(2)
    const signers: PrivateKey[] = [alice, secp256k1(9), rsa()]
    const cases: Array<{ name: string, routingKey: Uint8Array, bytes: Uint8Array }> = []

    for (const key of signers) {
      const routingKey = nameRoutingKey(key.publicKey.toMultihash().bytes)
      const otherKey = nameRoutingKey(bob.publicKey.toMultihash().bytes)
      const records = [
        marshalIPNSRecord(await createIPNSRecord(key, '/ipfs/bafkqaaa', 1, day, { v1Compatible: true })),
        marshalIPNSRecord(await createIPNSRecord(key, '/ipfs/bafkqaaa', 2, day, { v1Compatible: false })),
        marshalIPNSRecord(await createIPNSRecord(key, '/ipfs/bafkqaaa', 3, -day, { v1Compatible: true })),
        (await createPlainRecord(key, { value: '/ipns/foo', sequence: 4, now, v1Compatible: true })).bytes,
        (await createPlainRecord(key, { value: '/ipns/foo', sequence: 5, now, embedPublicKey: false })).bytes,
        (await createPlainRecord(key, { value: '/ipns/foo', sequence: 6, now, lifetime: -day })).bytes
      ]

      for (const [i, bytes] of records.entries()) {
        cases.push({ name: `${key.type} #${i}`, routingKey, bytes })
        cases.push({ name: `${key.type} #${i} under another name`, routingKey: otherKey, bytes })
      }

      if (key === alice) {
        // every single-byte change and truncation of two of them
        for (const bytes of [records[0], records[4]]) {
          for (const [i, changed] of flips(bytes).entries()) {
            cases.push({ name: `${key.type} change #${i}`, routingKey, bytes: changed })
          }
        }
      }
    }

    const validator = new RecordValidator()
    let accepted = 0

    for (const c of cases) {
      const expected = await theirs(c.routingKey, c.bytes)
      assert.equal(ours(validator, c.routingKey, c.bytes, now), expected, `${c.name}: ipns says ${expected ? 'valid' : 'invalid'}`)
      accepted += expected ? 1 : 0
    }

    // both outcomes occur, so agreement means something
    assert.ok(accepted > 10 && accepted < cases.length - 10, `${accepted} of ${cases.length} accepted`)
  })

  it('tagged records we accept are valid IPNS records to the ipns package (our checks are stricter)', async () => {
    const now = Date.now()
    const alice = await ed25519(1)
    const bob = await ed25519(2)
    const record = await createTaggedRecord(alice, { tag: bob.publicKey.toMultihash().bytes, value: '/ipfs/bafkqaaa', sequence: 1, now, v1Compatible: true })
    const validator = new RecordValidator()
    let accepted = 0

    for (const bytes of [record.bytes, ...flips(record.bytes)]) {
      let valid = true

      try {
        validator.validate(bytes, { now })
      } catch {
        valid = false
      }

      if (valid) {
        accepted++
        await ipnsValidate(alice.publicKey, bytes)
      }
    }

    assert.ok(accepted > 0)
  })
})
