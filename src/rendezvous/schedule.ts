/**
 * The rendezvous's decisions, as pure functions: how long to wait before the next look-up,
 * before the next re-dial, and which newly found relays to dial.
 */

/**
 * The pause before the next look-up of other relays: back to `base` when the last round changed
 * something (a new relay, a lost one), doubled (up to `max`) while the set of relays is stable.
 */
export function nextFindInterval (current: number, stable: boolean, base: number, max: number): number {
  if (!stable) return base
  return Math.min(Math.max(current, base) * 2, Math.max(base, max))
}

/** The pause before re-dial number `attempt` (1-based): `base`, then doubling, capped at `max`. */
export function redialDelay (attempt: number, base: number, max: number): number {
  const exponent = Math.max(0, attempt - 1)
  return Math.min(base * 2 ** exponent, max)
}

/**
 * Which candidates to dial: at most `slots` of them, chosen at random (with `random` in [0, 1))
 * so that relays do not all pile onto the same few peers, such as those closest to the key.
 */
export function pickRelaysToDial<T> (candidates: readonly T[], slots: number, random: () => number): T[] {
  if (slots <= 0) return []
  const pool = [...candidates]
  // partial Fisher-Yates: the first `slots` positions end up a uniform random sample
  const take = Math.min(slots, pool.length)
  for (let i = 0; i < take; i++) {
    const j = i + Math.floor(random() * (pool.length - i))
    const swap = pool[i] as T
    pool[i] = pool[j] as T
    pool[j] = swap
  }
  return pool.slice(0, take)
}
