/** Small bounded helpers: concurrency-limited map, bounded sleep, wire-byte counting. */
import net from 'node:net'

/** Runs `fn` over `items` with at most `limit` running at once; never rejects (errors are returned). */
export async function mapLimit<T, R> (items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<Array<R | Error>> {
  const out = new Array<R | Error>(items.length)
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++
      try {
        out[i] = await fn(items[i], i)
      } catch (err: any) {
        out[i] = err instanceof Error ? err : new Error(String(err))
      }
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker))
  return out
}

export async function sleep (ms: number): Promise<void> {
  if (ms <= 0) return
  await new Promise(resolve => setTimeout(resolve, ms))
}

/** Percentile (nearest rank) of an unsorted list; undefined when empty. */
export function percentile (values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined
  const sorted = values.slice().sort((a, b) => a - b)
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))
  return sorted[rank]
}

let wireBytes = 0
let patched = false

/**
 * Counts every byte written to a TCP socket in this thread (all libp2p traffic: noise frames,
 * yamux, identify, gossip heartbeats, DHT queries). Each run lives in its own worker thread, so
 * the count is that run's traffic. Installed once per thread.
 */
export function countWireBytes (): { read(): number } {
  if (!patched) {
    patched = true
    const write = net.Socket.prototype.write
    net.Socket.prototype.write = function (this: net.Socket, chunk: any, ...rest: any[]): boolean {
      if (chunk instanceof Uint8Array) wireBytes += chunk.byteLength
      else if (typeof chunk === 'string') wireBytes += Buffer.byteLength(chunk)
      return (write as any).call(this, chunk, ...rest)
    } as typeof write
  }
  return { read: () => wireBytes }
}

/**
 * At most `limit` tasks at once; the rest wait their turn (in order). Each task bounds itself,
 * so every wait is bounded too.
 */
export class Limiter {
  private running = 0
  private readonly waiting: Array<() => void> = []

  constructor (private readonly limit: number) {}

  async run<T> (task: () => Promise<T>): Promise<T> {
    if (this.running >= this.limit) {
      await new Promise<void>(resolve => { this.waiting.push(resolve) })
    } else {
      this.running++
    }
    try {
      return await task()
    } finally {
      const next = this.waiting.shift()
      if (next != null) next()
      else this.running--
    }
  }
}
