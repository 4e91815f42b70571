/**
 * The one path every record takes into a relay, whichever way it arrives: a gossipsub topic,
 * a custody PUT, or relay sync. Validation, policy and storage happen here and nowhere else,
 * so a relay never accepts through one path what it would refuse on another.
 */
import { IptsError } from '../errors.ts'
import type { Policy } from './policy.ts'
import type { RecordStore } from './store.ts'
import type { IptsRecord, RecordValidator } from '../record/index.ts'
import type { Counters } from './counters.ts'

/**
 * The path a record came in on: a record topic (`gossip`), a custody PUT, relay sync, or the
 * relays' feed topic (`feed`).
 */
export type IngestSource = 'gossip' | 'custody' | 'sync' | 'feed'

export type IngestResult =
  | { status: 'stored', record: IptsRecord }
  | { status: 'stale' | 'duplicate' | 'tombstoned', record: IptsRecord }
  | { status: 'refused', reason: string, error?: Error }
  | { status: 'invalid', reason: string, error: Error }

export interface IngestComponents {
  validator: RecordValidator
  policy: Policy
  store: RecordStore
  counters: Counters
  /** Called after a record was stored (before the caller is answered). */
  onStored?(record: IptsRecord, source: IngestSource): void
}

export interface IngestOptions {
  now: number
  /** The routing key the record arrived under (its topic's key); absent for sync. */
  routingKey?: Uint8Array
  source: IngestSource
}

export class Ingest {
  private readonly components: IngestComponents

  constructor (components: IngestComponents) {
    this.components = components
  }

  /**
   * Validate, apply policy and store one record. Never throws for bad input: every refusal is
   * a result with a reason, counted under `ipts_refused_total{reason}`.
   */
  async ingest (bytes: Uint8Array, options: IngestOptions): Promise<IngestResult> {
    const { validator, policy, store, counters } = this.components
    let record: IptsRecord
    try {
      record = validator.validate(bytes, { now: options.now, routingKey: options.routingKey, maxSize: policy.maxRecordSize })
    } catch (err: any) {
      if (err instanceof IptsError) {
        const reason = `invalid:${err.name}`
        counters.refused(reason)
        return { status: 'invalid', reason, error: err }
      }
      throw err
    }
    try {
      policy.checkRecord(record, options.now)
    } catch (err: any) {
      if (err instanceof IptsError) {
        const reason = policyReason(err)
        counters.refused(reason)
        return { status: 'refused', reason, error: err }
      }
      throw err
    }
    const result = await store.put(record, options.now)
    if (result.status === 'stored') {
      counters.stored(options.source, result.evicted)
      this.components.onStored?.(record, options.source)
      return { status: 'stored', record }
    }
    if (result.status === 'refused') {
      counters.refused(result.reason)
      return { status: 'refused', reason: result.reason }
    }
    counters.ignored(result.status)
    return { status: result.status, record }
  }
}

/** `LifetimeTooLongError` -> `lifetime`, the reason label policy refusals are counted under. */
export function policyReason (err: Error): string {
  const name = err.name.replace(/Error$/, '')
  return name.replace(/([a-z])([A-Z])/g, '$1-$2').toLowerCase()
}
