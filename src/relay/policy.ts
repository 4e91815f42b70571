/**
 * The relay's policy: what a volunteer accepts, so nobody can make it store or relay more than
 * it agreed to. Record checks are pure (`now` is a parameter); the per-peer publish rate is a
 * token bucket per peer, for a bounded number of peers (the least recently seen are forgotten,
 * and start again with a full bucket).
 *
 * The store enforces the capacity caps (`maxRecordsPerKey`, `maxRecords`, `maxBytes`,
 * `maxAckBytes`); they are carried here so one init object configures both. Per-peer and
 * per-address ingest budgets live in `./budget.ts`.
 */
import { LifetimeTooLongError, RecordOverSizeLimitError, TooManyTopicsError } from '../errors.ts'
import {
  DEFAULT_MAX_ACK_BYTES, DEFAULT_MAX_BYTES, DEFAULT_MAX_LIFETIME, DEFAULT_MAX_PUBLISHES_PER_PEER_PER_MINUTE, DEFAULT_MAX_RECORD_SIZE,
  DEFAULT_MAX_RECORDS, DEFAULT_MAX_RECORDS_PER_KEY, DEFAULT_MAX_TOPICS_PER_PEER, LIFETIME_SLACK
} from './constants.ts'
import type { IptsRecord } from '../record/index.ts'

export interface PolicyInit {
  /** largest record accepted, in bytes. @default 10240 (10 KiB) */
  maxRecordSize?: number
  /** longest lifetime accepted (EOL minus now), in ms; 5 min of clock skew is tolerated on top. Tombstones are kept as long. @default 30 days */
  maxLifetime?: number
  /** records one routing key (tag or name) may hold. @default 1000 */
  maxRecordsPerKey?: number
  /** records the relay stores in all. @default 1_000_000 */
  maxRecords?: number
  /** sum of stored record sizes, in bytes. @default 1 GiB */
  maxBytes?: number
  /** bytes of ack state (stored acks plus 256 B per tombstone); beyond it acks delete but add nothing. @default 256 MiB */
  maxAckBytes?: number
  /** records a peer may publish per minute (also the burst). @default 600 */
  maxPublishesPerPeerPerMinute?: number
  /** topics one peer may make the relay follow. @default 1000 */
  maxTopicsPerPeer?: number
  /** peers whose publish rate is tracked at once. @default 10_000 */
  maxTrackedPeers?: number
}


export class Policy {
  readonly maxRecordSize: number
  readonly maxLifetime: number
  readonly maxRecordsPerKey: number
  readonly maxRecords: number
  readonly maxBytes: number
  readonly maxAckBytes: number
  readonly maxPublishesPerPeerPerMinute: number
  readonly maxTopicsPerPeer: number

  constructor (init: PolicyInit = {}) {
    this.maxRecordSize = init.maxRecordSize ?? DEFAULT_MAX_RECORD_SIZE
    this.maxLifetime = init.maxLifetime ?? DEFAULT_MAX_LIFETIME
    this.maxRecordsPerKey = init.maxRecordsPerKey ?? DEFAULT_MAX_RECORDS_PER_KEY
    this.maxRecords = init.maxRecords ?? DEFAULT_MAX_RECORDS
    this.maxBytes = init.maxBytes ?? DEFAULT_MAX_BYTES
    this.maxAckBytes = init.maxAckBytes ?? DEFAULT_MAX_ACK_BYTES
    this.maxPublishesPerPeerPerMinute = init.maxPublishesPerPeerPerMinute ?? DEFAULT_MAX_PUBLISHES_PER_PEER_PER_MINUTE
    this.maxTopicsPerPeer = init.maxTopicsPerPeer ?? DEFAULT_MAX_TOPICS_PER_PEER
  }

  /**
   * Throws `RecordOverSizeLimitError` for a record over `maxRecordSize` and
   * `LifetimeTooLongError` for an EOL further than `maxLifetime` (plus 5 min of skew) from
   * `now`. Expiry and signatures are the validator's job, not policy's.
   */
  checkRecord (record: IptsRecord, now: number): void {
    if (record.bytes.byteLength > this.maxRecordSize) {
      throw new RecordOverSizeLimitError(`record of ${record.bytes.byteLength} bytes exceeds ${this.maxRecordSize}`)
    }
    if (record.eol - now > this.maxLifetime + LIFETIME_SLACK) {
      throw new LifetimeTooLongError(`record lives ${record.eol - now} ms, more than ${this.maxLifetime}`)
    }
  }

  /**
   * Whether a peer that already made the relay follow `topicCount` topics may add one more:
   * true below `maxTopicsPerPeer`, false at it (the caller counts the refusal as
   * `TooManyTopicsError`). The caller keeps the count, since it knows when topics are left.
   */
  allowTopic (peer: string, topicCount: number): boolean {
    return topicCount < this.maxTopicsPerPeer
  }

  /** `allowTopic`, throwing `TooManyTopicsError` instead of returning false. */
  checkTopic (peer: string, topicCount: number): void {
    if (!this.allowTopic(peer, topicCount)) {
      throw new TooManyTopicsError(`peer already added ${topicCount} topics`)
    }
  }
}
