/**
 * A bounded ring of the relay's figures over time, for the status page's chart: one sample every
 * `interval` (1 minute), the last `capacity` kept (24 hours). Memory is fixed: `capacity`
 * samples of a few numbers each.
 */
import { minute } from '../constants.ts'

/** Time between samples, ms. */
export const DEFAULT_SAMPLE_INTERVAL = minute
/** Samples kept: 24 hours at one a minute. */
export const DEFAULT_SAMPLE_CAPACITY = 24 * 60

export interface Sample {
  /** ms since the epoch */
  at: number
  records: number
  bytes: number
  /** routing keys held: receivers' inboxes and names */
  keys: number
  topics: number
  connections: number
  /** refusals since start, all reasons */
  refused: number
}

export interface HistoryInit {
  /** ms between samples. @default 1 minute */
  interval?: number
  /** samples kept. @default 1440 (24 h at one a minute) */
  capacity?: number
  /** @default Date.now */
  now?(): number
}

export class StatusHistory {
  readonly interval: number
  readonly capacity: number
  private readonly now: () => number
  private readonly ring: Sample[] = []
  private next = 0
  private timer?: ReturnType<typeof setInterval>

  constructor (init: HistoryInit = {}) {
    this.interval = Math.max(1, init.interval ?? DEFAULT_SAMPLE_INTERVAL)
    this.capacity = Math.max(2, init.capacity ?? DEFAULT_SAMPLE_CAPACITY)
    this.now = init.now ?? Date.now
  }

  /** Takes a sample now and then every `interval` until `stop`. */
  start (read: () => Omit<Sample, 'at'>): void {
    if (this.timer != null) return
    const take = (): void => {
      try {
        this.add({ at: this.now(), ...read() })
      } catch {
        // a missed sample leaves a gap in the chart, nothing more
      }
    }
    take()
    this.timer = setInterval(take, this.interval)
    this.timer.unref()
  }

  stop (): void {
    clearInterval(this.timer)
    this.timer = undefined
  }

  add (sample: Sample): void {
    if (this.ring.length < this.capacity) {
      this.ring.push(sample)
    } else {
      this.ring[this.next] = sample
    }
    this.next = (this.next + 1) % this.capacity
  }

  /** Every sample kept, oldest first. */
  samples (): Sample[] {
    return this.ring.length < this.capacity
      ? this.ring.slice()
      : [...this.ring.slice(this.next), ...this.ring.slice(0, this.next)]
  }
}
