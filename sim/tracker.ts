/**
 * Per-run bookkeeping: what was sent when, what arrived when, what each system did, and the
 * summary the report is drawn from.
 */
import { percentile } from './util.ts'
import { overlapAfter, receiverOnlineAfter, receiverOnlineFrom } from './schedule.ts'
import type { Schedule, Send } from './schedule.ts'

export interface RoundStat {
  round: number
  online: number
  relaysUp: number
  sent: number
  delivered: number
  ms: number
}

export interface Storage {
  /** Records (or DHT values) held at the end by relays / infrastructure nodes / peers, copies counted. */
  recordsHeld: number
  /** Bytes of those records. */
  recordBytes: number
  /** Bytes on disk of the relays' repos (ipts only). */
  diskBytes?: number
  /** Held records whose messages were all delivered already: waste that cannot be deleted early. */
  staleRecords?: number
}

export interface RunSummary {
  sent: number
  delivered: number
  deliveryRatio: number
  /** Messages whose receiver was online in the send round or later. */
  reachable: number
  deliveredOfReachable: number
  /** Messages whose receiver was online in a round after the send round. */
  receiverBackLater: number
  deliveredOfReceiverBackLater: number
  /** Messages whose sender and receiver were online together at some point from the send round on. */
  overlap: number
  deliveredOfOverlap: number
  /** ipts: messages at least one relay confirmed, and at least `custody` relays confirmed. */
  custodied?: number
  custodiedFull?: number
  /** ipts: custodied messages whose receiver came back after the send round, and how many of them arrived. */
  custodiedBackLater?: number
  deliveredOfCustodiedBackLater?: number
  latencyRounds: { median?: number, p95?: number, max?: number }
  latencyMs: { median?: number, p95?: number }
  wireBytes: number
  wireBytesPerDelivered?: number
  ops: Record<string, number>
  deletions: boolean
  storage: Storage
  /** Peak RSS of the whole process (every run going on at the time, in all worker threads). */
  rssPeakMB: number
  /** Peak V8 heap of this run's worker thread: every node of the run lives in it. */
  heapPeakMB: number
  wallMs: number
  /** Event-loop delay of the run's thread, ms: above a second or so, timeouts fire because the machine is saturated. */
  loopDelayMs: { p50: number, p99: number, max: number }
  perRound: RoundStat[]
  errors: Record<string, number>
  /** Up to 20 messages that were reachable but not delivered, with the rounds their receiver was online from the send on. */
  missed: Array<{ id: number, round: number, from: number, to: number, receiverOnline: number[], custody?: number, custodyRelays?: Array<{ relay: number, downRounds: number[] }> }>
  /** Rejections no code handled (library bugs), by name and message; filled in by the worker. */
  unhandledRejections?: Record<string, number>
}

export class Tracker {
  round = 0
  readonly ops: Record<string, number> = {}
  readonly errors: Record<string, number> = {}
  readonly custody = new Map<number, number>()
  /** ipts: which relays confirmed custody of each message. */
  readonly custodyRelays = new Map<number, number[]>()
  private readonly sends: Map<number, Send>
  private readonly sentAt = new Map<number, number>()
  private readonly delivered = new Map<number, { round: number, at: number }>()
  private readonly perRound: RoundStat[] = []

  constructor (schedule: Schedule) {
    this.sends = new Map(schedule.sends.map(s => [s.id, s]))
  }

  sent (id: number): void {
    this.sentAt.set(id, Date.now())
  }

  /** Records a delivery; duplicates and messages addressed to someone else are ignored (and counted). */
  deliver (id: number, receiver: number): void {
    const send = this.sends.get(id)
    if (send == null || send.to !== receiver) {
      this.count('misaddressed')
      return
    }
    if (this.delivered.has(id)) {
      this.count('duplicate-deliveries')
      return
    }
    this.delivered.set(id, { round: this.round, at: Date.now() })
  }

  isDelivered (id: number): boolean {
    return this.delivered.has(id)
  }

  count (op: string, n = 1): void {
    this.ops[op] = (this.ops[op] ?? 0) + n
  }

  error (kind: string): void {
    this.errors[kind] = (this.errors[kind] ?? 0) + 1
  }

  endRound (stat: Omit<RoundStat, 'delivered'>): RoundStat {
    const row = { ...stat, delivered: this.delivered.size }
    this.perRound.push(row)
    return row
  }

  deliveredCount (): number {
    return this.delivered.size
  }

  summarize (schedule: Schedule, extra: { wireBytes: number, deletions: boolean, storage: Storage, rssPeakMB: number, heapPeakMB: number, wallMs: number, loopDelayMs: { p50: number, p99: number, max: number }, custodyTarget?: number }): RunSummary {
    const sent = schedule.sends.filter(s => this.sentAt.has(s.id))
    const latRounds: number[] = []
    const latMs: number[] = []
    for (const s of sent) {
      const d = this.delivered.get(s.id)
      if (d == null) continue
      latRounds.push(d.round - s.round)
      latMs.push(d.at - (this.sentAt.get(s.id) ?? d.at))
    }
    const countDelivered = (list: Send[]): number => list.filter(s => this.delivered.has(s.id)).length
    const reachable = sent.filter(s => receiverOnlineFrom(schedule, s))
    const backLater = sent.filter(s => receiverOnlineAfter(schedule, s))
    const overlap = sent.filter(s => overlapAfter(schedule, s))
    const delivered = countDelivered(sent)
    const summary: RunSummary = {
      sent: sent.length,
      delivered,
      deliveryRatio: sent.length === 0 ? 1 : delivered / sent.length,
      reachable: reachable.length,
      deliveredOfReachable: countDelivered(reachable),
      receiverBackLater: backLater.length,
      deliveredOfReceiverBackLater: countDelivered(backLater),
      overlap: overlap.length,
      deliveredOfOverlap: countDelivered(overlap),
      latencyRounds: { median: percentile(latRounds, 0.5), p95: percentile(latRounds, 0.95), max: percentile(latRounds, 1) },
      latencyMs: { median: percentile(latMs, 0.5), p95: percentile(latMs, 0.95) },
      wireBytes: extra.wireBytes,
      wireBytesPerDelivered: delivered === 0 ? undefined : Math.round(extra.wireBytes / delivered),
      ops: this.ops,
      deletions: extra.deletions,
      storage: extra.storage,
      rssPeakMB: extra.rssPeakMB,
      heapPeakMB: extra.heapPeakMB,
      wallMs: extra.wallMs,
      loopDelayMs: extra.loopDelayMs,
      perRound: this.perRound,
      errors: this.errors,
      missed: reachable.filter(m => !this.delivered.has(m.id)).slice(0, 20).map(m => ({
        id: m.id,
        round: m.round,
        from: m.from,
        to: m.to,
        receiverOnline: schedule.online.map((row, r) => r >= m.round && row[m.to] ? r : -1).filter(r => r >= 0),
        custody: this.custody.get(m.id),
        custodyRelays: this.custodyRelays.get(m.id)?.map(relay => ({
          relay,
          downRounds: schedule.relayUp.map((row, r) => r >= m.round && !row[relay] ? r : -1).filter(r => r >= 0)
        }))
      }))
    }
    if (this.custody.size > 0 || extra.custodyTarget != null) {
      const target = extra.custodyTarget ?? 1
      const custodied = sent.filter(s => (this.custody.get(s.id) ?? 0) > 0)
      const custodiedBackLater = custodied.filter(s => receiverOnlineAfter(schedule, s))
      summary.custodied = custodied.length
      summary.custodiedFull = sent.filter(s => (this.custody.get(s.id) ?? 0) >= target).length
      summary.custodiedBackLater = custodiedBackLater.length
      summary.deliveredOfCustodiedBackLater = countDelivered(custodiedBackLater)
    }
    return summary
  }
}
