/**
 * The relay's one refusal vocabulary. A refusal is named by the class of the error that stands
 * for it (`src/errors.ts`): the same name travels in a `REFUSED` answer's `error` field, labels
 * `ipts_records_refused_total{reason}`, appears under `counters.refused` in `/status`, and heads
 * a row of the refusal table in docs/protocol.md section 6. A test keeps the four in step.
 *
 * To add a refusal: add its error class to `src/errors.ts` (a `PolicyError` for a limit the
 * operator sets), its name and meaning to `REFUSALS` below, and its row to docs/protocol.md;
 * then count it with `counters.refused(name, source)` or `counters.refused(refusalReason(err), source)`.
 */
import { IptsError } from '../errors.ts'

/**
 * Every reason a relay refuses a record, an acknowledgement or a sync item: `invalid` when the
 * item itself is bad (the sender's fault), `limit` when it breaks a limit this relay's operator
 * set, `unavailable` when the relay cannot store anything now (its disk).
 */
export const REFUSALS = {
  RecordTooLargeError: { kind: 'invalid', meaning: 'record larger than the relay\'s maxRecordSize (at most the IPNS 10 KiB)' },
  MalformedRecordError: { kind: 'invalid', meaning: 'not a decodable IPNS record' },
  MalformedDataError: { kind: 'invalid', meaning: 'signed data is not valid DAG-CBOR of the expected shape' },
  BadSignatureError: { kind: 'invalid', meaning: 'signature does not verify' },
  RecordExpiredError: { kind: 'invalid', meaning: 'EOL already passed' },
  InvalidTagError: { kind: 'invalid', meaning: 'tag missing or not a peer ID' },
  KeyMismatchError: { kind: 'invalid', meaning: 'record not of the routing key (topic) it came under, or embedded key not the signer\'s' },
  InvalidRoutingKeyError: { kind: 'invalid', meaning: 'routing key or topic is neither /ipns/ nor /ipts/' },
  InvalidAckError: { kind: 'invalid', meaning: 'acknowledgement malformed or not signed by the tag\'s owner' },
  InvalidSyncItemError: { kind: 'invalid', meaning: 'sync item malformed or too large' },
  RecordOverSizeLimitError: { kind: 'limit', meaning: 'record larger than maxRecordSize (policy check)' },
  LifetimeTooLongError: { kind: 'limit', meaning: 'EOL further away than maxLifetime' },
  RateLimitedError: { kind: 'limit', meaning: 'peer over its budget a minute on the path (maxPuts/Acks/Publishes/RelayItemsPerPeerPerMinute)' },
  HostRateLimitedError: { kind: 'limit', meaning: 'peers of one host (IP address, IPv6 /64) over the host\'s budget a minute on the path (max...PerIpPerMinute)' },
  TooManyTopicsError: { kind: 'limit', meaning: 'peer already made the relay follow maxTopicsPerPeer topics' },
  HostTooManyTopicsError: { kind: 'limit', meaning: 'peers of one host (IP address, IPv6 /64) already made the relay follow maxTopicsPerHost topics' },
  TopicsFullError: { kind: 'limit', meaning: 'relay already follows maxTopics record topics' },
  KeyFullError: { kind: 'limit', meaning: 'receiver (or name) already holds maxRecordsPerKey records from other senders, and no other host holds two more of them than the sender\'s' },
  StoreFullError: { kind: 'limit', meaning: 'record larger than maxBytes: no eviction can make room' },
  AckStateFullError: { kind: 'limit', meaning: 'ack state at maxAckBytes: the ack deleted what it covered but left no tombstone or copy' },
  DiskFullError: { kind: 'unavailable', meaning: 'the relay\'s disk is full: it stores nothing until free space lets it reopen its store, and serves what it holds' },
  StoreWriteError: { kind: 'unavailable', meaning: 'the relay\'s disk failed a write (an I/O error other than a full disk): as DiskFullError' }
} as const satisfies Record<string, { kind: 'invalid' | 'limit' | 'unavailable', meaning: string }>

/** A refusal's name: the class name of the error that stands for it. */
export type RefusalReason = keyof typeof REFUSALS

/** Every refusal reason, in table order. */
export const REFUSAL_REASONS = Object.keys(REFUSALS) as RefusalReason[]

/**
 * The path a refused item came in on: a record topic, a custody PUT, relay sync, the relays'
 * feed topic, or an ACK (a relay-protocol request or the acks topic).
 */
export type RefusalSource = 'gossip' | 'custody' | 'sync' | 'feed' | 'ack'

/** Every refusal source. */
export const REFUSAL_SOURCES: readonly RefusalSource[] = ['gossip', 'custody', 'sync', 'feed', 'ack']

/** Whether `name` is a refusal reason. */
export function isRefusalReason (name: string): name is RefusalReason {
  return Object.hasOwn(REFUSALS, name)
}

/**
 * The reason an error stands for. An ipts error that is not in the table (a new check somebody
 * forgot to list) still counts, as the closest catch-all, `MalformedRecordError`, so a label
 * never comes from outside the table.
 */
export function refusalReason (err: IptsError): RefusalReason {
  return isRefusalReason(err.name) ? err.name : 'MalformedRecordError'
}
