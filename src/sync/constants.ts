/** Protocol constants and defaults of relay sync (`/ipts/sync/1.0.0`). */
import { KiB, hour, minute, second } from '../constants.ts'

export const SYNC_PROTOCOL = '/ipts/sync/1.0.0'

/** Bytes of one symbol on the wire. */
export const SYMBOL_BYTES = 8

/** Largest framed item: a record at the IPNS size limit plus its routing key, or an ack. */
export const MAX_SYNC_ITEM_SIZE = 64 * KiB
/** Largest routing key inside an item (`/ipns/` or `/ipts/` + a multihash is well under). */
export const MAX_SYNC_ROUTING_KEY_SIZE = 256
/** Most coded symbols in one `CodedSymbols` message. */
export const MAX_CODED_BATCH = 4096
/** Most symbols in one `SymbolChunk` message (128 KiB). */
export const MAX_CHUNK_SYMBOLS = 16_384
/** Most symbols in each of `have` and `want` of one `Reply` message (64 KiB each). */
export const MAX_REPLY_SYMBOLS = 8192
/** Largest sync message on the wire: a full symbol chunk or coded batch, with headroom. */
export const MAX_SYNC_MESSAGE_SIZE = 160 * KiB

/**
 * Bytes one coded symbol costs on the wire (symbol 8 + hash 8 + count varint ~2). Used only to
 * decide when the full symbol list becomes the cheaper way to finish.
 */
export const CODED_SYMBOL_WIRE_BYTES = 18
/**
 * Coded symbols a difference needs: ~1.35 asymptotically (Yang et al.; measured 1.34-1.37 on
 * 100k-item sets), with headroom for small differences. Sizes a batch from a known lower bound.
 */
export const CODED_PER_DIFFERENCE = 1.5

export const DEFAULT_INITIAL_BATCH = 16
export const DEFAULT_MAX_BATCH = MAX_CODED_BATCH
/** ~1.4 coded symbols decode one difference, so this bounds the decodable difference near 70k. */
export const DEFAULT_MAX_CODED_SYMBOLS = 100_000
export const DEFAULT_MAX_LIST_SYMBOLS = 2_000_000
export const DEFAULT_MAX_ITEMS = 10_000
export const DEFAULT_SYNC_TIMEOUT = 2 * minute
/** A session with no message read or written (and no item taken in) for this long is aborted. */
export const DEFAULT_IDLE_TIMEOUT = 10 * second
/** With every inbound slot taken, a session idle this long gives its slot to a new peer. */
export const DEFAULT_PREEMPT_IDLE = second
export const DEFAULT_SYNC_INTERVAL = 10 * minute
export const DEFAULT_MAX_INBOUND_SESSIONS = 2
export const DEFAULT_MAX_OUTBOUND_SESSIONS = 2
export const DEFAULT_SKIP_TTL = hour
export const DEFAULT_SKIP_CACHE_SIZE = 100_000
