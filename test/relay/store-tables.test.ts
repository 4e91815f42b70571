import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { KeyTable } from '../../src/relay/store/key-table.ts'
import { SymbolSet } from '../../src/relay/store/symbol-set.ts'
import { UploaderTable } from '../../src/relay/store/uploaders.ts'

/** xorshift32: a fixed sequence, so a failure reproduces. */
function rng (seed: number): () => number {
  let x = seed
  return () => {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    return x >>> 0
  }
}

describe('SymbolSet', () => {
  it('matches a Set<bigint> through random adds and deletes (grow, shrink, wrap-around)', () => {
    const next = rng(0x2545f491)
    const set = new SymbolSet()
    const ref = new Set<bigint>()
    // a small universe, so deletes hit members and probe runs wrap the table
    const universe = Array.from({ length: 3000 }, () => (BigInt(next()) << 32n) | BigInt(next()))
    universe.push(0n)
    for (let i = 0; i < 60_000; i++) {
      const s = universe[next() % universe.length]
      const op = next() % 3
      if (op === 0 || i < 5000) {
        assert.equal(set.add(s), !ref.has(s))
        ref.add(s)
      } else if (op === 1) {
        assert.equal(set.delete(s), ref.delete(s))
      } else {
        assert.equal(set.has(s), ref.has(s))
      }
      if (i % 5000 === 0) {
        assert.equal(set.size, ref.size)
        assert.deepEqual(new Set(set), ref)
      }
    }
    for (const s of universe) assert.equal(set.has(s), ref.has(s))
    for (const s of [...ref]) {
      assert.ok(set.delete(s))
      ref.delete(s)
    }
    assert.equal(set.size, 0)
    assert.deepEqual([...set], [])
  })
})

describe('KeyTable', () => {
  it('matches a Map of summaries through random updates and deletes', () => {
    const next = rng(0x9e3779b9)
    const table = new KeyTable()
    const ref = new Map<string, { count: number, bytes: number }>()
    const universe = Array.from({ length: 2000 }, (_, i) => {
      const key = new Uint8Array(38 + (i % 5))
      for (let j = 0; j < key.length; j++) key[j] = next() & 0xff
      return key
    })
    const id = (k: Uint8Array): string => Buffer.from(k).toString('hex')
    for (let i = 0; i < 50_000; i++) {
      const key = universe[next() % universe.length]
      const op = next() % 4
      const held = ref.get(id(key))
      if (op < 2 || i < 3000) {
        const records = (next() % 3) + 1
        table.update(key, records, records * 100)
        ref.set(id(key), { count: (held?.count ?? 0) + records, bytes: (held?.bytes ?? 0) + records * 100 })
      } else if (op === 2 && held != null) {
        const records = Math.min(held.count, (next() % 3) + 1)
        table.update(key, -records, -records * 100)
        if (held.count === records) ref.delete(id(key))
        else ref.set(id(key), { count: held.count - records, bytes: held.bytes - records * 100 })
      } else {
        assert.equal(table.delete(key), ref.delete(id(key)))
      }
      if (i % 5000 === 0) {
        assert.equal(table.size, ref.size)
        assert.deepEqual(new Set([...table].map(id)), new Set(ref.keys()))
      }
    }
    for (const key of universe) {
      const got = table.get(key)
      const want = ref.get(id(key))
      assert.deepEqual(got == null ? undefined : { count: got.count, bytes: got.bytes }, want)
    }
  })
})

describe('UploaderTable', () => {
  it('serves the uploader with the largest share through random updates', () => {
    const next = rng(0x9e3779b9)
    const table = new UploaderTable({ maxRecords: 1000, maxBytes: 100_000 })
    const ref = new Map<number, { records: number, bytes: number }>()
    const share = (s: { records: number, bytes: number }): number => Math.max(s.records / 1000, s.bytes / 100_000)
    for (let i = 0; i < 20_000; i++) {
      const id = next() % 50
      const held = ref.get(id)
      const add = held == null || next() % 3 !== 0
      const size = add ? 1 + next() % 500 : Math.min(held.bytes, 1 + next() % 500)
      table.update(id, add ? 1 : -1, add ? size : -size)
      const s = held ?? { records: 0, bytes: 0 }
      s.records += add ? 1 : -1
      s.bytes = Math.max(0, s.bytes + (add ? size : -size))
      if (s.records <= 0) ref.delete(id)
      else ref.set(id, s)
      if (i % 97 === 0) {
        const largest = table.largest()
        const best = Math.max(0, ...[...ref.values()].map(share))
        if (ref.size === 0) assert.equal(largest, undefined)
        else assert.equal(share(ref.get(largest!)!), best)
      }
    }
    assert.equal(table.size, ref.size)
    for (const [id, s] of ref) assert.deepEqual(table.get(id), s)
  })

  it('weighs whichever cap binds: records or bytes', () => {
    const table = new UploaderTable({ maxRecords: 10, maxBytes: 1000 })
    table.update(1, 5, 50) // half the records, 5% of the bytes
    table.update(2, 1, 600) // 10% of the records, 60% of the bytes
    assert.equal(table.largest(), 2)
    table.update(1, 2, 20) // 70% of the records
    assert.equal(table.largest(), 1)
    table.update(1, -7, -70)
    assert.equal(table.get(1), undefined)
    assert.equal(table.largest(), 2)
  })
})
