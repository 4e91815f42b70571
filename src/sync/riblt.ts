/**
 * Rateless IBLT coding over 64-bit symbols, through `@peerbit/riblt` (a wasm build of the
 * Rust port of Yang, Gilad and Alizadeh's "Practical Rateless Set Reconciliation"), plus the
 * wire form of coded-symbol batches.
 *
 * The wasm decoder `unwrap()`s whatever it is handed, so a coded symbol from the wire is checked
 * here (three bigints in range) before it reaches the wasm: a panic there would trap inside the
 * module. Wasm objects are freed explicitly; their finalizers alone would hold memory until GC.
 */
import { DecoderWrapper, EncoderWrapper, ready } from '@peerbit/riblt'
import { reader, writer } from 'protons-runtime'
import { InvalidSyncMessageError } from '../errors.ts'
import { SYMBOL_BYTES } from './constants.ts'
import type { CodedSymbols } from '../pb/sync.ts'

export interface CodedSymbol {
  /** XOR of the symbols mapped here (uint64). */
  symbol: bigint
  /** XOR of their hashes (uint64). */
  hash: bigint
  /** How many symbols are mapped here, signed (int64). */
  count: bigint
}

/** Resolves once the wasm module is instantiated; every other function here needs it. */
export async function loadRiblt (): Promise<void> {
  await ready
}

/** Produces coded symbols for a set, as many as asked, in order. */
export class SymbolEncoder {
  private encoder: EncoderWrapper | undefined

  constructor (symbols: ArrayLike<bigint>) {
    this.encoder = new EncoderWrapper()
    for (let i = 0; i < symbols.length; i++) {
      this.encoder.add_symbol(symbols[i])
    }
  }

  /** The next `n` coded symbols. */
  next (n: number): CodedSymbol[] {
    if (this.encoder == null) {
      throw new Error('encoder freed')
    }
    const out = new Array<CodedSymbol>(n)
    for (let i = 0; i < n; i++) {
      out[i] = this.encoder.produce_next_coded_symbol() as CodedSymbol
    }
    return out
  }

  free (): void {
    this.encoder?.free()
    this.encoder = undefined
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
  private decoder: DecoderWrapper | undefined
  private fed = 0

  constructor (local: ArrayLike<bigint>) {
    this.decoder = new DecoderWrapper()
    for (let i = 0; i < local.length; i++) {
      this.decoder.add_symbol(local[i])
    }
  }

  /** Coded symbols fed so far. */
  get codedSymbols (): number {
    return this.fed
  }

  /**
   * Feed coded symbols and try to decode. Throws `InvalidSyncMessageError` when the peeling
   * fails (inconsistent input from the peer).
   */
  add (coded: CodedSymbol[]): DecodeResult {
    const decoder = this.decoder
    if (decoder == null) {
      throw new Error('decoder freed')
    }
    for (const c of coded) {
      decoder.add_coded_symbol(c)
    }
    this.fed += coded.length
    try {
      decoder.try_decode()
    } catch (err: any) {
      throw new InvalidSyncMessageError(`coded symbols do not decode: ${String(err?.message ?? err)}`)
    }
    // decoded() reports true on a decoder that was never fed: only trust it after feeding
    if (this.fed === 0 || !decoder.decoded()) {
      return { decoded: false, remoteOnly: [], localOnly: [] }
    }
    return {
      decoded: true,
      remoteOnly: decoder.get_remote_symbols() as bigint[],
      localOnly: decoder.get_local_symbols() as bigint[]
    }
  }

  free (): void {
    this.decoder?.free()
    this.decoder = undefined
  }
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
