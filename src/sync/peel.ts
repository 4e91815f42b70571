/**
 * The peeling half of rateless IBLT decoding, in plain JS, bounded against hostile input (pure,
 * no I/O).
 *
 * A responder subtracts its own coded symbols (from `SymbolEncoder` over its set) from the
 * peer's, cell by cell: what remains in each cell is the XOR of the symbols held on one side
 * only, the XOR of their hashes, and the signed count (+1 for each symbol only the peer holds,
 * -1 for each only this side holds). A cell with count ±1 whose hash is the hash of its symbol
 * is pure: that symbol is a difference, and peeling it removes it from every cell it maps to,
 * which may make other cells pure.
 *
 * The wasm decoder of `@peerbit/riblt` peels without any bound: one crafted batch (a symbol
 * placed in a cell its mapping does not start from) makes it peel the same symbol back and forth
 * until its memory runs out. Here no peer byte reaches wasm, and peeling stops with
 * `SyncDecodeError` when:
 * - a symbol would be peeled a second time (honest input peels each difference once);
 * - more symbols would be peeled than coded symbols were fed (each honest peel empties the cell
 *   it came from for good, so peels never outnumber cells);
 * - a symbol peeled as the peer's is in the local set, or one peeled as local is not;
 * - the cell a symbol was peeled from is not empty afterwards (its mapping does not reach it);
 * - a symbol's mapping takes more than `MAX_MAPPING_STEPS` steps.
 * Work is therefore at most (cells fed) x `MAX_MAPPING_STEPS` cell updates, the queue of cells to
 * look at holds each cell at most once, and `run` does a bounded slice of it per call.
 *
 * Bit-compatible with `@peerbit/riblt` 1.2 for 64-bit symbols: a symbol's hash is SipHash-2-4
 * keyed (123, 456) over its 8 little-endian bytes, and its mapping is the crate's
 * `RandomMapping` seeded with that hash (test/sync/codec.test.ts checks both against the wasm).
 */
import { SyncDecodeError } from '../errors.ts'

/** One coded symbol: XOR of the symbols mapped to it, XOR of their hashes, signed count. */
export interface CodedSymbol {
  /** XOR of the symbols mapped here (uint64). */
  symbol: bigint
  /** XOR of their hashes (uint64). */
  hash: bigint
  /** How many symbols are mapped here, signed (int64). */
  count: bigint
}

/**
 * Most steps one symbol's mapping may take. A symbol maps to about 2 ln(n) of the first n cells
 * (~23 of 100,000); the mapping grows geometrically, so even a hash searched for a long mapping
 * stays far below this.
 */
export const MAX_MAPPING_STEPS = 1024

/** Counts beyond this are clamped: peeling moves a count by at most one per peel. */
const COUNT_CLAMP = 2 ** 52
const TWO_32 = 4294967296
/** Drop the consumed head of the queue once it is this long and half the queue. */
const QUEUE_COMPACT_AT = 4096
/** `RandomMapping`'s multiplier 0xda942042e4dd58b5, as 32-bit halves. */
const MUL_HI = 0xda942042
const MUL_LO = 0xe4dd58b5

// --- SipHash-2-4 of one 64-bit word, keys (123, 456), on 32-bit halves ------------------------

// scratch registers of `sipHash` (module-private; the hash runs to completion synchronously, so
// nothing else sees them mid-way), kept out of objects so the hot loop allocates nothing
let v0l = 0; let v0h = 0; let v1l = 0; let v1h = 0; let v2l = 0; let v2h = 0; let v3l = 0; let v3h = 0
let hashLo = 0
let hashHi = 0

function sipRound (): void {
  let lo: number
  let t: number
  // v0 += v1; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32)
  lo = (v0l + v1l) >>> 0; v0h = (v0h + v1h + (lo < v0l ? 1 : 0)) >>> 0; v0l = lo
  t = ((v1h << 13) | (v1l >>> 19)) >>> 0; v1l = ((v1l << 13) | (v1h >>> 19)) >>> 0; v1h = t
  v1l = (v1l ^ v0l) >>> 0; v1h = (v1h ^ v0h) >>> 0
  t = v0l; v0l = v0h; v0h = t
  // v2 += v3; v3 = rotl(v3, 16); v3 ^= v2
  lo = (v2l + v3l) >>> 0; v2h = (v2h + v3h + (lo < v2l ? 1 : 0)) >>> 0; v2l = lo
  t = ((v3h << 16) | (v3l >>> 16)) >>> 0; v3l = ((v3l << 16) | (v3h >>> 16)) >>> 0; v3h = t
  v3l = (v3l ^ v2l) >>> 0; v3h = (v3h ^ v2h) >>> 0
  // v0 += v3; v3 = rotl(v3, 21); v3 ^= v0
  lo = (v0l + v3l) >>> 0; v0h = (v0h + v3h + (lo < v0l ? 1 : 0)) >>> 0; v0l = lo
  t = ((v3h << 21) | (v3l >>> 11)) >>> 0; v3l = ((v3l << 21) | (v3h >>> 11)) >>> 0; v3h = t
  v3l = (v3l ^ v0l) >>> 0; v3h = (v3h ^ v0h) >>> 0
  // v2 += v1; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32)
  lo = (v2l + v1l) >>> 0; v2h = (v2h + v1h + (lo < v2l ? 1 : 0)) >>> 0; v2l = lo
  t = ((v1h << 17) | (v1l >>> 15)) >>> 0; v1l = ((v1l << 17) | (v1h >>> 15)) >>> 0; v1h = t
  v1l = (v1l ^ v2l) >>> 0; v1h = (v1h ^ v2h) >>> 0
  t = v2l; v2l = v2h; v2h = t
}

/** Hash the 64-bit word (lo, hi) into `hashLo` / `hashHi`. */
function sipHash (lo: number, hi: number): void {
  // v = k ^ "somepseudorandomlygeneratedbytes", k0 = 123, k1 = 456
  v0l = (0x70736575 ^ 123) >>> 0; v0h = 0x736f6d65
  v1l = (0x6e646f6d ^ 456) >>> 0; v1h = 0x646f7261
  v2l = (0x6e657261 ^ 123) >>> 0; v2h = 0x6c796765
  v3l = (0x79746573 ^ 456) >>> 0; v3h = 0x74656462
  // the one 8-byte block
  v3l = (v3l ^ lo) >>> 0; v3h = (v3h ^ hi) >>> 0
  sipRound(); sipRound()
  v0l = (v0l ^ lo) >>> 0; v0h = (v0h ^ hi) >>> 0
  // the final block: length 8 in the top byte, no tail
  v3h = (v3h ^ 0x08000000) >>> 0
  sipRound(); sipRound()
  v0h = (v0h ^ 0x08000000) >>> 0
  v2l = (v2l ^ 0xff) >>> 0
  sipRound(); sipRound(); sipRound(); sipRound()
  hashLo = (v0l ^ v1l ^ v2l ^ v3l) >>> 0
  hashHi = (v0h ^ v1h ^ v2h ^ v3h) >>> 0
}

/** The hash `@peerbit/riblt` gives a 64-bit symbol. */
export function symbolHash (symbol: bigint): bigint {
  sipHash(Number(symbol & 0xffffffffn), Number(symbol >> 32n))
  return (BigInt(hashHi) << 32n) | BigInt(hashLo)
}

// --- the symbol -> cell mapping --------------------------------------------------------------

/** A symbol's position in its mapping: the PRNG state and the next cell it maps to. */
interface Mapping {
  prngLo: number
  prngHi: number
  next: number
  steps: number
}

/** Advance a mapping one step, exactly as the crate's `RandomMapping::next_index`. */
function advance (m: Mapping): void {
  // r = prng * MUL mod 2^64, on 16-bit pieces so every product is exact in a double
  const a0 = m.prngLo & 0xffff
  const a1 = m.prngLo >>> 16
  const b0 = MUL_LO & 0xffff
  const b1 = MUL_LO >>> 16
  const mid = a0 * b1 + a1 * b0
  const low = a0 * b0 + (mid % 65536) * 65536
  const lo = low >>> 0
  const hiOfLow = a1 * b1 + Math.floor(mid / 65536) + Math.floor(low / TWO_32)
  const hi = (hiOfLow + Math.imul(m.prngHi, MUL_LO) + Math.imul(m.prngLo, MUL_HI)) >>> 0
  m.prngLo = lo
  m.prngHi = hi
  // last += ceil((last + 1.5) * (2^32 / sqrt(r + 1) - 1)), in doubles as the crate computes it
  // (r as f64 is the correctly rounded hi * 2^32 + lo); a negative or NaN step saturates to 0
  const r = hi * TWO_32 + lo
  const step = Math.ceil((m.next + 1.5) * (TWO_32 / Math.sqrt(r + 1) - 1))
  m.next += step > 0 ? step : 0
  m.steps++
}

/** The cells below `cells` that `symbol` maps to, in order (for tests and tools). */
export function mappingOf (symbol: bigint, cells: number): number[] {
  const hash = symbolHash(symbol)
  const m: Mapping = { prngLo: Number(hash & 0xffffffffn), prngHi: Number(hash >> 32n), next: 0, steps: 0 }
  const out: number[] = []
  while (m.next < cells && m.steps <= MAX_MAPPING_STEPS) {
    out.push(m.next)
    advance(m)
  }
  return out
}

// --- the decoder -------------------------------------------------------------------------------

/** A peeled symbol, kept to subtract it from cells fed later. */
interface Peeled extends Mapping {
  lo: number
  hi: number
  hashLo: number
  hashHi: number
  /** +1: only the peer holds it; -1: only this side. */
  side: 1 | -1
}

export class PeelDecoder {
  /** Symbols only the peer holds, in the order peeled. */
  readonly remoteOnly: bigint[] = []
  /** Symbols only this side holds, in the order peeled. */
  readonly localOnly: bigint[] = []
  private readonly isLocal: (symbol: bigint) => boolean
  private symLo = new Uint32Array(0)
  private symHi = new Uint32Array(0)
  private hashLo = new Uint32Array(0)
  private hashHi = new Uint32Array(0)
  private count = new Float64Array(0)
  private queued = new Uint8Array(0)
  private size = 0
  /** Cells not all zero. */
  private nonZero = 0
  /** Cells that may be pure, each at most once. */
  private queue: number[] = []
  private head = 0
  private readonly peeled: Peeled[] = []
  private readonly peeledSymbols = new Set<bigint>()

  /** `isLocal` tells whether a symbol is in this side's set. */
  constructor (isLocal: (symbol: bigint) => boolean) {
    this.isLocal = isLocal
  }

  /** Cells fed so far. */
  get cells (): number {
    return this.size
  }

  /** Symbols peeled so far. */
  get peels (): number {
    return this.peeled.length
  }

  /**
   * Every cell fed is empty once the peeled symbols are taken out: the difference is complete.
   * Meaningful once `run` has returned true.
   */
  get decoded (): boolean {
    return this.size > 0 && this.nonZero === 0
  }

  /**
   * Feed the next cells: `remote[i]` minus `local[i]`, this side's coded symbol at the same
   * position. Symbols peeled earlier are subtracted from them as well.
   */
  addCells (remote: CodedSymbol[], local: CodedSymbol[]): void {
    if (remote.length !== local.length) {
      throw new RangeError('remote and local coded symbols differ in number')
    }
    const start = this.size
    const end = start + remote.length
    this.grow(end)
    for (let k = 0; k < remote.length; k++) {
      const i = start + k
      const symbol = remote[k].symbol ^ local[k].symbol
      const hash = remote[k].hash ^ local[k].hash
      const count = remote[k].count - local[k].count
      this.symLo[i] = Number(symbol & 0xffffffffn)
      this.symHi[i] = Number((symbol >> 32n) & 0xffffffffn)
      this.hashLo[i] = Number(hash & 0xffffffffn)
      this.hashHi[i] = Number((hash >> 32n) & 0xffffffffn)
      const n = Number(count)
      this.count[i] = n > COUNT_CLAMP ? COUNT_CLAMP : n < -COUNT_CLAMP ? -COUNT_CLAMP : n
    }
    this.size = end
    for (const p of this.peeled) {
      while (p.next < end) {
        this.remove(p.next, p)
        this.step(p)
      }
    }
    for (let i = start; i < end; i++) {
      if (!this.isZero(i)) this.nonZero++
      this.consider(i)
    }
  }

  /**
   * Peel up to `maxPeels` symbols. Returns true when nothing is left to peel (then `decoded`
   * tells whether the difference is complete), false when the slice ran out first. Throws
   * `SyncDecodeError` when the cells are inconsistent.
   */
  run (maxPeels: number): boolean {
    let peels = 0
    while (this.head < this.queue.length) {
      const i = this.queue[this.head]
      const pure = this.isPure(i)
      if (pure && peels >= maxPeels) return false
      this.head++
      this.queued[i] = 0
      if (this.head >= QUEUE_COMPACT_AT && this.head * 2 >= this.queue.length) {
        this.queue = this.queue.slice(this.head)
        this.head = 0
      }
      if (pure) {
        peels++
        this.peel(i)
      }
    }
    this.queue = []
    this.head = 0
    return true
  }

  private peel (i: number): void {
    const side = this.count[i] === 1 ? 1 : -1
    const lo = this.symLo[i]
    const hi = this.symHi[i]
    const symbol = (BigInt(hi) << 32n) | BigInt(lo)
    if (this.peeledSymbols.has(symbol)) {
      throw new SyncDecodeError(`symbol ${hex(symbol)} peeled twice: the coded symbols are inconsistent`)
    }
    if (this.peeled.length >= this.size) {
      throw new SyncDecodeError(`more symbols peeled than the ${this.size} coded symbols fed`)
    }
    if ((side === 1) === this.isLocal(symbol)) {
      throw new SyncDecodeError(`symbol ${hex(symbol)} peeled as ${side === 1 ? 'the peer\'s' : 'ours'}, but it is ${side === 1 ? '' : 'not '}in our set`)
    }
    this.peeledSymbols.add(symbol)
    if (side === 1) this.remoteOnly.push(symbol)
    else this.localOnly.push(symbol)
    const p: Peeled = { lo, hi, hashLo: this.hashLo[i], hashHi: this.hashHi[i], side, prngLo: this.hashLo[i], prngHi: this.hashHi[i], next: 0, steps: 0 }
    this.peeled.push(p)
    while (p.next < this.size) {
      const before = this.isZero(p.next)
      this.remove(p.next, p)
      const after = this.isZero(p.next)
      if (before !== after) this.nonZero += after ? -1 : 1
      this.consider(p.next)
      this.step(p)
    }
    // a pure cell holds exactly the symbol peeled from it, which maps there: it is empty now
    if (!this.isZero(i)) {
      throw new SyncDecodeError(`symbol ${hex(symbol)} sat in coded symbol ${i}, which its mapping does not reach`)
    }
  }

  /** Take `p` out of cell `i`. */
  private remove (i: number, p: Peeled): void {
    this.symLo[i] = (this.symLo[i] ^ p.lo) >>> 0
    this.symHi[i] = (this.symHi[i] ^ p.hi) >>> 0
    this.hashLo[i] = (this.hashLo[i] ^ p.hashLo) >>> 0
    this.hashHi[i] = (this.hashHi[i] ^ p.hashHi) >>> 0
    this.count[i] -= p.side
  }

  private step (p: Peeled): void {
    advance(p)
    if (p.steps > MAX_MAPPING_STEPS) {
      throw new SyncDecodeError(`a symbol's mapping took more than ${MAX_MAPPING_STEPS} steps`)
    }
  }

  /** Queue cell `i` if its count says it may be pure. */
  private consider (i: number): void {
    const c = this.count[i]
    if ((c === 1 || c === -1) && this.queued[i] === 0) {
      this.queued[i] = 1
      this.queue.push(i)
    }
  }

  private isPure (i: number): boolean {
    const c = this.count[i]
    if (c !== 1 && c !== -1) return false
    sipHash(this.symLo[i], this.symHi[i])
    return hashLo === this.hashLo[i] && hashHi === this.hashHi[i]
  }

  private isZero (i: number): boolean {
    return this.count[i] === 0 && this.symLo[i] === 0 && this.symHi[i] === 0 && this.hashLo[i] === 0 && this.hashHi[i] === 0
  }

  private grow (needed: number): void {
    if (needed <= this.count.length) return
    const capacity = Math.max(needed, this.count.length * 2, 64)
    const words = (old: Uint32Array): Uint32Array<ArrayBuffer> => {
      const next = new Uint32Array(capacity)
      next.set(old)
      return next
    }
    this.symLo = words(this.symLo)
    this.symHi = words(this.symHi)
    this.hashLo = words(this.hashLo)
    this.hashHi = words(this.hashHi)
    const count = new Float64Array(capacity)
    count.set(this.count)
    this.count = count
    const queued = new Uint8Array(capacity)
    queued.set(this.queued)
    this.queued = queued
  }
}

function hex (symbol: bigint): string {
  return '0x' + symbol.toString(16).padStart(16, '0')
}
