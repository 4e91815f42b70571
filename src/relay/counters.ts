/**
 * What a relay counts: records stored by path, refusals by reason and by path, ignores by kind,
 * evictions, republishes, pushes, inbox drains, custody answers and acks. The tallies are plain
 * numbers (free when nobody reads them); `register` exposes them through libp2p's metrics
 * interface, the way kad-dht registers its own, when the node has a metrics implementation.
 * Labels come from fixed sets (paths, refusal reasons, answers), never from topics or peers, so
 * the number of series is bounded.
 */
import { REFUSAL_REASONS, REFUSAL_SOURCES } from './refusals.ts'
import type { RefusalReason, RefusalSource } from './refusals.ts'
import type { Metrics } from '@libp2p/interface'

/** Refusals remembered for the status page (the oldest are forgotten). */
export const RECENT_REFUSALS = 100

/** Paths a record is stored through. */
export const STORE_SOURCES = ['gossip', 'custody', 'sync', 'feed'] as const

/** Kinds of records ignored: not better than what is held, or covered by an acknowledgement. */
export const IGNORED_KINDS = ['stale', 'duplicate', 'tombstoned'] as const

/** Answers to custody requests (`PUT` and `QUERY` of the relay protocol). */
export const CUSTODY_ANSWERS = ['put-ok', 'put-refused', 'put-tombstoned', 'query-ok', 'query-not-found'] as const
export type CustodyAnswer = typeof CUSTODY_ANSWERS[number]

export interface RecentRefusal {
  /** ms since the epoch */
  at: number
  reason: RefusalReason
  source: RefusalSource
}

export interface CountersInit {
  /** The clock that stamps recent refusals. @default Date.now */
  now?(): number
}

export class Counters {
  readonly storedBySource = new Map<string, number>()
  readonly refusedByReason = new Map<RefusalReason, number>()
  readonly refusedBySource = new Map<RefusalSource, number>()
  readonly ignoredByKind = new Map<string, number>()
  readonly custodyAnswers = new Map<CustodyAnswer, number>()
  evicted = 0
  republished = 0
  pushed = 0
  /** records handed to the other relays on the feed topic */
  fed = 0
  /** pushes dropped because the push queue was full */
  pushesDropped = 0
  inboxRecordsServed = 0
  /** INBOX requests answered to the last page */
  inboxDrains = 0
  acksApplied = 0
  /** relay-protocol streams that failed (timeout, malformed or unknown request) */
  streamErrors = 0
  /** INBOX requests answered REFUSED InboxBusyError: no room for the drain in time */
  inboxBusy = 0
  /** relay-protocol streams aborted (and their connection closed) because the reader took nothing for the stall timeout */
  streamsStalled = 0
  private readonly recent: RecentRefusal[] = []
  private recentNext = 0
  private readonly now: () => number

  constructor (init: CountersInit = {}) {
    this.now = init.now ?? Date.now
  }

  stored (source: string, evicted = 0): void {
    bump(this.storedBySource, source)
    this.evicted += evicted
  }

  /** Counts one refusal, named by its error class (see refusals.ts), on the path it came in on. */
  refused (reason: RefusalReason, source: RefusalSource): void {
    bump(this.refusedByReason, reason)
    bump(this.refusedBySource, source)
    const entry = { at: this.now(), reason, source }
    if (this.recent.length < RECENT_REFUSALS) {
      this.recent.push(entry)
    } else {
      this.recent[this.recentNext] = entry
    }
    this.recentNext = (this.recentNext + 1) % RECENT_REFUSALS
  }

  ignored (kind: string): void {
    bump(this.ignoredByKind, kind)
  }

  custody (answer: CustodyAnswer): void {
    bump(this.custodyAnswers, answer)
  }

  refusedCount (reason: RefusalReason): number {
    return this.refusedByReason.get(reason) ?? 0
  }

  /** Total refusals, all reasons. */
  refusedTotal (): number {
    let total = 0
    for (const n of this.refusedByReason.values()) total += n
    return total
  }

  /** The last refusals, newest first (at most `RECENT_REFUSALS`). */
  recentRefusals (): RecentRefusal[] {
    const ordered = this.recent.length < RECENT_REFUSALS
      ? this.recent.slice()
      : [...this.recent.slice(this.recentNext), ...this.recent.slice(0, this.recentNext)]
    return ordered.reverse()
  }

  toJSON (): Record<string, unknown> {
    return {
      stored: Object.fromEntries(this.storedBySource),
      refused: Object.fromEntries(this.refusedByReason),
      refusedBySource: Object.fromEntries(this.refusedBySource),
      ignored: Object.fromEntries(this.ignoredByKind),
      custody: Object.fromEntries(this.custodyAnswers),
      evicted: this.evicted,
      republished: this.republished,
      pushed: this.pushed,
      fed: this.fed,
      pushesDropped: this.pushesDropped,
      inboxRecordsServed: this.inboxRecordsServed,
      inboxDrains: this.inboxDrains,
      acksApplied: this.acksApplied,
      streamErrors: this.streamErrors,
      inboxBusy: this.inboxBusy,
      streamsStalled: this.streamsStalled
    }
  }

  /**
   * Registers every counter with libp2p's metrics (`/metrics` then carries them beside libp2p's
   * own). Labelled counters list every label of their fixed set from the start, at 0, so a
   * dashboard sees a series before the first event. The values are read when metrics are
   * collected: nothing is done per event beyond the tally.
   */
  register (metrics: Metrics): void {
    counterGroup(metrics, 'ipts_records_stored_total', 'source', 'Records stored, by the path they came in on', () => withLabels(STORE_SOURCES, this.storedBySource))
    counterGroup(metrics, 'ipts_records_refused_total', 'reason', 'Records, acknowledgements and sync items refused, by reason (the error class name)', () => withLabels(REFUSAL_REASONS, this.refusedByReason))
    counterGroup(metrics, 'ipts_records_refused_by_source_total', 'source', 'Refusals, by the path the refused item came in on', () => withLabels(REFUSAL_SOURCES, this.refusedBySource))
    counterGroup(metrics, 'ipts_records_ignored_total', 'kind', 'Records ignored: stale, duplicate, or covered by an acknowledgement', () => withLabels(IGNORED_KINDS, this.ignoredByKind))
    counterGroup(metrics, 'ipts_custody_answers_total', 'answer', 'Answers to custody PUT and QUERY requests', () => withLabels(CUSTODY_ANSWERS, this.custodyAnswers))
    counter(metrics, 'ipts_records_evicted_total', 'Records evicted to stay within maxRecords and maxBytes', () => this.evicted)
    counter(metrics, 'ipts_records_republished_total', 'Records republished on their topics', () => this.republished)
    counter(metrics, 'ipts_records_pushed_total', 'Records pushed to new subscribers', () => this.pushed)
    counter(metrics, 'ipts_feed_published_total', 'Records handed to the other relays on the feed topic', () => this.fed)
    counter(metrics, 'ipts_pushes_dropped_total', 'Pushes dropped because the push queue was full', () => this.pushesDropped)
    counter(metrics, 'ipts_inbox_drains_total', 'INBOX requests answered to their last page', () => this.inboxDrains)
    counter(metrics, 'ipts_inbox_records_served_total', 'Records streamed through the inbox protocol', () => this.inboxRecordsServed)
    counter(metrics, 'ipts_acks_applied_total', 'Acknowledgements that deleted or tombstoned something', () => this.acksApplied)
    counter(metrics, 'ipts_relay_stream_errors_total', 'Relay-protocol streams that failed', () => this.streamErrors)
    counter(metrics, 'ipts_inbox_busy_total', 'INBOX requests refused for want of room (InboxBusyError)', () => this.inboxBusy)
    counter(metrics, 'ipts_relay_streams_stalled_total', 'Relay-protocol streams aborted, with their connection, because the reader took nothing for the stall timeout', () => this.streamsStalled)
  }
}

/**
 * A counter read from a running total. libp2p's calculated counters add what `calculate`
 * returns at each collection (as libp2p's own data-transfer counter does), so it returns the
 * increase since the last collection.
 */
export function counter (metrics: Metrics, name: string, help: string, read: () => number): void {
  let last = 0
  metrics.registerCounter(name, {
    help,
    calculate: () => {
      const now = read()
      const delta = now - last
      last = now
      return delta
    }
  })
}

/** `counter` for a labelled set of running totals. */
export function counterGroup (metrics: Metrics, name: string, label: string, help: string, read: () => Record<string, number>): void {
  const last = new Map<string, number>()
  metrics.registerCounterGroup(name, {
    label,
    help,
    calculate: () => {
      const out: Record<string, number> = {}
      for (const [key, now] of Object.entries(read())) {
        out[key] = now - (last.get(key) ?? 0)
        last.set(key, now)
      }
      return out
    }
  })
}

/** Every label of a fixed set (0 when never counted), plus any other label that was counted. */
function withLabels (labels: readonly string[], counts: Map<string, number>): Record<string, number> {
  const out: Record<string, number> = {}
  for (const label of labels) out[label] = 0
  for (const [label, n] of counts) out[label] = n
  return out
}

function bump<K> (map: Map<K, number>, key: K): void {
  map.set(key, (map.get(key) ?? 0) + 1)
}
