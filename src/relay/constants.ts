/**
 * Defaults of the relay's store and policy. Every option that takes one of these applies it
 * with `??`, so 0 and other falsy values given by the operator are kept.
 */
import { GiB, KiB, MAX_RECORD_SIZE, day, minute, second } from '../constants.ts'

/** Largest record a relay accepts, in bytes: the IPNS limit (10 KiB). */
export const DEFAULT_MAX_RECORD_SIZE = MAX_RECORD_SIZE

/** Longest lifetime (EOL minus now) a relay accepts, in ms: 30 days. */
export const DEFAULT_MAX_LIFETIME = 30 * day

/**
 * Clock skew tolerated on top of `maxLifetime`, in ms: a sender whose clock runs a little ahead
 * and asks for exactly the maximum lifetime is not refused.
 */
export const LIFETIME_SLACK = 5 * minute

/**
 * Records one routing key may hold: for a tag, the number of distinct senders with a pending
 * record for that receiver (each sender's latest record carries all its unread messages).
 */
export const DEFAULT_MAX_RECORDS_PER_KEY = 1000

/** Records the whole store may hold before it evicts the least-recently-used keys. */
export const DEFAULT_MAX_RECORDS = 1_000_000

/** Record bytes (sum of record sizes, not disk usage) the store may hold before it evicts. */
export const DEFAULT_MAX_BYTES = GiB

/** Publishes accepted per peer per minute (token bucket; the burst is the same number). */
export const DEFAULT_MAX_PUBLISHES_PER_PEER_PER_MINUTE = 600

/** Topics one peer may make the relay follow. */
export const DEFAULT_MAX_TOPICS_PER_PEER = 1000

/** Topics one host (IP address) may make the relay follow at once. */
export const DEFAULT_MAX_TOPICS_PER_HOST = 4000

/** Record topics a relay follows at once, in all. */
export const DEFAULT_MAX_TOPICS = 10_000

/** How long a topic stays followed after its last interested peer left, ms. */
export const DEFAULT_FOLLOW_GRACE = 60 * second

/** Peers whose publish rate is tracked at once (least-recently-seen peers are forgotten). */
export const DEFAULT_MAX_TRACKED_PEERS = 10_000

/** Longest time a tombstone is kept, in ms: records live at most this long, so do tombstones. */
export const DEFAULT_MAX_TOMBSTONE_LIFETIME = DEFAULT_MAX_LIFETIME

/** Records read from LevelDB per iterator step when paging, iterating or purging. */
export const STORE_READ_CHUNK = 256

/** Largest page `RecordStore.page` returns, whatever limit is asked for. */
export const MAX_PAGE_LIMIT = 1000

/** Keys remembered as eviction candidates per scan of the key table. */
export const EVICTION_CANDIDATES = 128

/** Bytes of a store key's length prefix limit routing keys to this length. */
export const MAX_ROUTING_KEY_LENGTH = 0xffff

/** Largest acknowledgement the store keeps (for forwarding), in bytes. */
export const MAX_STORED_ACK_SIZE = 64 * KiB
