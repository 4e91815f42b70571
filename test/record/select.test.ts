import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { compareRecords, createTaggedRecord, isBetter } from '../../src/record/index.ts'
import { ed25519, NOW } from './helpers.ts'
import type { IptsRecord } from '../../src/record/index.ts'

describe('record: ordering', () => {
  it('higher sequence wins, then later EOL; ties compare equal', async () => {
    const alice = await ed25519(1)
    const bob = await ed25519(2)
    const make = async (sequence: bigint, eol: number, value = '/ipfs/x', v1Compatible = false): Promise<IptsRecord> =>
      createTaggedRecord(alice, { tag: bob.publicKey.toMultihash().bytes, value, sequence, eol, now: NOW, v1Compatible })

    const s1e1 = await make(1n, NOW + 1000)
    const s1e2 = await make(1n, NOW + 2000)
    const s2e1 = await make(2n, NOW + 1000)
    const huge = await make(2n ** 64n - 1n, NOW + 1)
    const s1e1Other = await make(1n, NOW + 1000, '/ipfs/y')
    const s1e1V1 = await make(1n, NOW + 1000, '/ipfs/x', true)

    assert.ok(compareRecords(s2e1, s1e2) > 0, 'sequence beats EOL')
    assert.ok(compareRecords(s1e2, s2e1) < 0)
    assert.ok(compareRecords(s1e2, s1e1) > 0, 'later EOL wins at equal sequence')
    assert.ok(compareRecords(s1e1, s1e2) < 0)
    assert.ok(compareRecords(huge, s2e1) > 0, 'uint64 sequences compare as integers')
    assert.equal(compareRecords(s1e1, s1e1), 0)
    // different bytes, same sequence and EOL: equal, so a relay keeps what it holds
    assert.equal(compareRecords(s1e1, s1e1Other), 0)
    assert.equal(compareRecords(s1e1, s1e1V1), 0)

    const sorted = [s1e1, huge, s1e2, s2e1].sort((a, b) => compareRecords(b, a))
    assert.deepEqual(sorted, [huge, s2e1, s1e2, s1e1])

    assert.equal(isBetter(s1e1, undefined), true)
    assert.equal(isBetter(s2e1, s1e1), true)
    assert.equal(isBetter(s1e1, s2e1), false)
    assert.equal(isBetter(s1e1Other, s1e1), false)
  })
})
