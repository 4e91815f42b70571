/**
 * Defaults of the relay's store and policy. Every option that takes one of these applies it
 * with `??`, so 0 and other falsy values given by the operator are kept.
 */
import { GiB, KiB, MAX_RECORD_SIZE, MiB, day, minute, second } from '../constants.ts'

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

/** Records the whole store may hold before it evicts (from the uploader holding the most). */
export const DEFAULT_MAX_RECORDS = 1_000_000

/** Record bytes (sum of record sizes, not disk usage) the store may hold before it evicts. */
export const DEFAULT_MAX_BYTES = GiB

/**
 * Bytes of acknowledgement state the store keeps: stored acks plus `TOMBSTONE_COST` per
 * tombstone. Beyond it, acks still delete what they cover but leave no new tombstone or copy.
 */
export const DEFAULT_MAX_ACK_BYTES = 256 * MiB

/**
 * What one tombstone is counted as against `maxAckBytes`, in bytes: its key and value plus its
 * expiry entry, rounded up (a tombstone of a tag and an Ed25519 signer is ~200 bytes of keys and
 * values before LevelDB's own overhead).
 */
export const TOMBSTONE_COST = 256

/**
 * Bytes of a stored ack allowed per tombstone it wrote, raised or deleted a record for, on top of
 * `ACK_COPY_BASE`: an ack is kept (for sync) only when it did enough here to be worth its size,
 * so a large ack that touched one record costs the relay one tombstone, not 64 KiB.
 */
export const ACK_COPY_PER_ENTRY = 512

/** Bytes of a stored ack allowed whatever it did (see `ACK_COPY_PER_ENTRY`). */
export const ACK_COPY_BASE = KiB

/** Record messages accepted per forwarding peer per minute over gossip (token bucket; the burst is the same number). */
export const DEFAULT_MAX_PUBLISHES_PER_PEER_PER_MINUTE = 600

/**
 * Tokens a gossip message costs when it brought nothing new (a duplicate, stale or tombstoned
 * record: relays republish what their peers already hold every hour), against 1 for a record
 * stored or refused.
 */
export const GOSSIP_REPEAT_COST = 0.1

/** Record messages accepted per forwarding address (IPv4, or IPv6 /64) per minute over gossip. */
export const DEFAULT_MAX_PUBLISHES_PER_IP_PER_MINUTE = 3000

/** Custody `PUT`s accepted per peer per minute (a sender makes one per relay per message). */
export const DEFAULT_MAX_PUTS_PER_PEER_PER_MINUTE = 120

/** Custody `PUT`s accepted per address per minute: five busy peers behind one address. */
export const DEFAULT_MAX_PUTS_PER_IP_PER_MINUTE = 600

/** Acks accepted per peer per minute (a receiver sends one per relay per inbox run). */
export const DEFAULT_MAX_ACKS_PER_PEER_PER_MINUTE = 60

/** Acks accepted per address per minute. */
export const DEFAULT_MAX_ACKS_PER_IP_PER_MINUTE = 300

/**
 * Items a relay peer may send per minute (sync items, and the records and acks it forwards over
 * gossip): two full sync sessions (10,000 items each) a minute.
 */
export const DEFAULT_MAX_RELAY_ITEMS_PER_PEER_PER_MINUTE = 20_000

/** Items relay peers at one address may send per minute. */
export const DEFAULT_MAX_RELAY_ITEMS_PER_IP_PER_MINUTE = 40_000

/** Topics one peer may make the relay follow. */
export const DEFAULT_MAX_TOPICS_PER_PEER = 1000

/** Topics one host (IP address) may make the relay follow at once. */
export const DEFAULT_MAX_TOPICS_PER_HOST = 4000

/** Record topics a relay follows at once, in all. */
export const DEFAULT_MAX_TOPICS = 10_000

/** How long a topic stays followed after its last interested peer left, ms. */
export const DEFAULT_FOLLOW_GRACE = 60 * second

/** Peers (and hosts) whose budgets are tracked at once, per kind (least-recently-seen are forgotten). */
export const DEFAULT_MAX_TRACKED_PEERS = 10_000

/** Longest time a tombstone is kept, in ms: records live at most this long, so do tombstones. */
export const DEFAULT_MAX_TOMBSTONE_LIFETIME = DEFAULT_MAX_LIFETIME

/** Records read from LevelDB per iterator step when paging, iterating or purging. */
export const STORE_READ_CHUNK = 256

/** Largest page `RecordStore.page` returns, whatever limit is asked for. */
export const MAX_PAGE_LIMIT = 1000

/** Bytes of a store key's length prefix limit routing keys to this length. */
export const MAX_ROUTING_KEY_LENGTH = 0xffff

/** Largest acknowledgement the store keeps (for forwarding), in bytes. */
export const MAX_STORED_ACK_SIZE = 64 * KiB

/**
 * Free space, in bytes, beyond the size of LevelDB's write-ahead logs that a store refusing
 * writes after a failed one (disk full) waits for before it reopens the database: reopening
 * turns the logs into a table file, and a reopen that fails leaves nothing to read from.
 */
export const STORE_REOPEN_HEADROOM = MiB

// --- relay streams and inbox drains: what stalled or greedy readers may hold ------------------

/**
 * Time a relay stream may go without write progress (the peer taking bytes, so the stream's
 * buffer shrinks) before the relay aborts it, in ms. A reader that stops reading frees its
 * slot and its page after this.
 */
export const DEFAULT_STALL_TIMEOUT = 30 * second

/** Largest inbox page, in record bytes: one yamux window (256 KiB), so a page leaves at once. */
export const DEFAULT_INBOX_PAGE_BYTES = 256 * KiB

/** Inbox drains served at once by the relay, from everyone. */
export const DEFAULT_MAX_INBOX_STREAMS = 256

/** Inbox drains served at once for one peer. */
export const DEFAULT_MAX_INBOX_STREAMS_PER_PEER = 8

/** Inbox drains served at once for one IP address (an IPv6 /64). */
export const DEFAULT_MAX_INBOX_STREAMS_PER_IP = 32

/** Record bytes of inbox pages held in memory at once (read, not yet taken by the reader), in all. */
export const DEFAULT_MAX_INBOX_BYTES = 32 * MiB

/** Record bytes of inbox pages held at once for one peer. */
export const DEFAULT_MAX_INBOX_BYTES_PER_PEER = MiB

/** Record bytes of inbox pages held at once for one IP address (an IPv6 /64). */
export const DEFAULT_MAX_INBOX_BYTES_PER_IP = 4 * MiB

/** Longest inbox drain, in ms, however steadily the reader reads. */
export const MAX_INBOX_DRAIN_TIME = 10 * minute

/**
 * Most records one message on the relays' feed carries (src/relay/feed.ts); a message with more
 * is rejected. A wire limit every relay applies, not a policy: no option.
 */
export const FEED_MAX_ITEMS = 64

/**
 * A relay sends its waiting feed batch once it holds this many item bytes, without waiting for
 * the turn of the event loop to end (64 records of ~250 B weigh 16 KiB; 64 of the 10 KiB
 * maximum would not fit). Bounds a feed message near 64 KiB plus one record.
 */
export const FEED_FLUSH_BYTES = 64 * KiB
