/**
 * What travels inside a tagged record's value.
 *
 * Relays hold only the latest record per (tag, signer), so a sender's record to a receiver carries
 * an {@link Envelope}: every message of that sender the receiver has not acknowledged yet (the
 * outbox), plus the sender's receipts for records it received from that receiver.
 *
 * The value is an `/ipfs/` path of an inline CID: CIDv1, codec raw (0x55), identity multihash of
 * the payload bytes, written in base64url (multibase prefix `u`). Payload bytes are DAG-CBOR:
 * `{ v: 1, sealed: <sealed bytes> }` (encrypted, see `crypto/seal.ts`) or `{ v: 1, env: <envelope> }`.
 *
 * Why base64url and not the default base32: the whole record must stay within 10 KiB, and the
 * value string is most of it. base32 spends 1.6 characters per byte, base64url 1.33, which gives
 * ~20% more inline room (measured in docs/protocol.md section 7). The value is only ever decoded
 * by ipts clients (relays never look inside it); IPNS libraries keep `/`-prefixed values as they
 * are; `CID.parse` reads it with the base64url decoder and Kubo's CID parser accepts every
 * multibase. base36 is denser than base32 but its encoder is quadratic in the input length
 * (multiformats' base-x), and neither base32 nor base36 is needed since the CID never appears in
 * a DNS label. Values in base32 (`b`), base36 (`k`) and base58btc (`z`) are read as well.
 *
 * @module
 */

import * as dagCbor from '@ipld/dag-cbor'
import { CID } from 'multiformats/cid'
import { base64url } from 'multiformats/bases/base64'
import { identity } from 'multiformats/hashes/identity'
import { MAX_RECORD_SIZE } from '../constants.ts'
import { openSealed, sealTo } from '../crypto/seal.ts'
import { DecryptionError, MalformedPayloadError, PayloadTooLargeError } from '../errors.ts'
import { RAW_CODEC, inlineContent } from './value.ts'
import type { PeerId, PrivateKey } from '@libp2p/interface'

/** One message of the sender's outbox. */
export interface Message {
  /** Sequence number of the record this message was first sent in; with the sender, it identifies the message. */
  seq: bigint
  /** When the sender wrote it, in ms since the Unix epoch. */
  at: number
  /** Message text. */
  text?: string
  /** A small file's bytes. */
  data?: Uint8Array
  /** The file's name, with `data`. */
  name?: string
  /** A pointer to larger content (CID or `/ipfs/`, `/ipns/` path), fetched from IPFS. */
  cid?: string
}

/** The sender's acknowledgement of a record it received from the peer it writes to. */
export interface Receipt {
  /** Sequence of the peer's record that was acknowledged (covers the messages first sent in it and before). */
  seq: bigint
  /** When it was received, in ms since the Unix epoch. */
  at: number
}

/** Everything one record carries from its signer to its tag. */
export interface Envelope {
  messages: Message[]
  receipts: Receipt[]
  /**
   * Payloads (7.2 bytes, usually sealed) of earlier records of this signer to this receiver that
   * relays still held unacknowledged when the sender, having lost its state, wrote again: it
   * cannot read them (they are sealed to the receiver), so it carries them whole (protocol
   * section 8). Absent when empty.
   */
  carried?: Uint8Array[]
}

/** What a record value turned out to be. */
export interface DecodedValue {
  /** The envelope, when the value was inline and readable (plain, or sealed to the given key). */
  envelope?: Envelope
  /** True when the inline payload was sealed (whether or not it could be opened). */
  encrypted: boolean
  /** The value itself, when it is not an inline payload (a plain `/ipfs/<cid>` or `/ipns/` path). */
  pointer?: string
}

export interface EnvelopeToValueOptions {
  /** Seal the payload to this Ed25519 peer ID or raw 32-byte public key. @default plain, readable by anyone */
  encryptTo?: PeerId | Uint8Array
  /**
   * The record's signer, bound into the seal as additional data so that nobody can copy a sealed
   * payload into a record of their own and pass it off as theirs. The receiver must pass the
   * same signer to {@link valueToEnvelope}. @default not bound
   */
  sender?: PeerId
}

export interface ValueToEnvelopeOptions {
  /** The receiver's key, to open sealed payloads. @default sealed payloads stay closed */
  privateKey?: PrivateKey
  /** The record's signer: must match the `sender` the payload was sealed with. @default not bound */
  sender?: PeerId
}

export interface InlineBudgetOptions {
  /** Size the budget for a sealed payload. @default false */
  encrypted?: boolean
  /** Maximum size of a whole record, in bytes. @default MAX_RECORD_SIZE (10 KiB) */
  maxRecordBytes?: number
  /** Bytes of the record that are not the value string. @default RECORD_OVERHEAD_BYTES */
  recordOverheadBytes?: number
}

/**
 * Bytes of a tagged V2-only record that are not the value string: protobuf framing, signature,
 * embedded public key, and the CBOR data map's other fields (Sequence, Validity, TTL, Tag).
 * Measured ~250 B with an Ed25519 signer; 300 leaves a margin. A V1-compatible record would
 * carry the value twice and is not budgeted for.
 */
export const RECORD_OVERHEAD_BYTES = 300
/** Payload format version. */
export const PAYLOAD_VERSION = 1
/** Most messages one envelope may carry. */
export const MAX_ENVELOPE_MESSAGES = 1024
/** Most receipts one envelope may carry. */
export const MAX_ENVELOPE_RECEIPTS = 1024
/** Largest encoded envelope (and inline payload) decoded, in bytes: no record can hold more. */
export const MAX_ENVELOPE_BYTES = MAX_RECORD_SIZE
/** Most carried payloads one envelope may hold. */
export const MAX_CARRIED = 4
/** Deepest nesting of carried payloads (a carried payload may carry others) that is opened. */
export const MAX_CARRY_DEPTH = 4
/** Longest file name, in UTF-16 code units. */
export const MAX_FILE_NAME_LENGTH = 255
/** Longest pointer in a message's `cid`, in characters. */
export const MAX_POINTER_LENGTH = 1024

const IPFS_PREFIX = '/ipfs/'
const MAX_UINT64 = (1n << 64n) - 1n
const SEAL_AAD_PREFIX = new TextEncoder().encode('ipts/payload/v1/sender:')

/** Encodes an envelope as DAG-CBOR with one-letter keys: `{ m: [{ s, a, t?, d?, f?, c? }], r: [{ s, a }] }`. */
export function encodeEnvelope (env: Envelope): Uint8Array {
  return dagCbor.encode(envelopeToWire(env))
}

/**
 * Decodes and validates an envelope. Unknown keys are ignored (room for later fields).
 *
 * @throws MalformedPayloadError on anything that is not a valid envelope, or exceeds its bounds
 */
export function decodeEnvelope (bytes: Uint8Array): Envelope {
  if (bytes.byteLength > MAX_ENVELOPE_BYTES) {
    throw new MalformedPayloadError(`envelope is ${bytes.byteLength} bytes, more than ${MAX_ENVELOPE_BYTES}`)
  }
  return envelopeFromWire(decodeCbor(bytes, 'envelope'))
}

/**
 * Turns an envelope into a record value: `/ipfs/` + inline CID of the payload, base64url.
 *
 * @throws PayloadTooLargeError if a record with this value would exceed the record size limit
 * (see {@link maxInlineBytes}); the caller should wait for acknowledgements to shrink the outbox,
 * or send a pointer instead
 * @throws UnsupportedKeyError if `encryptTo` is not an Ed25519 key
 */
export function envelopeToValue (env: Envelope, options: EnvelopeToValueOptions = {}): string {
  const envBytes = encodeEnvelope(env)
  const encrypted = options.encryptTo != null
  const limit = maxInlineBytes({ encrypted })
  if (envBytes.byteLength > limit) {
    throw new PayloadTooLargeError(`envelope is ${envBytes.byteLength} bytes encoded, at most ${limit} fit inline${encrypted ? ' when encrypted' : ''}`)
  }
  const payload = options.encryptTo == null
    ? dagCbor.encode({ v: PAYLOAD_VERSION, env: envelopeToWire(env) })
    : dagCbor.encode({ v: PAYLOAD_VERSION, sealed: sealTo(options.encryptTo, envBytes, { aad: senderAad(options.sender) }) })
  const value = payloadToValue(payload)
  const budget = valueBudget({})
  if (value.length > budget) {
    // unreachable while maxInlineBytes is right; kept so a wrong budget can never emit an oversized record
    throw new PayloadTooLargeError(`value is ${value.length} bytes, at most ${budget} fit in a record`)
  }
  return value
}

/**
 * Reads a record value.
 * - inline and plain: `{ envelope, encrypted: false }`
 * - inline and sealed: `{ envelope, encrypted: true }` when `privateKey` opens it, else `{ encrypted: true }`
 * - anything else: `{ pointer: value, encrypted: false }`. That is `/ipfs/<cid>` of real content,
 *   `/ipns/...`, other paths, and inline raw CIDs whose payload is not ipts's (not a DAG-CBOR map
 *   with `env` or `sealed`): text or bytes other tools put in tagged records. `describeValue`
 *   (`./value.ts`) tells what such a value holds.
 *
 * @throws MalformedPayloadError if the value is an ipts payload (a map with `env` or `sealed`) that is invalid
 */
export function valueToEnvelope (value: string, options: ValueToEnvelopeOptions = {}): DecodedValue {
  const payload = inlineContent(value, RAW_CODEC)
  if (payload == null) {
    return { encrypted: false, pointer: value }
  }
  if (payload.byteLength > MAX_ENVELOPE_BYTES) {
    throw new MalformedPayloadError(`inline payload is ${payload.byteLength} bytes, more than ${MAX_ENVELOPE_BYTES}`)
  }
  const wrapper = tryDecodeCbor(payload)
  if (!isWrapper(wrapper)) {
    // not an ipts payload: content another tool put inline
    return { encrypted: false, pointer: value }
  }
  return openWrapper(wrapper, options)
}

/** Whether inline bytes claim to be an ipts payload (a DAG-CBOR map with `env` or `sealed`), valid or not. */
export function isIptsPayload (payload: Uint8Array): boolean {
  return payload.byteLength <= MAX_ENVELOPE_BYTES && isWrapper(tryDecodeCbor(payload))
}

function isWrapper (x: unknown): x is Record<string, unknown> {
  return isPlainObject(x) && (Object.hasOwn(x, 'env') || Object.hasOwn(x, 'sealed'))
}

/**
 * Opens payload bytes (7.2): the digest of an inline value, or a payload carried inside an
 * envelope. Like {@link valueToEnvelope} but bytes that are not an ipts payload are malformed.
 *
 * @throws MalformedPayloadError if the bytes are not a valid ipts payload
 */
export function openPayload (payload: Uint8Array, options: ValueToEnvelopeOptions = {}): DecodedValue {
  if (payload.byteLength > MAX_ENVELOPE_BYTES) {
    throw new MalformedPayloadError(`payload is ${payload.byteLength} bytes, more than ${MAX_ENVELOPE_BYTES}`)
  }
  const wrapper = decodeCbor(payload, 'payload')
  if (!isPlainObject(wrapper)) {
    throw new MalformedPayloadError('payload is not a map')
  }
  return openWrapper(wrapper, options)
}

/**
 * An envelope with its carried payloads opened (with the same key and signer, up to
 * {@link MAX_CARRY_DEPTH} levels) and merged in: messages once per sequence (the outer
 * envelope's copy first), ordered by sequence; every receipt. Carried payloads that do not open
 * are counted in `unreadable`, not thrown: the outer envelope is the signer's word and stays readable.
 */
export function flattenEnvelope (env: Envelope, options: ValueToEnvelopeOptions = {}): { envelope: Envelope, unreadable: number } {
  const messages = new Map<bigint, Message>()
  const receipts: Receipt[] = []
  let unreadable = 0
  const visit = (e: Envelope, depth: number): void => {
    for (const m of e.messages) if (!messages.has(m.seq)) messages.set(m.seq, m)
    receipts.push(...e.receipts)
    for (const payload of e.carried ?? []) {
      if (depth >= MAX_CARRY_DEPTH) {
        unreadable++
        continue
      }
      try {
        const opened = openPayload(payload, options)
        if (opened.envelope == null) unreadable++
        else visit(opened.envelope, depth + 1)
      } catch (err: any) {
        if (err?.name !== MalformedPayloadError.name) throw err
        unreadable++
      }
    }
  }
  visit(env, 0)
  return { envelope: { messages: [...messages.values()].sort((a, b) => (a.seq < b.seq ? -1 : a.seq > b.seq ? 1 : 0)), receipts }, unreadable }
}

function openWrapper (wrapper: Record<string, unknown>, options: ValueToEnvelopeOptions): DecodedValue {
  if (wrapper.v !== PAYLOAD_VERSION) {
    throw new MalformedPayloadError(`unsupported payload version ${String(wrapper.v)}`)
  }
  const { env, sealed } = wrapper
  if ((env == null) === (sealed == null)) {
    throw new MalformedPayloadError('payload must carry exactly one of env and sealed')
  }
  if (env != null) {
    return { envelope: envelopeFromWire(env), encrypted: false }
  }
  if (!(sealed instanceof Uint8Array)) {
    throw new MalformedPayloadError('payload field sealed must be bytes')
  }
  if (options.privateKey == null) {
    return { encrypted: true }
  }
  let plaintext: Uint8Array
  try {
    plaintext = openSealed(options.privateKey, sealed, { aad: senderAad(options.sender) })
  } catch (err) {
    if (err instanceof Error && err.name === DecryptionError.name) {
      return { encrypted: true }
    }
    throw err
  }
  return { envelope: decodeEnvelope(plaintext), encrypted: true }
}

/**
 * The largest encoded envelope ({@link encodeEnvelope} output, in bytes) that fits inline in one
 * record. The budget: record limit (10 KiB) - {@link RECORD_OVERHEAD_BYTES} = value string bytes;
 * minus `/ipfs/u`; base64url gives 3 bytes per 4 characters; minus the CID header (version,
 * codec, identity code, length varint: 5 bytes); minus the payload wrapper (8 bytes plain,
 * 106 bytes sealed: wrapper 14, seal fields 76, Poly1305 tag 16). With the defaults: 7,436
 * plain and 7,338 sealed. Computed with the real encoders, so it cannot drift from them.
 */
export function maxInlineBytes (options: InlineBudgetOptions = {}): number {
  const encrypted = options.encrypted ?? false
  const budget = valueBudget(options)
  const key = `${encrypted ? 's' : 'p'}:${budget}`
  const cached = budgetCache.get(key)
  if (cached != null) {
    return cached
  }
  // largest n with valueLength(n) <= budget; valueLength grows with n
  let lo = -1
  let hi = budget
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2)
    if (payloadToValue(new Uint8Array(wrappedPayloadBytes(mid, encrypted))).length <= budget) {
      lo = mid
    } else {
      hi = mid
    }
  }
  budgetCache.set(key, lo)
  return lo
}

/** Whether {@link envelopeToValue} with these options would accept `env` (no encryption needed to tell). */
export function fitsInline (env: Envelope, options: EnvelopeToValueOptions = {}): boolean {
  return encodeEnvelope(env).byteLength <= maxInlineBytes({ encrypted: options.encryptTo != null })
}

const budgetCache = new Map<string, number>()

function valueBudget (options: InlineBudgetOptions): number {
  return (options.maxRecordBytes ?? MAX_RECORD_SIZE) - (options.recordOverheadBytes ?? RECORD_OVERHEAD_BYTES)
}

/** Size of the payload bytes for an encoded envelope of `envBytes` bytes (seal sizes are deterministic). */
function wrappedPayloadBytes (envBytes: number, encrypted: boolean): number {
  if (!encrypted) {
    // the envelope map is embedded as is: wrapper with a 1-byte placeholder, minus the placeholder
    return dagCbor.encode({ v: PAYLOAD_VERSION, env: 0 }).byteLength - 1 + envBytes
  }
  const sealed = dagCbor.encode({ v: 1, epk: new Uint8Array(32), n: new Uint8Array(24), ct: new Uint8Array(envBytes + 16) })
  return dagCbor.encode({ v: PAYLOAD_VERSION, sealed }).byteLength
}

function payloadToValue (payload: Uint8Array): string {
  return IPFS_PREFIX + CID.createV1(RAW_CODEC, identity.digest(payload)).toString(base64url)
}

function senderAad (sender: PeerId | undefined): Uint8Array | undefined {
  if (sender == null) {
    return undefined
  }
  const mh = sender.toMultihash().bytes
  const aad = new Uint8Array(SEAL_AAD_PREFIX.byteLength + mh.byteLength)
  aad.set(SEAL_AAD_PREFIX, 0)
  aad.set(mh, SEAL_AAD_PREFIX.byteLength)
  return aad
}

function decodeCbor (bytes: Uint8Array, what: string): unknown {
  try {
    return dagCbor.decode(bytes)
  } catch (err) {
    throw new MalformedPayloadError(`${what} is not valid DAG-CBOR`, { cause: err })
  }
}

function tryDecodeCbor (bytes: Uint8Array): unknown {
  try {
    return dagCbor.decode(bytes)
  } catch {
    return undefined
  }
}

function isPlainObject (x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x) && !(x instanceof Uint8Array) && CID.asCID(x) == null
}

// --- wire mapping -----------------------------------------------------------------------------

interface WireMessage { s: bigint, a: number, t?: string, d?: Uint8Array, f?: string, c?: string }
interface WireReceipt { s: bigint, a: number }
interface WireEnvelope { m: WireMessage[], r: WireReceipt[], p?: Uint8Array[] }

function envelopeToWire (env: Envelope): WireEnvelope {
  if (env.messages.length > MAX_ENVELOPE_MESSAGES) {
    throw new MalformedPayloadError(`at most ${MAX_ENVELOPE_MESSAGES} messages per envelope, got ${env.messages.length}`)
  }
  if (env.receipts.length > MAX_ENVELOPE_RECEIPTS) {
    throw new MalformedPayloadError(`at most ${MAX_ENVELOPE_RECEIPTS} receipts per envelope, got ${env.receipts.length}`)
  }
  const carried = env.carried ?? []
  if (carried.length > MAX_CARRIED) {
    throw new MalformedPayloadError(`at most ${MAX_CARRIED} carried payloads per envelope, got ${carried.length}`)
  }
  const wire: WireEnvelope = {
    m: env.messages.map(msg => {
      // validate through the same checks the receiver applies
      const out: WireMessage = { s: checkSeq(msg.seq, 'message seq'), a: checkAt(msg.at, 'message at') }
      if (msg.text != null) out.t = checkString(msg.text, 'text', Infinity)
      if (msg.data != null) out.d = checkBytes(msg.data, 'data')
      if (msg.name != null) out.f = checkString(msg.name, 'name', MAX_FILE_NAME_LENGTH)
      if (msg.cid != null) out.c = checkString(msg.cid, 'cid', MAX_POINTER_LENGTH)
      return out
    }),
    r: env.receipts.map(rc => ({ s: checkSeq(rc.seq, 'receipt seq'), a: checkAt(rc.at, 'receipt at') }))
  }
  if (carried.length > 0) wire.p = carried.map(p => checkBytes(p, 'carried payload'))
  return wire
}

function envelopeFromWire (wire: unknown): Envelope {
  if (!isPlainObject(wire)) {
    throw new MalformedPayloadError('envelope is not a map')
  }
  const m = wire.m ?? []
  const r = wire.r ?? []
  if (!Array.isArray(m) || !Array.isArray(r)) {
    throw new MalformedPayloadError('envelope fields m and r must be lists')
  }
  if (m.length > MAX_ENVELOPE_MESSAGES || r.length > MAX_ENVELOPE_RECEIPTS) {
    throw new MalformedPayloadError('envelope carries too many messages or receipts')
  }
  const messages = m.map((item: unknown): Message => {
    if (!isPlainObject(item)) {
      throw new MalformedPayloadError('message is not a map')
    }
    const msg: Message = { seq: checkSeq(item.s, 'message seq'), at: checkAt(item.a, 'message at') }
    if (item.t != null) msg.text = checkString(item.t, 'text', Infinity)
    if (item.d != null) msg.data = checkBytes(item.d, 'data')
    if (item.f != null) msg.name = checkString(item.f, 'name', MAX_FILE_NAME_LENGTH)
    if (item.c != null) msg.cid = checkString(item.c, 'cid', MAX_POINTER_LENGTH)
    return msg
  })
  const receipts = r.map((item: unknown): Receipt => {
    if (!isPlainObject(item)) {
      throw new MalformedPayloadError('receipt is not a map')
    }
    return { seq: checkSeq(item.s, 'receipt seq'), at: checkAt(item.a, 'receipt at') }
  })
  const envelope: Envelope = { messages, receipts }
  if (wire.p != null) {
    if (!Array.isArray(wire.p) || wire.p.length > MAX_CARRIED) {
      throw new MalformedPayloadError(`envelope field p must be a list of at most ${MAX_CARRIED} payloads`)
    }
    if (wire.p.length > 0) envelope.carried = wire.p.map((p: unknown) => checkBytes(p, 'carried payload'))
  }
  return envelope
}

function checkSeq (x: unknown, what: string): bigint {
  let seq: bigint
  if (typeof x === 'bigint') {
    seq = x
  } else if (typeof x === 'number' && Number.isSafeInteger(x)) {
    seq = BigInt(x)
  } else {
    throw new MalformedPayloadError(`${what} must be an integer`)
  }
  if (seq < 0n || seq > MAX_UINT64) {
    throw new MalformedPayloadError(`${what} must be an unsigned 64-bit integer`)
  }
  return seq
}

function checkAt (x: unknown, what: string): number {
  if (typeof x !== 'number' || !Number.isSafeInteger(x) || x < 0) {
    throw new MalformedPayloadError(`${what} must be a non-negative integer of ms`)
  }
  return x
}

function checkString (x: unknown, what: string, maxLength: number): string {
  if (typeof x !== 'string') {
    throw new MalformedPayloadError(`${what} must be a string`)
  }
  if (x.length > maxLength) {
    throw new MalformedPayloadError(`${what} is longer than ${maxLength}`)
  }
  return x
}

function checkBytes (x: unknown, what: string): Uint8Array {
  if (!(x instanceof Uint8Array)) {
    throw new MalformedPayloadError(`${what} must be bytes`)
  }
  return x
}
