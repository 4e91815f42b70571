/** The record store's public types (re-exported by `../store.ts`). */
import type { IptsRecord } from '../../record/index.ts'
import type { StoreWriteError } from '../../errors.ts'
import type { Logger } from '@libp2p/interface'

export interface StoreInit {
  /** directory of the LevelDB database (created when missing) */
  path: string
  /** records one routing key may hold. @default 1000 */
  maxRecordsPerKey?: number
  /** records the store may hold; beyond it the uploader holding the most loses its oldest. @default 1_000_000 */
  maxRecords?: number
  /** sum of record sizes the store may hold, in bytes; beyond it records are evicted (as for `maxRecords`). @default 1 GiB */
  maxBytes?: number
  /** bytes of ack state kept: stored acks plus 256 B per tombstone; beyond it acks still delete but add nothing. @default 256 MiB */
  maxAckBytes?: number
  /** longest time a tombstone is kept, in ms. @default 30 days */
  maxTombstoneLifetime?: number
  /** fsync every write (survives power loss, much slower). @default false */
  sync?: boolean
  /** where errors thrown by event listeners are logged. @default not logged */
  log?: Logger
}

export interface PutOptions {
  /**
   * The host the record came from (`hostKey` of the connection: an IPv4 address or
   * an IPv6 /64); eviction is fair between these. Absent: "unknown", one uploader of its own.
   */
  from?: string
}

/** What applying an ack did. */
export interface AckResult {
  /** records deleted */
  deleted: number
  /** tombstones written or raised */
  tombstoned: number
  /** of those, tombstones written ahead of a record not held */
  preemptive: number
  /** tombstones not written for lack of room under `maxAckBytes` */
  refused: number
  /** whether the ack was stored (for sync) */
  kept: boolean
}

export type PutResult =
  | { status: 'stored', evicted: number }
  | { status: 'stale' | 'duplicate' | 'tombstoned' }
  | { status: 'refused', reason: 'key-full' | 'store-full' }
  /** the disk failed a write: nothing is written until the store could reopen the database */
  | { status: 'refused', reason: 'disk-full' | 'write-failed', error: StoreWriteError }

export interface StoredEntry {
  routingKey: Uint8Array
  signer: Uint8Array
  /** the record bytes */
  bytes: Uint8Array
  sequence: bigint
  /** ms since the epoch */
  eol: number
}

export interface Held {
  sequence: bigint
  eol: number
}

export interface Page {
  /** record bytes, ordered by signer */
  records: Uint8Array[]
  /** sum of the records' sizes */
  bytes: number
  /** pass as `after` for the next page (opaque; the last signer examined) */
  cursor?: Uint8Array
  /** true when the key holds nothing after this page */
  done: boolean
}

export type SymbolItem =
  | { kind: 'record', routingKey: Uint8Array, bytes: Uint8Array }
  | { kind: 'ack', bytes: Uint8Array }

export interface StoreStats {
  records: number
  /** sum of record sizes, in bytes */
  bytes: number
  keys: number
  tombstones: number
  acks: number
  /** sum of stored ack sizes, in bytes */
  ackBytes: number
  /** what counts against `maxAckBytes`: `ackBytes` plus 256 B per tombstone */
  ackStateBytes: number
  /** distinct uploaders (addresses) holding records */
  uploaders: number
  /** sync symbols: one per record and per ack */
  symbols: number
  /** bytes held by the in-memory index (key table and symbol set) */
  indexBytes: number
}

export interface StoredEvent extends StoredEntry {
  /** true when it replaced an older record of the same signer */
  replaced: boolean
}

export interface DeletedEvent {
  routingKey: Uint8Array
  signer: Uint8Array
  reason: 'expired' | 'acked'
}

export interface EvictedEvent {
  routingKey: Uint8Array
  signer: Uint8Array
  /** records evicted (always 1: eviction takes one record at a time) */
  records: number
  bytes: number
}

export interface RecordStoreEvents {
  stored: CustomEvent<StoredEvent>
  deleted: CustomEvent<DeletedEvent>
  evicted: CustomEvent<EvictedEvent>
}

export interface IterateOptions {
  /** skip records expired at this time (ms) */
  now?: number
  /** only this routing key */
  routingKey?: Uint8Array
  /** records read per LevelDB step. @default 256 */
  chunk?: number
}
