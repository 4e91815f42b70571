/** The rendezvous's pure parts: the CID test vector and the scheduling decisions. */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'
import * as raw from 'multiformats/codecs/raw'
import { RENDEZVOUS_CID, RENDEZVOUS_CID_STRING, RENDEZVOUS_KEY } from '../../src/rendezvous/index.ts'
import { nextFindInterval, pickRelaysToDial, redialDelay } from '../../src/rendezvous/schedule.ts'

describe('RENDEZVOUS_CID', () => {
  it('is CIDv1(raw, sha2-256("ipts/relay/rendezvous/v1")), as documented', async () => {
    assert.equal(RENDEZVOUS_KEY, 'ipts/relay/rendezvous/v1')
    const expected = CID.createV1(raw.code, await sha256.digest(new TextEncoder().encode(RENDEZVOUS_KEY)))
    assert.ok(RENDEZVOUS_CID.equals(expected))
    assert.equal(RENDEZVOUS_CID.toString(), RENDEZVOUS_CID_STRING)
    assert.equal(RENDEZVOUS_CID_STRING, 'bafkreibc2vpmrsosvby4idnerfpz47wwsoeco7euekhnftx2xfbfg5qn7e')
    assert.equal(RENDEZVOUS_CID.version, 1)
    assert.equal(RENDEZVOUS_CID.code, 0x55)
    assert.equal(RENDEZVOUS_CID.multihash.code, 0x12)
    const digest = createHash('sha256').update(RENDEZVOUS_KEY).digest('hex')
    assert.equal(Buffer.from(RENDEZVOUS_CID.multihash.digest).toString('hex'), digest)
  })
})

describe('nextFindInterval', () => {
  it('doubles while stable, up to the cap', () => {
    assert.equal(nextFindInterval(1000, true, 1000, 16_000), 2000)
    assert.equal(nextFindInterval(8000, true, 1000, 16_000), 16_000)
    assert.equal(nextFindInterval(16_000, true, 1000, 16_000), 16_000)
  })
  it('falls back to the base interval when something changed', () => {
    assert.equal(nextFindInterval(16_000, false, 1000, 16_000), 1000)
  })
  it('never goes below the base, even with a cap below it', () => {
    assert.equal(nextFindInterval(0, true, 1000, 500), 1000)
  })
})

describe('redialDelay', () => {
  it('starts at the base, doubles per attempt, and is capped', () => {
    assert.deepEqual([1, 2, 3, 4, 5, 6, 7, 8].map(a => redialDelay(a, 1000, 60_000)),
      [1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000])
  })
})

describe('pickRelaysToDial', () => {
  const candidates = ['a', 'b', 'c', 'd', 'e']
  it('takes at most the free slots, without repeats, from the candidates', () => {
    let seed = 7
    const random = (): number => { seed = (seed * 16807) % 2147483647; return seed / 2147483647 }
    const picked = pickRelaysToDial(candidates, 3, random)
    assert.equal(picked.length, 3)
    assert.equal(new Set(picked).size, 3)
    for (const p of picked) assert.ok(candidates.includes(p))
  })
  it('takes every candidate when the slots allow, and none when there are no slots', () => {
    assert.deepEqual([...pickRelaysToDial(candidates, 10, () => 0.5)].sort(), candidates)
    assert.deepEqual(pickRelaysToDial(candidates, 0, () => 0.5), [])
    assert.deepEqual(pickRelaysToDial(candidates, -1, () => 0.5), [])
  })
  it('is not biased to the first candidates', () => {
    // with random() near 1 each pick is the last of the remaining pool (Fisher-Yates swaps)
    assert.deepEqual(pickRelaysToDial(candidates, 2, () => 0.999), ['e', 'a'])
    assert.deepEqual(pickRelaysToDial(candidates, 2, () => 0), ['a', 'b'])
  })
})
