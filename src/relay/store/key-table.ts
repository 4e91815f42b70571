/**
 * The store's in-memory summary per routing key: record count and record bytes, in flat typed
 * arrays (open addressing, linear probing, backward-shift deletion), with the keys' bytes packed
 * in one arena. A key costs 22 bytes per slot (31-63 bytes at the load factors kept, 0.35-0.7)
 * plus its bytes in the arena (~40 for a tag), where an `lru-cache` entry with a string key and a
 * summary object costs 200 bytes or more. (Eviction no longer asks which key is coldest: it
 * takes from the uploader holding the most, see `uploaders.ts`.)
 *
 * Slots are picked by a keyed (random per process) multilinear hash of the key, so keys ground
 * to collide cannot turn probing quadratic; a full byte comparison confirms every match.
 */
import { randomBytes } from 'node:crypto'

const MIN_BITS = 4
const MAX_LOAD = 0.7
/** Words of a key hashed with their own multiplier (routing keys are ~40 bytes). */
const MULTIPLIERS = 32

export interface KeySummary {
  /** records held under the key */
  count: number
  /** sum of their sizes, in bytes */
  bytes: number
}

export class KeyTable {
  private bits = MIN_BITS
  private mask = (1 << MIN_BITS) - 1
  private hash = new Uint32Array(1 << MIN_BITS)
  private count = new Uint32Array(1 << MIN_BITS)
  private bytes = new Float64Array(1 << MIN_BITS)
  private offset = new Uint32Array(1 << MIN_BITS)
  private length = new Uint16Array(1 << MIN_BITS)
  private arena = new Uint8Array(4096)
  private arenaUsed = 0
  private arenaDead = 0
  private keys = 0
  private readonly multipliers = new Uint32Array(randomBytes(4 * MULTIPLIERS).buffer)

  /** Number of keys held. */
  get size (): number {
    return this.keys
  }

  /** Bytes held by the slot arrays and the arena. */
  get byteLength (): number {
    return this.hash.byteLength + this.count.byteLength + this.bytes.byteLength +
      this.offset.byteLength + this.length.byteLength + this.arena.byteLength
  }

  get (key: Uint8Array): KeySummary | undefined {
    const slot = this.find(key, this.hashOf(key))
    if (slot < 0) return undefined
    return { count: this.count[slot], bytes: this.bytes[slot] }
  }

  /**
   * Adds `records` and `bytes` (either may be negative) to the key's summary, creating the key
   * when absent and removing it when its count reaches 0.
   */
  update (key: Uint8Array, records: number, bytes: number): void {
    const h = this.hashOf(key)
    let slot = this.find(key, h)
    if (slot < 0) {
      if (records <= 0) return
      slot = this.insert(key, h)
    }
    const count = this.count[slot] + records
    if (count <= 0) {
      this.remove(slot)
      return
    }
    this.count[slot] = count
    this.bytes[slot] = Math.max(0, this.bytes[slot] + bytes)
  }

  /** Removes the key and its summary. */
  delete (key: Uint8Array): boolean {
    const slot = this.find(key, this.hashOf(key))
    if (slot < 0) return false
    this.remove(slot)
    return true
  }

  /** Every key (copies), in no particular order. Changes during iteration may or may not show. */
  * [Symbol.iterator] (): IterableIterator<Uint8Array> {
    for (let i = 0; i <= this.mask; i++) {
      if (this.count[i] !== 0) yield this.arena.slice(this.offset[i], this.offset[i] + this.length[i])
    }
  }

  clear (): void {
    this.bits = MIN_BITS
    this.allocate(MIN_BITS)
    this.arena = new Uint8Array(4096)
    this.arenaUsed = 0
    this.arenaDead = 0
    this.keys = 0
  }

  /**
   * Multilinear hash with random 32-bit multipliers (universal: without the multipliers, keys
   * cannot be chosen to collide). Words past the multiplier table wrap around it, mixed by
   * position, which keeps it fast and good enough for the rare over-long key.
   */
  private hashOf (key: Uint8Array): number {
    const m = this.multipliers
    let h = Math.imul(m[0], key.length + 1)
    let i = 0
    let w = 1
    for (; i + 4 <= key.length; i += 4, w++) {
      const word = (key[i] << 24) | (key[i + 1] << 16) | (key[i + 2] << 8) | key[i + 3]
      h = (h + Math.imul(m[w % m.length] ^ (w / m.length | 0), word)) | 0
    }
    let tail = 0
    for (; i < key.length; i++) tail = (tail << 8) | key[i]
    h = (h + Math.imul(m[w % m.length] ^ (w / m.length | 0), tail + 1)) | 0
    return Math.imul(h ^ (h >>> 16), m[1] | 1) >>> 0
  }

  private homeOf (h: number): number {
    return h >>> (32 - this.bits)
  }

  private find (key: Uint8Array, h: number): number {
    let i = this.homeOf(h)
    while (this.count[i] !== 0) {
      if (this.hash[i] === h && this.slotEquals(i, key)) return i
      i = (i + 1) & this.mask
    }
    return -1
  }

  private slotEquals (slot: number, key: Uint8Array): boolean {
    const len = this.length[slot]
    if (len !== key.length) return false
    const off = this.offset[slot]
    for (let j = 0; j < len; j++) {
      if (this.arena[off + j] !== key[j]) return false
    }
    return true
  }

  private insert (key: Uint8Array, h: number): number {
    if (key.length > 0xffff) throw new RangeError('routing key longer than 65535 bytes')
    if (this.keys + 1 > (this.mask + 1) * MAX_LOAD) this.rehash(this.bits + 1)
    let i = this.homeOf(h)
    while (this.count[i] !== 0) i = (i + 1) & this.mask
    const offset = this.store(key)
    this.hash[i] = h
    this.count[i] = 0
    this.bytes[i] = 0
    this.offset[i] = offset
    this.length[i] = key.length
    this.keys++
    return i
  }

  private remove (slot: number): void {
    this.arenaDead += this.length[slot]
    let i = slot
    let j = slot
    for (;;) {
      j = (j + 1) & this.mask
      if (this.count[j] === 0) break
      const k = this.homeOf(this.hash[j])
      const inRange = i <= j ? (k > i && k <= j) : (k > i || k <= j)
      if (!inRange) {
        this.hash[i] = this.hash[j]
        this.count[i] = this.count[j]
        this.bytes[i] = this.bytes[j]
        this.offset[i] = this.offset[j]
        this.length[i] = this.length[j]
        i = j
      }
    }
    this.count[i] = 0
    this.keys--
    if (this.bits > MIN_BITS && this.keys < (this.mask + 1) * MAX_LOAD / 8) this.rehash(this.bits - 1)
    if (this.arenaDead > 64 * 1024 && this.arenaDead > this.arenaUsed / 2) this.compact()
  }

  /** Appends key bytes to the arena, growing it (and compacting first when half dead). */
  private store (key: Uint8Array): number {
    if (this.arenaUsed + key.length > this.arena.length) {
      if (this.arenaDead > this.arenaUsed / 2) this.compact()
      if (this.arenaUsed + key.length > this.arena.length) {
        // grow by half: the arena is most of a key's memory, so doubling would waste up to half
        let size = Math.ceil(this.arena.length * 1.5)
        while (size < this.arenaUsed + key.length) size = Math.ceil(size * 1.5)
        const next = new Uint8Array(size)
        next.set(this.arena.subarray(0, this.arenaUsed))
        this.arena = next
      }
    }
    const offset = this.arenaUsed
    this.arena.set(key, offset)
    this.arenaUsed += key.length
    return offset
  }

  private compact (): void {
    const live = this.arenaUsed - this.arenaDead
    let size = 4096
    while (size < live * 1.5) size *= 2
    const next = new Uint8Array(size)
    let used = 0
    for (let i = 0; i <= this.mask; i++) {
      if (this.count[i] === 0) continue
      next.set(this.arena.subarray(this.offset[i], this.offset[i] + this.length[i]), used)
      this.offset[i] = used
      used += this.length[i]
    }
    this.arena = next
    this.arenaUsed = used
    this.arenaDead = 0
  }

  private allocate (bits: number): void {
    const n = 1 << bits
    this.bits = bits
    this.mask = n - 1
    this.hash = new Uint32Array(n)
    this.count = new Uint32Array(n)
    this.bytes = new Float64Array(n)
    this.offset = new Uint32Array(n)
    this.length = new Uint16Array(n)
  }

  private rehash (bits: number): void {
    const { hash, count, bytes, offset, length } = this
    this.allocate(bits)
    for (let s = 0; s < hash.length; s++) {
      if (count[s] === 0) continue
      let i = this.homeOf(hash[s])
      while (this.count[i] !== 0) i = (i + 1) & this.mask
      this.hash[i] = hash[s]
      this.count[i] = count[s]
      this.bytes[i] = bytes[s]
      this.offset[i] = offset[s]
      this.length[i] = length[s]
    }
  }
}
