/**
 * A small seeded PRNG (sfc32 seeded through splitmix32) so that every system in a simulation
 * sees the same workload, and a run is repeatable from its `--seed`.
 */

export interface Rng {
  /** A float in [0, 1). */
  next(): number
  /** An integer in [0, n). */
  int(n: number): number
  /** True with probability `p`. */
  chance(p: number): boolean
  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T
  /** A shuffled copy. */
  shuffled<T>(items: readonly T[]): T[]
  /** `n` bytes. */
  bytes(n: number): Uint8Array
}

function splitmix32 (seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x9e3779b9) >>> 0
    let z = state
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0
    return (z ^ (z >>> 16)) >>> 0
  }
}

/** A string hashed to 32 bits (FNV-1a), to derive one independent stream per purpose. */
function hash32 (text: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193) >>> 0
  }
  return h
}

/** A generator for `seed` and a purpose label: the same pair always yields the same stream. */
export function createRng (seed: number, label = ''): Rng {
  const init = splitmix32((seed >>> 0) ^ hash32(label))
  let a = init()
  let b = init()
  let c = init()
  let d = init()
  const next32 = (): number => {
    const t = (((a + b) >>> 0) + d) >>> 0
    d = (d + 1) >>> 0
    a = b ^ (b >>> 9)
    b = (c + (c << 3)) >>> 0
    c = ((c << 21) | (c >>> 11)) >>> 0
    c = (c + t) >>> 0
    return t
  }
  for (let i = 0; i < 12; i++) next32()

  const rng: Rng = {
    next: () => next32() / 0x1_0000_0000,
    int: (n) => Math.floor(rng.next() * n),
    chance: (p) => rng.next() < p,
    pick: (items) => {
      if (items.length === 0) throw new RangeError('pick from an empty array')
      return items[rng.int(items.length)]
    },
    shuffled: (items) => {
      const out = items.slice()
      for (let i = out.length - 1; i > 0; i--) {
        const j = rng.int(i + 1)
        const tmp = out[i]
        out[i] = out[j]
        out[j] = tmp
      }
      return out
    },
    bytes: (n) => {
      const out = new Uint8Array(n)
      for (let i = 0; i < n; i++) out[i] = next32() & 0xff
      return out
    }
  }
  return rng
}
