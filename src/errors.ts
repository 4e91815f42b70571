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
