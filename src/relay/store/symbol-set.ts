/**
 * A set of 64-bit sync symbols in two flat `Uint32Array`s (open addressing, linear probing,
 * backward-shift deletion), so a symbol costs 8 bytes per slot, 11-23 bytes at the load
 * factors kept (0.35-0.7), instead of the ~60-80 bytes of a `Set<bigint>` entry with its BigInt.
 *
 * Slots are picked by a multiplicative hash with a random odd multiplier, so symbols ground to
 * collide in their low bits do not turn probing quadratic. The all-zero symbol marks an empty
 * slot and is kept in a flag of its own.
 */
import { randomBytes } from 'node:crypto'

const MIN_BITS = 4
const MAX_LOAD = 0.7

export class SymbolSet {
  private hi: Uint32Array
  private lo: Uint32Array
  private bits: number
  private mask: number
  private count = 0
  private hasZero = false
  private readonly multiplier: number

  constructor (expected = 0) {
    this.bits = MIN_BITS
    while ((1 << this.bits) * MAX_LOAD < expected) this.bits++
    this.hi = new Uint32Array(1 << this.bits)
    this.lo = new Uint32Array(1 << this.bits)
    this.mask = (1 << this.bits) - 1
    this.multiplier = randomBytes(4).readUInt32BE(0) | 1
  }

  /** Number of symbols held. */
  get size (): number {
    return this.count + (this.hasZero ? 1 : 0)
  }

  /** Bytes held by the slot arrays. */
  get byteLength (): number {
    return this.hi.byteLength + this.lo.byteLength
  }

  has (symbol: bigint): boolean {
    const [hi, lo] = split(symbol)
    return this.hasParts(hi, lo)
  }

  add (symbol: bigint): boolean {
    const [hi, lo] = split(symbol)
    return this.addParts(hi, lo)
  }

  delete (symbol: bigint): boolean {
    const [hi, lo] = split(symbol)
    return this.deleteParts(hi, lo)
  }

  hasParts (hi: number, lo: number): boolean {
    if (hi === 0 && lo === 0) return this.hasZero
    return this.find(hi, lo) >= 0
  }

  /** Adds the symbol whose high and low 32 bits are given; false when it was already there. */
  addParts (hi: number, lo: number): boolean {
    if (hi === 0 && lo === 0) {
      const added = !this.hasZero
      this.hasZero = true
      return added
    }
    if ((this.count + 1) > (this.mask + 1) * MAX_LOAD) this.resize(this.bits + 1)
    let i = this.home(hi, lo)
    while (this.hi[i] !== 0 || this.lo[i] !== 0) {
      if (this.hi[i] === hi && this.lo[i] === lo) return false
      i = (i + 1) & this.mask
    }
    this.hi[i] = hi
    this.lo[i] = lo
    this.count++
    return true
  }

  deleteParts (hi: number, lo: number): boolean {
    if (hi === 0 && lo === 0) {
      const had = this.hasZero
      this.hasZero = false
      return had
    }
    let i = this.find(hi, lo)
    if (i < 0) return false
    // backward-shift deletion: pull later members of the probe run into the hole
    let j = i
    for (;;) {
      j = (j + 1) & this.mask
      if (this.hi[j] === 0 && this.lo[j] === 0) break
      const k = this.home(this.hi[j], this.lo[j])
      // move j into i unless its home lies cyclically in (i, j]
      const inRange = i <= j ? (k > i && k <= j) : (k > i || k <= j)
      if (!inRange) {
        this.hi[i] = this.hi[j]
        this.lo[i] = this.lo[j]
        i = j
      }
    }
    this.hi[i] = 0
    this.lo[i] = 0
    this.count--
    if (this.bits > MIN_BITS && this.count < (this.mask + 1) * MAX_LOAD / 8) this.resize(this.bits - 1)
    return true
  }

  clear (): void {
    this.bits = MIN_BITS
    this.hi = new Uint32Array(1 << this.bits)
    this.lo = new Uint32Array(1 << this.bits)
    this.mask = (1 << this.bits) - 1
    this.count = 0
    this.hasZero = false
  }

  /** Every symbol, in no particular order. Do not add or delete while iterating. */
  * [Symbol.iterator] (): IterableIterator<bigint> {
    if (this.hasZero) yield 0n
    const { hi, lo } = this
    for (let i = 0; i < hi.length; i++) {
      if (hi[i] !== 0 || lo[i] !== 0) yield (BigInt(hi[i]) << 32n) | BigInt(lo[i])
    }
  }

  private home (hi: number, lo: number): number {
    return Math.imul(lo ^ Math.imul(hi, 0x9e3779b1), this.multiplier) >>> (32 - this.bits)
  }

  private find (hi: number, lo: number): number {
    let i = this.home(hi, lo)
    while (this.hi[i] !== 0 || this.lo[i] !== 0) {
      if (this.hi[i] === hi && this.lo[i] === lo) return i
      i = (i + 1) & this.mask
    }
    return -1
  }

  private resize (bits: number): void {
    const oldHi = this.hi
    const oldLo = this.lo
    this.bits = bits
    this.hi = new Uint32Array(1 << bits)
    this.lo = new Uint32Array(1 << bits)
    this.mask = (1 << bits) - 1
    for (let s = 0; s < oldHi.length; s++) {
      const hi = oldHi[s]
      const lo = oldLo[s]
      if (hi === 0 && lo === 0) continue
      let i = this.home(hi, lo)
      while (this.hi[i] !== 0 || this.lo[i] !== 0) i = (i + 1) & this.mask
      this.hi[i] = hi
      this.lo[i] = lo
    }
  }
}

/** A 64-bit symbol as its high and low 32-bit halves. */
export function split (symbol: bigint): [number, number] {
  return [Number((symbol >> 32n) & 0xffffffffn), Number(symbol & 0xffffffffn)]
}

/** Joins 32-bit halves into a 64-bit symbol. */
export function join (hi: number, lo: number): bigint {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0)
}
