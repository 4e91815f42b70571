import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { KeyTable } from '../../src/relay/store/key-table.ts'
import { SymbolSet } from '../../src/relay/store/symbol-set.ts'

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

  it('gives keys back coldest first, skipping one touched since and the one excepted', () => {
    const table = new KeyTable()
    const keys = Array.from({ length: 300 }, (_, i) => new Uint8Array([i >> 8, i & 0xff, 7, 7]))
    for (const k of keys) table.update(k, 1, 10)
    table.touch(keys[0])
    assert.deepEqual(table.coldest(), keys[1])
    assert.deepEqual(table.coldest(keys[1]), keys[2])
    const order: number[] = []
    for (;;) {
      const k = table.coldest(keys[5])
      if (k == null) break
      order.push((k[0] << 8) | k[1])
      table.delete(k)
    }
    // all but the excepted key, coldest first; key 0 was touched, so it comes last
    assert.deepEqual(order, [...Array.from({ length: 299 }, (_, i) => i + 1).filter(i => i !== 5), 0])
    assert.equal(table.size, 1)
    assert.equal(table.coldest(keys[5]), undefined)
  })
})
