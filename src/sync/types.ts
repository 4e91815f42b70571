import type { AbortOptions, Connection, PeerId, Startable, TypedEventTarget } from '@libp2p/interface'

/**
 * What a relay exposes to sync: its items (records, acknowledgements, topics) by symbol, and
 * the one path that takes an item in. The relay implements it over its store.
 */
export interface SyncSource {
  /**
   * One symbol per item held now (see `symbolOf`), each once. Read once per session, at its
   * start.
   */
  symbols(): Iterable<bigint>
  /** How many items `symbols()` yields. */
  itemCount(): number
  /** The framed item (see `encodeItem`) whose symbol this is, or undefined if it is gone. */
  getItem(symbol: bigint): Promise<Uint8Array | undefined>
  /**
   * Take in an item a peer sent, through the same validation and policy as gossip; the bytes are
   * as received (they hash to a requested symbol, but may not even be a valid frame). `stored`:
   * kept; `ignored`: valid but not kept (known, stale, superseded); `refused`: invalid or
   * against policy. Sync does not ask the same peer set for an ignored or refused item again
   * until `skipTtl` has passed.
   */
  accept(item: Uint8Array, from: PeerId): Promise<'stored' | 'ignored' | 'refused'>
}

/** Counts of one sync session, from the point of view of the side that reports them. */
export interface SyncStats {
  /** `initiator` opened the stream and sent coded symbols; `responder` decoded them. */
  role: 'initiator' | 'responder'
  /** Exchanges in which the initiator waited for the responder (coded batches + item transfer). */
  rounds: number
  /** Bytes this side wrote: every length prefix and message, items included. */
  bytesSent: number
  /** Bytes this side read. */
  bytesReceived: number
  /** Coded symbols sent (initiator) or decoded (responder). */
  codedSymbols: number
  /** The reconciliation fell back to the full symbol list. */
  fullList: boolean
  /**
   * Items on one side only. The responder counts the whole decoded difference; the initiator
   * counts the lists the responder sent (capped at its `maxItems`, its wants without the ones it
   * skips).
   */
  differences: number
  itemsSent: number
  itemsReceived: number
  /** Framed item bytes inside `bytesSent` / `bytesReceived`. */
  itemBytesSent: number
  itemBytesReceived: number
  /** Outcome of the items received, as `SyncSource.accept` reported it. */
  stored: number
  ignored: number
  refused: number
}

export interface SyncInit {
  /** The relay's items. */
  source: SyncSource
  /** Coded symbols in the first batch. @default 16 */
  initialBatch?: number
  /** Most coded symbols in one batch; batches double up to it. @default 4096 */
  maxBatch?: number
  /**
   * Most coded symbols per session, sent or accepted. An initiator that reaches it (or the
   * point where its full symbol list is cheaper) sends the full list instead. @default 100000
   */
  maxCodedSymbols?: number
  /** Most symbols accepted in a full list (fallback). @default 2000000 */
  maxListSymbols?: number
  /** Most items requested, and most served, per session; the rest waits for the next session. @default 10000 */
  maxItems?: number
  /** Session timeout when the caller gives no signal, in ms. @default 120000 (2 minutes) */
  timeout?: number
  /**
   * A session that reads no message, writes none and takes in no item for this long is aborted
   * with `SyncStalledError`, in ms. @default 10000 (10 seconds)
   */
  idleTimeout?: number
  /**
   * Concurrent sessions this node answers, at most one per peer; more are reset with
   * `SyncBusyError` unless a session can be preempted (see `preemptIdle`). @default 2
   */
  maxInboundSessions?: number
  /**
   * When every inbound slot is taken and another peer opens a session, the answered session idle
   * longest gives up its slot (`SyncStalledError`) once it has been idle this long; the newcomer
   * waits up to this long for that, in ms. `Infinity` never preempts. @default 1000 (1 second)
   */
  preemptIdle?: number
  /** Concurrent sessions this node starts from its own schedule. @default 2 */
  maxOutboundSessions?: number
  /**
   * Sync with every connected sync peer this often, in ms; 0 turns the schedule off. Of two
   * peers only the one with the smaller peer ID string initiates. @default 600000 (10 minutes)
   */
  interval?: number
  /** Sync with a peer as soon as it connects and is found to speak sync (same rule). @default true */
  syncOnConnect?: boolean
  /** How long an ignored or refused symbol is not requested again, in ms. @default 3600000 (1 hour) */
  skipTtl?: number
  /** Most symbols remembered as ignored or refused. @default 100000 */
  skipCacheSize?: number
}

export interface SyncOptions extends AbortOptions {}

export interface SyncSessionEvent {
  peer: PeerId
  role: 'initiator' | 'responder'
}

export interface SyncEndEvent extends SyncSessionEvent {
  stats: SyncStats
}

export interface SyncErrorEvent extends SyncSessionEvent {
  error: Error
}

export interface SyncEvents {
  'sync:start': CustomEvent<SyncSessionEvent>
  'sync:end': CustomEvent<SyncEndEvent>
  'sync:error': CustomEvent<SyncErrorEvent>
}

/** Relay-to-relay reconciliation of records, acknowledgements and topics. */
export interface Sync extends Startable, TypedEventTarget<SyncEvents> {
  /**
   * Reconcile with one peer now, as initiator: both sides end up holding the union of what they
   * accept. Rejects with `InvalidSyncMessageError` or `SyncLimitError` when the peer misbehaves,
   * or with the abort reason.
   */
  syncWith(peer: PeerId | Connection, options?: SyncOptions): Promise<SyncStats>
}
