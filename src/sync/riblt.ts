/**
 * Rateless IBLT coding over 64-bit symbols, plus the wire form of coded-symbol batches.
 *
 * Encoding runs in `@peerbit/riblt` (a wasm build of the Rust port of Yang, Gilad and
 * Alizadeh's "Practical Rateless Set Reconciliation") and only ever sees this relay's own
 * symbols. Decoding never hands peer bytes to the wasm: its decoder peels without bound, so one
 * crafted batch made it loop until its memory ran out (3.3 GiB), and a trap left its objects
 * unfreeable. `SymbolDecoder` instead subtracts this side's own coded symbols from the peer's and
 * peels the difference in JS (`peel.ts`), with bounds, in slices that yield to the event loop.
 *
 * Wasm objects are freed explicitly (their finalizers alone would hold memory until GC), once,
 * and never after a call into them threw: a trap leaves the object borrowed, and freeing it
 * then throws too.
 */
import { setImmediate as yieldToLoop } from 'node:timers/promises'
import { EncoderWrapper, ready } from '@peerbit/riblt'
import { reader, writer } from 'protons-runtime'
import { InvalidSyncMessageError } from '../errors.ts'
import { SYMBOL_BYTES } from './constants.ts'
import { PeelDecoder } from './peel.ts'
import type { CodedSymbol } from './peel.ts'
import type { CodedSymbols } from '../pb/sync.ts'

export type { CodedSymbol } from './peel.ts'

/** Symbols peeled per slice before the decoder yields to the event loop. */
export const PEEL_SLICE = 1024

/** Resolves once the wasm module is instantiated; every other function here needs it. */
export async function loadRiblt (): Promise<void> {
  await ready
}

/** Produces coded symbols for a set, as many as asked, in order. */
export class SymbolEncoder {
  private encoder: EncoderWrapper | undefined

  constructor (symbols: ArrayLike<bigint>) {
    const encoder = new EncoderWrapper()
    try {
      for (let i = 0; i < symbols.length; i++) {
        encoder.add_symbol(symbols[i])
      }
    } catch (err) {
      abandon(encoder)
      throw err
    }
    this.encoder = encoder
  }

  /** The next `n` coded symbols. */
  next (n: number): CodedSymbol[] {
    const encoder = this.encoder
    if (encoder == null) {
      throw new Error('encoder freed')
    }
    const out = new Array<CodedSymbol>(n)
    try {
      for (let i = 0; i < n; i++) {
        out[i] = encoder.produce_next_coded_symbol() as CodedSymbol
      }
    } catch (err) {
      this.encoder = undefined
      abandon(encoder)
      throw err
    }
    return out
  }

  /** Release the wasm memory; safe to call more than once. */
  free (): void {
    const encoder = this.encoder
    this.encoder = undefined
    try {
      encoder?.free()
    } catch {
      // nothing more can be done for an object a trap left borrowed
    }
  }
}

export interface DecodeResult {
  /** Every coded symbol fed so far has been peeled: the difference below is complete. */
  decoded: boolean
  /** Symbols the encoding side holds and the local set lacks. */
  remoteOnly: bigint[]
  /** Symbols the local set holds and the encoding side lacks. */
  localOnly: bigint[]
}

/** Peels a remote set's coded symbols against the local set. */
export class SymbolDecoder {
  private readonly encoder: SymbolEncoder
  private readonly peel: PeelDecoder

  /** `local`: this side's symbols, sorted and without duplicates (see `sortedUnique`). */
  constructor (local: BigUint64Array) {
    this.encoder = new SymbolEncoder(local)
    this.peel = new PeelDecoder(symbol => sortedHas(local, symbol))
  }

  /** Coded symbols fed so far. */
  get codedSymbols (): number {
    return this.peel.cells
  }

  /**
   * Feed coded symbols and peel what they free, yielding to the event loop every `PEEL_SLICE`
   * symbols. Throws `SyncDecodeError` when the peer's coded symbols are inconsistent, or the
   * signal's reason when it aborts.
   */
  async add (coded: CodedSymbol[], signal: AbortSignal): Promise<DecodeResult> {
    this.peel.addCells(coded, this.encoder.next(coded.length))
    while (!this.peel.run(PEEL_SLICE)) {
      await yieldToLoop()
      signal.throwIfAborted()
    }
    if (!this.peel.decoded) {
      return { decoded: false, remoteOnly: [], localOnly: [] }
    }
    return { decoded: true, remoteOnly: [...this.peel.remoteOnly], localOnly: [...this.peel.localOnly] }
  }

  /** Release the wasm memory; safe to call more than once. */
  free (): void {
    this.encoder.free()
  }
}

/**
 * Drop a wasm object that a trap left borrowed without calling into it again: no `free()` (it
 * would throw), and out of the finalization registry, whose late `free` would throw where nothing
 * catches it. Its memory stays with the wasm instance.
 */
function abandon (object: object): void {
  try {
    (object as { __destroy_into_raw?: () => number }).__destroy_into_raw?.()
  } catch {}
}

/** Whether the sorted `set` holds `symbol` (binary search). */
function sortedHas (set: BigUint64Array, symbol: bigint): boolean {
  let lo = 0
  let hi = set.length - 1
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1
    const v = set[mid]
    if (v === symbol) return true
    if (v < symbol) lo = mid + 1
    else hi = mid - 1
  }
  return false
}

/** Wire form of a batch: symbols and hashes as 8-byte big-endian, counts as packed sint64. */
export function encodeCodedBatch (coded: CodedSymbol[]): CodedSymbols {
  const symbols = new Uint8Array(coded.length * SYMBOL_BYTES)
  const hashes = new Uint8Array(coded.length * SYMBOL_BYTES)
  const sv = new DataView(symbols.buffer)
  const hv = new DataView(hashes.buffer)
  const counts = writer()
  for (let i = 0; i < coded.length; i++) {
    sv.setBigUint64(i * SYMBOL_BYTES, coded[i].symbol)
    hv.setBigUint64(i * SYMBOL_BYTES, coded[i].hash)
    counts.sint64(coded[i].count)
  }
  return { symbols, hashes, counts: counts.finish() as Uint8Array<ArrayBuffer> }
}

/**
 * Parse a batch from the wire. Throws `InvalidSyncMessageError` when the parts disagree in
 * length, a count is not a complete varint, or the batch holds more than `max` coded symbols.
 */
export function decodeCodedBatch (msg: CodedSymbols, max: number): CodedSymbol[] {
  const { symbols, hashes, counts } = msg
  if (symbols.byteLength % SYMBOL_BYTES !== 0 || hashes.byteLength !== symbols.byteLength) {
    throw new InvalidSyncMessageError('coded batch: symbols and hashes differ in length or are not 8-byte aligned')
  }
  const n = symbols.byteLength / SYMBOL_BYTES
  if (n === 0) {
    throw new InvalidSyncMessageError('coded batch is empty')
  }
  if (n > max) {
    throw new InvalidSyncMessageError(`coded batch of ${n} exceeds ${max}`)
  }
  const sv = new DataView(symbols.buffer, symbols.byteOffset, symbols.byteLength)
  const hv = new DataView(hashes.buffer, hashes.byteOffset, hashes.byteLength)
  const cr = reader(counts)
  const out = new Array<CodedSymbol>(n)
  try {
    for (let i = 0; i < n; i++) {
      const count = cr.sint64()
      // getBigUint64 yields uint64 and sint64 yields int64: the ranges the wasm accepts
      out[i] = { symbol: sv.getBigUint64(i * SYMBOL_BYTES), hash: hv.getBigUint64(i * SYMBOL_BYTES), count }
    }
  } catch {
    throw new InvalidSyncMessageError('coded batch: counts are not valid varints')
  }
  if (cr.pos !== cr.len) {
    throw new InvalidSyncMessageError('coded batch: more counts than symbols')
  }
  return out
}
