/**
 * Writing to a peer that may stop reading. libp2p 3 streams are message-based: `send()` queues
 * the bytes in the stream's write buffer and returns false once the muxer cannot take more
 * (yamux: the peer's receive window is used up, or the connection's socket is full); the stream
 * emits 'drain' when it may send again and 'idle' when its buffer is empty. A reader that never
 * reads sends no window update, so the buffer never empties and nothing times out by itself.
 *
 * `sendFlushed` writes one length-prefixed message, then waits until the stream's buffer is
 * empty and the muxer takes more, so the relay holds at most that message per stream. Progress
 * is the buffer shrinking; none for `stallTimeout` ms is a `StreamStalledError`.
 */
import { Uint8ArrayList } from 'uint8arraylist'
import { StreamStalledError } from '../errors.ts'
import type { Stream } from '@libp2p/interface'

export interface FlushOptions {
  /** Time without write progress before giving up, ms. */
  stallTimeout: number
  signal?: AbortSignal
}

/** Sends `message` with a varint length prefix and resolves once it has left the stream's buffer. */
export async function sendFlushed (stream: Stream, message: Uint8Array, options: FlushOptions): Promise<void> {
  options.signal?.throwIfAborted()
  stream.send(new Uint8ArrayList(varint(message.byteLength), message))
  await flushed(stream, options)
}

/** True when nothing waits in the stream's write buffer and the muxer can take more. */
export function isFlushed (stream: Stream): boolean {
  return stream.writeBufferLength === 0 && !stream.writableNeedsDrain
}

/**
 * Resolves once the stream is flushed (`isFlushed`); rejects with `StreamStalledError` when its
 * buffer did not shrink for `stallTimeout` ms, with the close error when it closes first.
 */
export async function flushed (stream: Stream, options: FlushOptions): Promise<void> {
  if (isFlushed(stream)) return
  options.signal?.throwIfAborted()
  await new Promise<void>((resolve, reject) => {
    let queued = stream.writeBufferLength
    let timer: ReturnType<typeof setTimeout> | undefined
    let done = false
    const arm = (): void => {
      if (done) return
      clearTimeout(timer)
      timer = setTimeout(() => {
        finish(new StreamStalledError(`no write progress for ${options.stallTimeout} ms (${stream.writeBufferLength} bytes queued)`))
      }, options.stallTimeout)
    }
    const check = (): void => {
      if (done) return
      if (isFlushed(stream)) {
        finish()
      } else if (stream.writeBufferLength < queued) {
        queued = stream.writeBufferLength
        arm()
      }
    }
    // the stream sends what the drain allows in a microtask queued before this listener runs
    const onDrain = (): void => { queueMicrotask(check) }
    const onClose = (evt: Event): void => {
      finish((evt as Event & { error?: Error }).error ?? new StreamStalledError('the stream closed before its data was sent'))
    }
    const onAbort = (): void => { finish(options.signal?.reason) }
    const finish = (err?: Error): void => {
      if (done) return
      done = true
      clearTimeout(timer)
      stream.removeEventListener('drain', onDrain)
      stream.removeEventListener('idle', check)
      stream.removeEventListener('close', onClose)
      options.signal?.removeEventListener('abort', onAbort)
      if (err != null) reject(err)
      else resolve()
    }
    stream.addEventListener('drain', onDrain)
    stream.addEventListener('idle', check)
    stream.addEventListener('close', onClose)
    options.signal?.addEventListener('abort', onAbort, { once: true })
    arm()
  })
}

/** An unsigned varint (the length prefix of `@libp2p/utils`' lpStream). */
function varint (n: number): Uint8Array {
  const out: number[] = []
  while (n >= 0x80) {
    out.push((n % 0x80) | 0x80)
    n = Math.floor(n / 0x80)
  }
  out.push(n)
  return Uint8Array.from(out)
}
