/**
 * The one path every record takes into a relay, whichever way it arrives: a gossipsub topic,
 * a custody PUT, or relay sync. Validation, policy and storage happen here and nowhere else,
 * so a relay never accepts through one path what it would refuse on another.
 */
import { IptsError, KeyFullError, StoreFullError } from '../errors.ts'
import { refusalReason } from './refusals.ts'
import type { Policy } from './policy.ts'
import type { RecordStore } from './store.ts'
import type { IptsRecord, RecordValidator } from '../record/index.ts'
import type { Counters } from './counters.ts'
import type { RefusalReason } from './refusals.ts'

/**
 * The path a record came in on: a record topic (`gossip`), a custody PUT, relay sync, or the
 * relays' feed topic (`feed`).
 */
export type IngestSource = 'gossip' | 'custody' | 'sync' | 'feed'

export type IngestResult =
  | { status: 'stored', record: IptsRecord }
  | { status: 'stale' | 'duplicate' | 'tombstoned', record: IptsRecord }
  | { status: 'refused', reason: RefusalReason, error: IptsError }
  | { status: 'invalid', reason: RefusalReason, error: IptsError }

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
  /**
   * The host (`hostKey` in `./host.ts`) of the peer it came from: the sender for a custody
   * `PUT`, the forwarding peer for gossip and the feed, the sync peer for sync. Eviction is fair
   * between these; absent, the record counts as "unknown".
   */
  from?: string
}

export class Ingest {
  private readonly components: IngestComponents

  constructor (components: IngestComponents) {
    this.components = components
  }

  /**
   * Validate, apply policy and store one record. Never throws for bad input: every refusal is
   * a result with its reason (the error's class name, see refusals.ts), counted under
   * `ipts_records_refused_total{reason}` and `ipts_records_refused_by_source_total{source}`.
   * `invalid` is the sender's fault (gossip rejects it); `refused` is this relay's policy.
   */
  async ingest (bytes: Uint8Array, options: IngestOptions): Promise<IngestResult> {
    const { validator, policy, store, counters } = this.components
    let record: IptsRecord
    try {
      record = validator.validate(bytes, { now: options.now, routingKey: options.routingKey, maxSize: policy.maxRecordSize })
    } catch (err: any) {
      if (err instanceof IptsError) {
        const reason = refusalReason(err)
        counters.refused(reason, options.source)
        return { status: 'invalid', reason, error: err }
      }
      throw err
    }
    try {
      policy.checkRecord(record, options.now)
    } catch (err: any) {
      if (err instanceof IptsError) {
        const reason = refusalReason(err)
        counters.refused(reason, options.source)
        return { status: 'refused', reason, error: err }
      }
      throw err
    }
    const result = await store.put(record, options.now, { from: options.from })
    if (result.status === 'stored') {
      counters.stored(options.source, result.evicted)
      this.components.onStored?.(record, options.source)
      return { status: 'stored', record }
    }
    if (result.status === 'refused') {
      // a full disk or another write failure comes with the store's own error (DiskFullError, StoreWriteError)
      const error = 'error' in result
        ? result.error
        : result.reason === 'key-full'
          ? new KeyFullError(`the key already holds ${store.maxRecordsPerKey} records from other signers, and no other host holds two more of them`)
          : new StoreFullError(`the record is larger than maxBytes (${store.maxBytes})`)
      const reason = refusalReason(error)
      counters.refused(reason, options.source)
      return { status: 'refused', reason, error }
    }
    counters.ignored(result.status)
    return { status: result.status, record }
  }
}
