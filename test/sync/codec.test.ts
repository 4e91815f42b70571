import assert from 'node:assert/strict'
import { describe, it, before } from 'node:test'
import { decodeItem, encodeItem, symbolOf } from '../../src/sync/item.ts'
import { SymbolDecoder, SymbolEncoder, decodeCodedBatch, encodeCodedBatch, loadRiblt } from '../../src/sync/riblt.ts'
import { packSymbols, sortedDifference, sortedUnique, unpackSymbols } from '../../src/sync/symbols.ts'

const key = new TextEncoder().encode('/ipts/key')

describe('sync items', () => {
  it('frames a record with its routing key and parses it back', () => {
    const record = new Uint8Array([9, 8, 7])
    const framed = encodeItem({ kind: 'record', routingKey: key, record })
    assert.deepEqual([...framed.subarray(0, 3)], [0x01, 0, key.byteLength])
    const parsed = decodeItem(framed)
    assert.equal(parsed.kind, 'record')
    assert.deepEqual(parsed.kind === 'record' && [...parsed.routingKey], [...key])
    assert.deepEqual(parsed.kind === 'record' && [...parsed.record], [9, 8, 7])
  })

  it('frames acknowledgements and topics', () => {
    assert.deepEqual(decodeItem(encodeItem({ kind: 'ack', ack: new Uint8Array([1, 2]) })), { kind: 'ack', ack: new Uint8Array([1, 2]) })
    assert.deepEqual(decodeItem(encodeItem({ kind: 'topic', routingKey: key })), { kind: 'topic', routingKey: key })
  })

  const bad: Array<[string, Uint8Array]> = [
    ['empty', new Uint8Array(0)],
    ['unknown kind', new Uint8Array([0x09, 1, 2])],
    ['record without record bytes', new Uint8Array([0x01, 0, 2, 1, 2])],
    ['record with zero-length key', new Uint8Array([0x01, 0, 0, 1, 2])],
    ['record key longer than the frame', new Uint8Array([0x01, 0, 200, 1, 2])],
    ['oversized ack', new Uint8Array(64 * 1024 + 1).fill(2, 0, 1)]
  ]
  for (const [name, bytes] of bad) {
    it(`rejects a malformed frame: ${name}`, () => {
      assert.throws(() => decodeItem(bytes), { name: 'InvalidSyncItemError' })
    })
  }

  it('symbol is the big-endian uint64 of the first 8 bytes of sha256(frame)', () => {
    // sha256(0x02 "abc") = 909ac45e43991119 3205994d…
    const framed = encodeItem({ kind: 'ack', ack: new TextEncoder().encode('abc') })
    assert.equal(symbolOf(framed), 0x909ac45e43991119n)
  })
})

describe('symbol lists', () => {
  it('pack and unpack 8-byte big-endian symbols', () => {
    const symbols = [0n, 1n, 0xffff_ffff_ffff_ffffn, 0x0102030405060708n]
    const packed = packSymbols(symbols)
    assert.equal(packed.byteLength, 32)
    assert.deepEqual([...packed.subarray(24)], [1, 2, 3, 4, 5, 6, 7, 8])
    assert.deepEqual(unpackSymbols(packed, 4), symbols)
  })

  it('refuse a list that is not 8-byte aligned or longer than allowed', () => {
    assert.throws(() => unpackSymbols(new Uint8Array(7), 10), { name: 'InvalidSyncMessageError' })
    assert.throws(() => unpackSymbols(new Uint8Array(24), 2), { name: 'InvalidSyncMessageError' })
  })

  it('sortedUnique drops duplicates and sortedDifference finds both sides', () => {
    const a = sortedUnique([5n, 1n, 3n, 3n, 9n])
    const b = sortedUnique([3n, 4n, 9n, 10n, 4n])
    assert.deepEqual([...a], [1n, 3n, 5n, 9n])
    assert.deepEqual(sortedDifference(a, b), { localOnly: [1n, 5n], remoteOnly: [4n, 10n] })
  })
})

describe('rateless IBLT', () => {
  before(async () => { await loadRiblt() })

  it('decodes a small difference from few coded symbols, both ways', () => {
    const common = Array.from({ length: 5000 }, (_, i) => BigInt(i) * 7919n + 13n)
    const remote = [...common, 1n << 62n, (1n << 62n) + 1n]
    const local = [...common, 42n << 40n]
    const encoder = new SymbolEncoder(remote)
    const decoder = new SymbolDecoder(local)
    let result
    let fed = 0
    do {
      result = decoder.add(encoder.next(4))
      fed += 4
    } while (!result.decoded && fed < 1000)
    encoder.free()
    decoder.free()
    assert.equal(result.decoded, true)
    assert.ok(fed <= 40, `needed ${fed} coded symbols for 3 differences`)
    assert.deepEqual(result.remoteOnly.sort(), [1n << 62n, (1n << 62n) + 1n])
    assert.deepEqual(result.localOnly, [42n << 40n])
  })

  it('a decoder that was never fed does not claim to be decoded', () => {
    const decoder = new SymbolDecoder([1n, 2n])
    assert.equal(decoder.add([]).decoded, false)
    decoder.free()
  })

  it('coded batches survive the wire form', () => {
    const encoder = new SymbolEncoder([1n, 2n, 3n, 0xffff_ffff_ffff_ffffn])
    const batch = encoder.next(10)
    encoder.free()
    assert.deepEqual(decodeCodedBatch(encodeCodedBatch(batch), 10), batch)
  })

  it('refuses malformed batches before they reach the wasm', () => {
    const ok = encodeCodedBatch([{ symbol: 1n, hash: 2n, count: -3n }])
    const cases = {
      'unaligned symbols': { ...ok, symbols: new Uint8Array(7) },
      'hashes shorter than symbols': { ...ok, hashes: new Uint8Array(0) },
      'missing count': { ...ok, counts: new Uint8Array(0) },
      'truncated varint': { ...ok, counts: new Uint8Array([0x80]) },
      'extra counts': { ...ok, counts: new Uint8Array([1, 1]) },
      empty: { symbols: new Uint8Array(0), hashes: new Uint8Array(0), counts: new Uint8Array(0) }
    }
    for (const [name, msg] of Object.entries(cases)) {
      assert.throws(() => decodeCodedBatch(msg, 10), { name: 'InvalidSyncMessageError' }, name)
    }
    assert.throws(() => decodeCodedBatch(encodeCodedBatch(Array.from({ length: 3 }, () => ({ symbol: 1n, hash: 1n, count: 1n }))), 2), { name: 'InvalidSyncMessageError' })
  })
})
