/**
 * A bounded queue between producers (relay drains, topic messages) and one async-iterating
 * consumer. `push` resolves once the queue has room, so producers slow down to the consumer's
 * pace instead of buffering a whole inbox.
 */
import { defer } from './util.ts'
import type { Deferred } from './util.ts'

export class Channel<T> implements AsyncIterable<T> {
  private readonly items: T[] = []
  private readonly highWater: number
  private closed = false
  private error?: Error
  private readable?: Deferred<void>
  private writable?: Deferred<void>

  constructor (highWater = 256) {
    this.highWater = highWater
  }

  get size (): number {
    return this.items.length
  }

  /** Adds items; resolves when the queue is below its high-water mark again. */
  async push (...items: T[]): Promise<void> {
    if (this.closed) return
    this.items.push(...items)
    this.readable?.resolve()
    while (this.items.length >= this.highWater && !this.closed) {
      this.writable ??= defer()
      await this.writable.promise
    }
  }

  /** Ends the iteration once the queued items are read; with an error, the consumer gets it after them. */
  close (err?: Error): void {
    if (this.closed) return
    this.closed = true
    this.error = err
    this.readable?.resolve()
    this.writable?.resolve()
  }

  async * [Symbol.asyncIterator] (): AsyncGenerator<T> {
    while (true) {
      const item = this.items.shift()
      if (item !== undefined) {
        if (this.items.length < this.highWater && this.writable != null) {
          this.writable.resolve()
          this.writable = undefined
        }
        yield item
        continue
      }
      if (this.closed) {
        if (this.error != null) throw this.error
        return
      }
      this.readable = defer()
      await this.readable.promise
      this.readable = undefined
    }
  }
}
