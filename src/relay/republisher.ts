/**
 * Republish and push, within one bandwidth budget.
 *
 * The rule: a relay publishes at most `rate` records per second in all (default 20/s, so at most
 * ~20 x 10 KiB = 200 KiB/s and typically ~20 x 400 B = 8 KiB/s before gossip fan-out). Two kinds
 * of work share that budget, pushes first:
 * - push: when a peer subscribes to a topic the relay holds, its records on that topic (at most
 *   `maxPushRecords`, default 64; the inbox protocol serves the rest) are queued once per
 *   `pushCooldown` per topic.
 * - republish: every `interval` (default 1 h) a cycle walks the topics the relay follows (those
 *   a connected peer is subscribed to) and queues every live record held under them. Records of
 *   topics nobody listens to are not published at all: with no listener, republishing costs
 *   nothing. The cycle reads the store lazily, so its memory is one batch, and if more than
 *   `rate x interval` records are due the cycle simply takes longer: bandwidth stays bounded,
 *   the cycle stretches.
 * Both queues are bounded; what does not fit is dropped and counted (sync and the inbox protocol
 * are the reliable paths: gossip republish is best effort).
 */
import { SafeEventEmitter } from '../events.ts'
import { keyForTopic } from '../record/index.ts'
import type { Counters } from './counters.ts'
import type { RecordStore } from './store.ts'
import type { GossipSub } from '@libp2p/gossipsub'
import type { Logger } from '@libp2p/interface'
import { hour, second } from '../constants.ts'

export interface RepublisherInit {
  /** Records published per second, pushes and republishing together. @default 20 */
  rate?: number
  /** Time between republish cycles, ms. @default 1 hour */
  interval?: number
  /** Records pushed to a topic when a peer subscribes to it. @default 64 */
  maxPushRecords?: number
  /** One peer's subscriptions to one topic cause at most one push per this many ms. @default 10 seconds */
  pushCooldown?: number
  /** Bound on queued publishes. @default 4096 */
  maxQueue?: number
}

export interface RepublisherComponents {
  pubsub: GossipSub
  store: RecordStore
  counters: Counters
  log: Logger
  now(): number
  /** The record topics followed now (a snapshot is taken when a cycle starts). */
  followed(): string[]
}

export interface RepublisherEvents {
  'republish:start': CustomEvent<void>
  'republish:end': CustomEvent<{ records: number }>
}

/** `eol`: the record's, when known, so a record that expired while queued is not published. */
interface Job { topic: string, bytes: Uint8Array, kind: 'push' | 'republish', eol?: number }

const TICK = 100

export class Republisher extends SafeEventEmitter<RepublisherEvents> {
  private readonly c: RepublisherComponents
  private readonly rate: number
  private readonly interval: number
  private readonly maxPushRecords: number
  private readonly pushCooldown: number
  private readonly maxQueue: number
  private readonly pushQueue: Job[] = []
  private readonly cycleQueue: Job[] = []
  private readonly lastPush = new Map<string, number>()
  private cycle?: AsyncIterator<Job>
  private cycleCount = 0
  private refilling = false
  private tokens = 0
  private ticker?: ReturnType<typeof setInterval>
  private cycleTimer?: ReturnType<typeof setInterval>

  constructor (components: RepublisherComponents, init: RepublisherInit = {}) {
    super()
    this.c = components
    this.rate = init.rate ?? 20
    this.interval = init.interval ?? hour
    this.maxPushRecords = init.maxPushRecords ?? 64
    this.pushCooldown = init.pushCooldown ?? 10 * second
    this.maxQueue = init.maxQueue ?? 4096
  }

  start (): void {
    if (this.ticker != null) return
    this.ticker = setInterval(() => { this.tick() }, TICK)
    this.ticker.unref()
    this.cycleTimer = setInterval(() => { this.startCycle() }, this.interval)
    this.cycleTimer.unref()
  }

  stop (): void {
    clearInterval(this.ticker)
    clearInterval(this.cycleTimer)
    this.ticker = undefined
    this.cycleTimer = undefined
    this.pushQueue.length = 0
    this.cycleQueue.length = 0
    void this.cycle?.return?.()
    this.cycle = undefined
  }

  /**
   * Queue the records held under a routing key for its topic: `peer` just subscribed. The
   * cooldown is per peer and topic, so a peer that subscribes over and over gets one push per
   * cooldown, while another peer subscribing a moment later still gets its own.
   */
  push (topic: string, routingKey: Uint8Array, peer = ''): void {
    const now = this.c.now()
    const id = `${peer}\n${topic}`
    const last = this.lastPush.get(id)
    if (last != null && now - last < this.pushCooldown) return
    this.lastPush.delete(id)
    this.lastPush.set(id, now)
    if (this.lastPush.size > this.maxQueue) {
      // forget the oldest cooldowns (Map keeps insertion order)
      for (const key of this.lastPush.keys()) {
        this.lastPush.delete(key)
        if (this.lastPush.size <= this.maxQueue / 2) break
      }
    }
    void this.queuePush(topic, routingKey, now)
  }

  /** Start a republish cycle now, unless one is running. */
  startCycle (): void {
    if (this.cycle != null) return
    this.cycle = this.walk(this.c.followed())[Symbol.asyncIterator]()
    this.cycleCount = 0
    this.safeDispatch('republish:start')
  }

  private async queuePush (topic: string, routingKey: Uint8Array, now: number): Promise<void> {
    try {
      const page = await this.c.store.page(routingKey, { limit: this.maxPushRecords, now })
      for (const bytes of page.records) {
        if (this.pushQueue.length >= this.maxQueue) {
          this.c.counters.pushesDropped++
          return
        }
        this.pushQueue.push({ topic, bytes, kind: 'push' })
      }
    } catch (err) {
      this.c.log.error('push to %s failed - %e', topic, err)
    }
  }

  private tick (): void {
    this.tokens = Math.min(this.tokens + this.rate * TICK / 1000, Math.max(1, this.rate))
    while (this.tokens >= 1) {
      const job = this.pushQueue.shift() ?? this.cycleQueue.shift()
      if (job == null) break
      if (job.eol != null && job.eol < this.c.now()) continue
      if (job.kind === 'republish' && this.c.pubsub.getSubscribers(job.topic).length === 0) continue
      this.tokens -= 1
      this.publish(job)
    }
    if (this.cycle != null && this.cycleQueue.length < 64 && !this.refilling) {
      void this.refill()
    }
  }

  private publish (job: Job): void {
    this.c.pubsub.publish(job.topic, job.bytes).then(() => {
      if (job.kind === 'push') this.c.counters.pushed++
      else this.c.counters.republished++
    }, (err: Error) => {
      this.c.log.trace('publish to %s failed - %e', job.topic, err)
    })
  }

  private async refill (): Promise<void> {
    const cycle = this.cycle
    if (cycle == null) return
    this.refilling = true
    try {
      for (let i = 0; i < 256; i++) {
        const next = await cycle.next()
        if (next.done === true) {
          this.cycle = undefined
          this.safeDispatch('republish:end', { records: this.cycleCount })
          return
        }
        this.cycleCount++
        this.cycleQueue.push(next.value)
      }
    } catch (err) {
      this.c.log.error('republish cycle failed - %e', err)
      this.cycle = undefined
    } finally {
      this.refilling = false
    }
  }

  /** The live records of the given topics, read lazily, one store chunk at a time. */
  private async * walk (topics: string[]): AsyncGenerator<Job> {
    for (const topic of topics) {
      let routingKey: Uint8Array
      try {
        routingKey = keyForTopic(topic)
      } catch {
        continue
      }
      for await (const entry of this.c.store.iterate({ routingKey, now: this.c.now() })) {
        yield { topic, bytes: entry.bytes, kind: 'republish', eol: entry.eol }
      }
    }
  }

  private safeDispatch (type: 'republish:start' | 'republish:end', detail?: { records: number }): void {
    this.dispatchEvent(new CustomEvent(type, { detail }))
  }

  protected onListenerError (type: string, err: unknown): void {
    this.c.log.error('%s listener failed - %e', type, err)
  }
}
