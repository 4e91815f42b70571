/**
 * Record validation: bytes in, an `IptsRecord` out, or one of the typed errors of
 * `src/errors.ts`. Synchronous and pure: the caller passes `now`.
 *
 * Order of checks (cheap and structural first, signature last but one):
 * size -> routing key -> protobuf -> DAG-CBOR data -> V1 fields -> kind and Tag -> signer key
 * and routing key match -> V2 signature -> EOL.
 */
import * as dagCbor from '@ipld/dag-cbor'
import { CID } from 'multiformats/cid'
import {
  BadSignatureError, InvalidTagError, IptsError, KeyMismatchError, MalformedDataError,
  MalformedRecordError, RecordExpiredError, RecordTooLargeError
} from '../errors.ts'
import { IpnsEntry } from '../pb/ipns.ts'
import { DEFAULT_KEY_CACHE_SIZE, IPNS_PREFIX, IPNS_SIGNATURE_PREFIX, IPTS_PREFIX, MAX_RECORD_SIZE } from './constants.ts'
import { bytesEqual, concat } from './bytes.ts'
import { checkPeerIdMultihash, inlineKeyOf, SignerKeyCache } from './keys.ts'
import { parseRoutingKey } from './routing.ts'
import { parseValidity } from './validity.ts'
import type { IptsRecord, RecordKind, ValidateOptions } from './types.ts'
import type { SignerKey } from './keys.ts'

const strictUtf8 = new TextDecoder('utf-8', { fatal: true })
const lenientUtf8 = new TextDecoder('utf-8')

/** The fields of the signed DAG-CBOR `data` map, checked for type. */
export interface RecordData {
  value: Uint8Array
  validity: Uint8Array
  sequence: bigint
  ttl: bigint
  tag?: Uint8Array
}

function uint64 (field: unknown, name: string): bigint {
  if (typeof field === 'bigint' && field >= 0n) {
    return field
  }

  if (typeof field === 'number' && Number.isSafeInteger(field) && field >= 0) {
    return BigInt(field)
  }

  throw new MalformedDataError(`data.${name} must be an unsigned integer`)
}

/** Decodes and type-checks the signed `data` field. Throws `MalformedDataError` / `InvalidTagError`. */
export function parseRecordData (data: Uint8Array): RecordData {
  let map: any

  try {
    map = dagCbor.decode(data)
  } catch (err: any) {
    throw new MalformedDataError(`data is not DAG-CBOR: ${err?.message}`)
  }

  if (map == null || typeof map !== 'object' || Array.isArray(map) || map instanceof Uint8Array || CID.asCID(map) != null) {
    throw new MalformedDataError('data must be a DAG-CBOR map')
  }

  if (!(map.Value instanceof Uint8Array)) {
    throw new MalformedDataError('data.Value must be bytes')
  }

  if (!(map.Validity instanceof Uint8Array)) {
    throw new MalformedDataError('data.Validity must be bytes')
  }

  if (map.ValidityType !== 0) {
    throw new MalformedDataError('data.ValidityType must be 0 (EOL)')
  }

  const out: RecordData = {
    value: map.Value,
    validity: map.Validity,
    sequence: uint64(map.Sequence, 'Sequence'),
    ttl: uint64(map.TTL, 'TTL')
  }

  if (Object.hasOwn(map, 'Tag')) {
    if (!(map.Tag instanceof Uint8Array)) {
      throw new InvalidTagError('data.Tag must be bytes')
    }

    out.tag = map.Tag
  }

  return out
}

/**
 * The value of a plain record, normalised exactly as the ipns package does: a trimmed string
 * starting with `/`, else CID bytes or a CID string turned into `/ipfs/<cid v1>`.
 */
function plainValue (value: Uint8Array): string {
  const string = lenientUtf8.decode(value).trim()

  if (string.startsWith('/')) {
    return string
  }

  try {
    return `/ipfs/${CID.decode(value).toV1().toString()}`
  } catch {}

  try {
    return `/ipfs/${CID.parse(string).toV1().toString()}`
  } catch {}

  throw new MalformedDataError('data.Value must be a content path starting with /')
}

/** The value of a tagged record: valid UTF-8 starting with `/`, taken as is. */
function taggedValue (value: Uint8Array): string {
  let string: string

  try {
    string = strictUtf8.decode(value)
  } catch {
    throw new MalformedDataError('data.Value must be UTF-8')
  }

  if (!string.startsWith('/') || string.length < 2) {
    throw new MalformedDataError('data.Value must be a content path starting with /')
  }

  return string
}

/** The legacy V1 copies must match the signed data, as the ipns package requires. */
function checkV1Fields (entry: IpnsEntry, data: RecordData): void {
  if (!bytesEqual(entry.value ?? new Uint8Array(0), data.value) ||
    !bytesEqual(entry.validity ?? new Uint8Array(0), data.validity) ||
    entry.validityType !== IpnsEntry.ValidityType.EOL ||
    entry.sequence !== data.sequence ||
    entry.ttl !== data.ttl) {
    throw new MalformedRecordError('V1 fields do not match the signed data')
  }
}

/**
 * Validates records and keeps a bounded cache of signer keys so repeated signers cost one
 * signature check and no key parsing.
 */
export class RecordValidator {
  private readonly keys: SignerKeyCache

  constructor (init: { keyCacheSize?: number } = {}) {
    this.keys = new SignerKeyCache(init.keyCacheSize ?? DEFAULT_KEY_CACHE_SIZE)
  }

  /**
   * Validates a marshalled IpnsEntry, tagged or plain. Throws only `IptsError` subclasses:
   * `RecordTooLargeError`, `InvalidRoutingKeyError`, `MalformedRecordError`,
   * `MalformedDataError`, `InvalidTagError`, `KeyMismatchError`, `BadSignatureError`,
   * `RecordExpiredError`.
   */
  validate (bytes: Uint8Array, options: ValidateOptions): IptsRecord {
    try {
      return this.check(bytes, options)
    } catch (err: any) {
      if (err instanceof IptsError) {
        throw err
      }

      throw new MalformedRecordError(`unexpected error while validating: ${err?.message}`)
    }
  }

  private check (input: Uint8Array, options: ValidateOptions): IptsRecord {
    if (!(input instanceof Uint8Array)) {
      throw new MalformedRecordError('record must be a Uint8Array')
    }

    if (input.byteLength > (options.maxSize ?? MAX_RECORD_SIZE)) {
      throw new RecordTooLargeError(`record is ${input.byteLength} bytes, over the limit of ${options.maxSize ?? MAX_RECORD_SIZE}`)
    }

    const expected = options.routingKey == null ? undefined : parseRoutingKey(options.routingKey)

    // own copy: the record must not alias (and keep alive) a larger buffer it arrived in
    const bytes = new Uint8Array(input)
    let entry: IpnsEntry

    try {
      entry = IpnsEntry.decode(bytes)
    } catch (err: any) {
      throw new MalformedRecordError(`record is not an IpnsEntry: ${err?.message}`)
    }

    if (entry.signatureV2 == null || entry.data == null) {
      throw new MalformedRecordError('record lacks signatureV2 or data')
    }

    const data = parseRecordData(entry.data)
    const kind: RecordKind = data.tag == null ? 'plain' : 'tagged'
    const value = kind === 'tagged' ? taggedValue(data.value) : plainValue(data.value)
    let eol: number

    try {
      eol = parseValidity(strictUtf8.decode(data.validity))
    } catch (err: any) {
      throw new MalformedDataError(`data.Validity: ${err?.message}`)
    }

    if (entry.value != null && entry.signatureV1 != null) {
      checkV1Fields(entry, data)
    }

    if (expected != null && expected.kind !== kind) {
      throw new InvalidTagError(kind === 'plain' ? 'record under an /ipts/ key lacks a Tag' : 'record under an /ipns/ key carries a Tag')
    }

    let key: SignerKey
    let routingKey: Uint8Array

    if (data.tag != null) {
      try {
        checkPeerIdMultihash(data.tag)
      } catch (err: any) {
        throw new InvalidTagError(`data.Tag is not a peer ID: ${err?.message}`)
      }

      if (entry.pubKey == null) {
        throw new KeyMismatchError('tagged record lacks the embedded public key')
      }

      key = this.signerKey(entry.pubKey)

      if (!key.canonical) {
        throw new KeyMismatchError('embedded public key is not canonically encoded')
      }

      routingKey = concat(IPTS_PREFIX, data.tag)

      if (options.routingKey != null && !bytesEqual(routingKey, options.routingKey)) {
        throw new KeyMismatchError('record Tag does not match the routing key')
      }
    } else {
      const pubKey = entry.pubKey ?? (expected == null ? undefined : inlineKeyOf(expected.multihash))

      if (pubKey == null) {
        throw new KeyMismatchError('no public key in the record or in the routing key')
      }

      key = this.signerKey(pubKey)
      routingKey = concat(IPNS_PREFIX, key.multihash)

      if (options.routingKey != null && !bytesEqual(routingKey, options.routingKey)) {
        throw new KeyMismatchError('signer key does not match the name in the routing key')
      }
    }

    if (!key.verify(concat(IPNS_SIGNATURE_PREFIX, entry.data), entry.signatureV2)) {
      throw new BadSignatureError('signatureV2 does not verify')
    }

    if (eol < options.now) {
      throw new RecordExpiredError(`record expired at ${new Date(eol).toISOString()}`)
    }

    const record: IptsRecord = {
      kind,
      routingKey,
      signer: key.multihash.slice(),
      value,
      sequence: data.sequence,
      eol,
      ttl: data.ttl,
      bytes
    }

    if (data.tag != null) {
      record.tag = data.tag
    }

    return record
  }

  /** How many signer keys are cached now (for metrics). */
  get cachedKeys (): number {
    return this.keys.size
  }

  private signerKey (pubKey: Uint8Array): SignerKey {
    try {
      return this.keys.get(pubKey)
    } catch (err: any) {
      throw new KeyMismatchError(`unusable public key: ${err?.message}`)
    }
  }
}

/** Validates one record with a fresh validator (no key cache across calls). */
export function validateRecord (bytes: Uint8Array, options: ValidateOptions): IptsRecord {
  return new RecordValidator({ keyCacheSize: 1 }).validate(bytes, options)
}
