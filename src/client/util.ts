/** Small helpers for timeouts and cancellation in the client. */

/** One signal that aborts when any of the given ones does. */
export function anySignal (signals: Array<AbortSignal | undefined>): AbortSignal {
  return AbortSignal.any(signals.filter((s): s is AbortSignal => s != null))
}

/** Resolves after `ms`, or as soon as `signal` aborts (never rejects). */
export async function sleep (ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted === true) return
  await new Promise<void>(resolve => {
    const timer = setTimeout(done, ms)
    function done (): void {
      clearTimeout(timer)
      signal?.removeEventListener('abort', done)
      resolve()
    }
    signal?.addEventListener('abort', done, { once: true })
  })
}

/** The last characters of a peer ID, enough to tell peers apart in one line. */
export function shortPeer (peer: { toString(): string } | string): string {
  const text = peer.toString()
  return text.length > 12 ? `…${text.slice(-8)}` : text
}

export interface Deferred<T> {
  promise: Promise<T>
  resolve(value: T): void
  reject(err: unknown): void
}

/** A promise with its settle functions (Promise.withResolvers, which our ES2023 lib lacks). */
export function defer<T = void> (): Deferred<T> {
  let resolve!: (value: T) => void
  let reject!: (err: unknown) => void
  const promise = new Promise<T>((res, rej) => {
    resolve = res
    reject = rej
  })
  return { promise, resolve, reject }
}
