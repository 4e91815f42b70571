/**
 * Every failure ipts reports has its own class with `name` set, so callers and tests match on
 * `err.name`. Sections are grouped by the module that throws them.
 */

/** Base class: all ipts errors extend it, so `err instanceof IptsError` tells ours apart. */
export class IptsError extends Error {
  static name = 'IptsError'
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

/** The responder is already running as many sync sessions as it allows. */
export class SyncBusyError extends IptsError {
  static override name = 'SyncBusyError'
  override name = 'SyncBusyError'
}
