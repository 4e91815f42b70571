/**
 * Every failure ipts reports has its own class with `name` set, so callers and tests match on
 * `err.name`. Sections are grouped by the module that throws them.
 */

/** Base class: all ipts errors extend it, so `err instanceof IptsError` tells ours apart. */
export class IptsError extends Error {
  static override name = 'IptsError'
  override name = 'IptsError'
}

// --- record/: tagged and plain IPNS records ---------------------------------------------------

/** The record's bytes exceed the size limit (10 KiB unless configured). */
export class RecordTooLargeError extends IptsError {
  static override name = 'RecordTooLargeError'
  override name = 'RecordTooLargeError'
}

/** The bytes are not a decodable IpnsEntry protobuf, or required protobuf fields are missing. */
export class MalformedRecordError extends IptsError {
  static override name = 'MalformedRecordError'
  override name = 'MalformedRecordError'
}

/** The signed `data` field is not valid DAG-CBOR, or a field in it has the wrong type. */
export class MalformedDataError extends IptsError {
  static override name = 'MalformedDataError'
  override name = 'MalformedDataError'
}

/** The V2 signature does not verify against the signer's public key. */
export class BadSignatureError extends IptsError {
  static override name = 'BadSignatureError'
  override name = 'BadSignatureError'
}

/** The record's EOL is in the past. */
export class RecordExpiredError extends IptsError {
  static override name = 'RecordExpiredError'
  override name = 'RecordExpiredError'
}

/** A tagged record (or an `/ipts/` routing key) lacks a `Tag`, or the tag is not a valid peer ID. */
export class InvalidTagError extends IptsError {
  static override name = 'InvalidTagError'
  override name = 'InvalidTagError'
}

/** The embedded public key is missing, unparsable, or does not match the routing key / name. */
export class KeyMismatchError extends IptsError {
  static override name = 'KeyMismatchError'
  override name = 'KeyMismatchError'
}

/** A routing key or topic is neither `/ipns/<multihash>` nor `/ipts/<multihash>`. */
export class InvalidRoutingKeyError extends IptsError {
  static override name = 'InvalidRoutingKeyError'
  override name = 'InvalidRoutingKeyError'
}

/** An acknowledgement statement is malformed, or its signature is not the tag owner's. */
export class InvalidAckError extends IptsError {
  static override name = 'InvalidAckError'
  override name = 'InvalidAckError'
}

// --- crypto/, payload, identity ---------------------------------------------------------------

/** A sealed payload could not be opened: wrong key, tampered bytes, or not a sealed payload. */
export class DecryptionError extends IptsError {
  static override name = 'DecryptionError'
  override name = 'DecryptionError'
}

/** The key (or the peer ID it is derived from) is not a usable Ed25519 key. */
export class UnsupportedKeyError extends IptsError {
  static override name = 'UnsupportedKeyError'
  override name = 'UnsupportedKeyError'
}

/** An inline payload or envelope is not valid DAG-CBOR of the expected shape, or exceeds its bounds. */
export class MalformedPayloadError extends IptsError {
  static override name = 'MalformedPayloadError'
  override name = 'MalformedPayloadError'
}

/** The envelope does not fit inline: the record would exceed the record size limit. */
export class PayloadTooLargeError extends IptsError {
  static override name = 'PayloadTooLargeError'
  override name = 'PayloadTooLargeError'
}

/** The identity key file is readable or writable by group or others (it must be mode 0600). */
export class IdentityPermissionsError extends IptsError {
  static override name = 'IdentityPermissionsError'
  override name = 'IdentityPermissionsError'
}

/** The identity key file exists but does not hold a valid protobuf-encoded private key. */
export class IdentityCorruptError extends IptsError {
  static override name = 'IdentityCorruptError'
  override name = 'IdentityCorruptError'
}

// --- sync/: relay-to-relay reconciliation ------------------------------------------------------

/** A sync peer sent bytes that are not a valid message, an unexpected message, or an item nobody asked for. */
export class InvalidSyncMessageError extends IptsError {
  static override name = 'InvalidSyncMessageError'
  override name = 'InvalidSyncMessageError'
}

/** A sync session went past one of its bounds (coded symbols, list length, items, message size). */
export class SyncLimitError extends IptsError {
  static override name = 'SyncLimitError'
  override name = 'SyncLimitError'
}

/** A framed sync item (record, acknowledgement or topic) is malformed or too large. */
export class InvalidSyncItemError extends IptsError {
  static override name = 'InvalidSyncItemError'
  override name = 'InvalidSyncItemError'
}

/**
 * A sync peer's coded symbols do not peel consistently: a symbol peeled twice, more symbols peeled
 * than coded symbols fed, a symbol peeled on the wrong side or from a cell its mapping does not
 * reach. Honest coded symbols never do this; the session ends.
 */
export class SyncDecodeError extends IptsError {
  static override name = 'SyncDecodeError'
  override name = 'SyncDecodeError'
}

/**
 * A sync session made no progress (no message read or written, no item taken in) for its idle
 * timeout, or it stalled while another peer waited for its inbound slot.
 */
export class SyncStalledError extends IptsError {
  static override name = 'SyncStalledError'
  override name = 'SyncStalledError'
}

/** The responder is already running as many sync sessions as it allows, or one for this peer. */
export class SyncBusyError extends IptsError {
  static override name = 'SyncBusyError'
  override name = 'SyncBusyError'
}

// --- relay/: policy and store ------------------------------------------------------------------

/**
 * Base class of the refusals that enforce a limit the relay's operator sets. Like every refusal,
 * each is counted and answered under its class name (src/relay/refusals.ts).
 */
export class PolicyError extends IptsError {
  static override name = 'PolicyError'
  override name = 'PolicyError'
}

/** The record is larger than this relay's `maxRecordSize` (which may be below the IPNS 10 KiB). */
export class RecordOverSizeLimitError extends PolicyError {
  static override name = 'RecordOverSizeLimitError'
  override name = 'RecordOverSizeLimitError'
}

/** The record's EOL lies further in the future than this relay's `maxLifetime`. */
export class LifetimeTooLongError extends PolicyError {
  static override name = 'LifetimeTooLongError'
  override name = 'LifetimeTooLongError'
}

/**
 * The peer sent more than its budget a minute on the path (`maxPutsPerPeerPerMinute`,
 * `maxAcksPerPeerPerMinute`, `maxPublishesPerPeerPerMinute`, `maxRelayItemsPerPeerPerMinute`).
 */
export class RateLimitedError extends PolicyError {
  static override name = 'RateLimitedError'
  override name = 'RateLimitedError'
}

/**
 * The peers of one host (IP address; IPv6: one /64) sent more than the host's budget a minute on
 * the path (`maxPutsPerIpPerMinute`, `maxAcksPerIpPerMinute`, `maxPublishesPerIpPerMinute`,
 * `maxRelayItemsPerIpPerMinute`).
 */
export class HostRateLimitedError extends PolicyError {
  static override name = 'HostRateLimitedError'
  override name = 'HostRateLimitedError'
}

/**
 * The relay's acknowledgement state is at `maxAckBytes`: an ack deleted what it covered, but no
 * tombstone (or copy of the ack) was kept for it.
 */
export class AckStateFullError extends PolicyError {
  static override name = 'AckStateFullError'
  override name = 'AckStateFullError'
}

/** The peer already made the relay follow `maxTopicsPerPeer` topics. */
export class TooManyTopicsError extends PolicyError {
  static override name = 'TooManyTopicsError'
  override name = 'TooManyTopicsError'
}

/** The peers of one host (IP address; IPv6: one /64) already made the relay follow `maxTopicsPerHost` topics. */
export class HostTooManyTopicsError extends PolicyError {
  static override name = 'HostTooManyTopicsError'
  override name = 'HostTooManyTopicsError'
}

/** The relay already follows `maxTopics` record topics. */
export class TopicsFullError extends PolicyError {
  static override name = 'TopicsFullError'
  override name = 'TopicsFullError'
}

/**
 * The routing key already holds `maxRecordsPerKey` records from other signers, and no other host
 * holds enough of them to give one up (see the eviction policy in docs/protocol.md).
 */
export class KeyFullError extends PolicyError {
  static override name = 'KeyFullError'
  override name = 'KeyFullError'
}

/** The record is larger than `maxBytes`: no eviction can make room for it. */
export class StoreFullError extends PolicyError {
  static override name = 'StoreFullError'
  override name = 'StoreFullError'
}

/**
 * The relay serves as many inbox drains (or holds as many page bytes) as it allows, for this
 * peer, its IP address or everyone, and no slot freed up in time.
 */
export class InboxBusyError extends IptsError {
  static override name = 'InboxBusyError'
  override name = 'InboxBusyError'
}

/** A relay stream made no write progress (the peer took no bytes) for the stall timeout. */
export class StreamStalledError extends IptsError {
  static override name = 'StreamStalledError'
  override name = 'StreamStalledError'
}

/** The record store was used before `open()` or after `close()`. */
export class StoreClosedError extends IptsError {
  static override name = 'StoreClosedError'
  override name = 'StoreClosedError'
}

/**
 * The store's disk failed a write (an I/O error). The store then writes nothing more, and refuses
 * records under this name, until it could reopen the database: LevelDB loses whatever a handle
 * appends after a failed write.
 */
export class StoreWriteError extends IptsError {
  static override name = 'StoreWriteError'
  override name = 'StoreWriteError'
}

/** The store's disk is full: as `StoreWriteError`, until free space lets it reopen the database. */
export class DiskFullError extends StoreWriteError {
  static override name = 'DiskFullError'
  override name = 'DiskFullError'
}

/** The store's files hold data this version cannot read (unknown format byte or layout version). */
export class StoreCorruptError extends IptsError {
  static override name = 'StoreCorruptError'
  override name = 'StoreCorruptError'
}

// --- client/ and cli/: sending, receiving, the command line -------------------------------------

/** No relay could be reached: none given, none found, or every dial failed. */
export class NoRelaysError extends IptsError {
  static override name = 'NoRelaysError'
  override name = 'NoRelaysError'
}

/** Fewer relays than required confirmed they hold the record before the deadline. */
export class CustodyTimeoutError extends IptsError {
  static override name = 'CustodyTimeoutError'
  override name = 'CustodyTimeoutError'
}

/** A relay refused the record (validation, policy, or the sequence was already acknowledged). */
export class CustodyRefusedError extends IptsError {
  static override name = 'CustodyRefusedError'
  override name = 'CustodyRefusedError'
}

/** A string that should name a peer is not a valid peer ID (or not an Ed25519 one where required). */
export class InvalidPeerIdError extends IptsError {
  static override name = 'InvalidPeerIdError'
  override name = 'InvalidPeerIdError'
}

/** The messages not yet acknowledged by this receiver, plus the new one, no longer fit in one record. */
export class OutboxFullError extends IptsError {
  static override name = 'OutboxFullError'
  override name = 'OutboxFullError'
}

/** The client state file is locked by another process for longer than allowed, or unreadable. */
export class ClientStateError extends IptsError {
  static override name = 'ClientStateError'
  override name = 'ClientStateError'
}

/** A relay did not finish streaming the inbox before the drain's deadline (it stalled or never ended). */
export class DrainTimeoutError extends IptsError {
  static override name = 'DrainTimeoutError'
  override name = 'DrainTimeoutError'
}

/** No receipt for the message arrived before the deadline. */
export class ReceiptTimeoutError extends IptsError {
  static override name = 'ReceiptTimeoutError'
  override name = 'ReceiptTimeoutError'
}

/** No relay holds a valid record for the name. */
export class NameNotFoundError extends IptsError {
  static override name = 'NameNotFoundError'
  override name = 'NameNotFoundError'
}

/** A relay-list record's value is not a valid relay list (protocol section 12). */
export class InvalidRelayListError extends IptsError {
  static override name = 'InvalidRelayListError'
  override name = 'InvalidRelayListError'
}

/** A relay answered the relay protocol with something unexpected. */
export class RelayProtocolError extends IptsError {
  static override name = 'RelayProtocolError'
  override name = 'RelayProtocolError'
}

/** A command-line setting has a value that cannot be used (bad duration, address, number). */
export class InvalidSettingError extends IptsError {
  static override name = 'InvalidSettingError'
  override name = 'InvalidSettingError'
}

// --- rendezvous/: finding relays through the DHT -------------------------------------------------

/** The node has no DHT service, so it cannot announce itself at, or look up, the rendezvous. */
export class RendezvousUnavailableError extends IptsError {
  static override name = 'RendezvousUnavailableError'
  override name = 'RendezvousUnavailableError'
}

/** A file named on the command line cannot be read or is not a regular file. */
export class InputFileError extends IptsError {
  static override name = 'InputFileError'
  override name = 'InputFileError'
}

/** A step of `ipts demo` did not do what it should. */
export class DemoStepError extends IptsError {
  static override name = 'DemoStepError'
  override name = 'DemoStepError'
}
