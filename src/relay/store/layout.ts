/**
 * Byte layout of the record store's LevelDB keys and values (see the table at the top of
 * `../store.ts`). Pure functions, no I/O.
 */
import { hash } from 'node:crypto'
import { StoreCorruptError } from '../../errors.ts'
import { ITEM_ACK, ITEM_RECORD } from '../../sync/item.ts'
import { MAX_ROUTING_KEY_LENGTH } from '../constants.ts'

/** First byte of every store key: which table the entry belongs to. */
export const RECORD = 0x72 // 'r'
export const TOMBSTONE = 0x74 // 't'
export const ACK = 0x61 // 'a'
export const EXPIRY = 0x65 // 'e'
export const SYMBOL = 0x73 // 's'
export const UPLOADER = 0x75 // 'u'
export const META = 0x6d // 'm'

/** Value of index entries that need none. */
export const EMPTY_VALUE = new Uint8Array(0)

/** Format byte leading tombstone and ack values. */
export const FORMAT = 1
/** Format byte leading record values (format 1, without uploader and order, is layout 1's). */
export const RECORD_FORMAT = 2

/** `m` + "layout": the layout version, one byte. */
export const LAYOUT_KEY = new Uint8Array([META, ...new TextEncoder().encode('layout')])
export const LAYOUT_VERSION = 2

/** `m` + "uploader-key": 16 random bytes keying uploader ids (see `uploaderId`). */
export const UPLOADER_SECRET_KEY = new Uint8Array([META, ...new TextEncoder().encode('uploader-key')])

/**
 * Bytes before the record in a record value: format, eol f64, sequence u64, symbol u64,
 * uploader u32, order u64.
 */
export const RECORD_HEADER = 37
/** Size of a tombstone value: format, sequence u64, until f64, ack symbol u64. */
export const TOMBSTONE_VALUE = 25
/** Bytes before the ack in an ack value: format, until f64. */
export const ACK_HEADER = 9

export interface RecordHeader {
  eol: number
  sequence: bigint
  /** symbol, high 32 bits */
  hi: number
  /** symbol, low 32 bits */
  lo: number
  /** who delivered it: a keyed hash of the sender's address (0: unknown) */
  uploader: number
  /** store-wide arrival counter: orders an uploader's records, oldest first */
  order: number
}

export interface TombstoneValue {
  sequence: bigint
  until: number
  ackHi: number
  ackLo: number
}

/** `prefix | u16be(len(routingKey)) | routingKey | signer`: where a record or tombstone lives. */
export function locationKey (prefix: number, routingKey: Uint8Array, signer: Uint8Array): Uint8Array {
  if (routingKey.length > MAX_ROUTING_KEY_LENGTH) throw new RangeError('routing key too long')
  const out = new Uint8Array(3 + routingKey.length + signer.length)
  out[0] = prefix
  out[1] = routingKey.length >> 8
  out[2] = routingKey.length & 0xff
  out.set(routingKey, 3)
  out.set(signer, 3 + routingKey.length)
  return out
}

/** `prefix | u16be(len(routingKey)) | routingKey`: the common prefix of a key's records. */
export function keyPrefix (prefix: number, routingKey: Uint8Array): Uint8Array {
  return locationKey(prefix, routingKey, new Uint8Array(0))
}

/** The routing key and signer of a location key (views into `key`). */
export function parseLocationKey (key: Uint8Array): { routingKey: Uint8Array, signer: Uint8Array } {
  if (key.length < 3) throw new StoreCorruptError('location key too short')
  const len = (key[1] << 8) | key[2]
  if (3 + len > key.length) throw new StoreCorruptError('location key truncated')
  return { routingKey: key.subarray(3, 3 + len), signer: key.subarray(3 + len) }
}

/** The smallest key greater than every key starting with `prefix` (undefined: no such key). */
export function upperBound (prefix: Uint8Array): Uint8Array | undefined {
  const out = prefix.slice()
  for (let i = out.length - 1; i >= 0; i--) {
    if (out[i] !== 0xff) {
      out[i]++
      return out.subarray(0, i + 1)
    }
  }
  return undefined
}

export function encodeRecordValue (header: RecordHeader, bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(RECORD_HEADER + bytes.length)
  const view = new DataView(out.buffer)
  out[0] = RECORD_FORMAT
  view.setFloat64(1, header.eol)
  view.setBigUint64(9, header.sequence)
  view.setUint32(17, header.hi)
  view.setUint32(21, header.lo)
  view.setUint32(25, header.uploader)
  writeU64(out, 29, header.order)
  out.set(bytes, RECORD_HEADER)
  return out
}

export function decodeRecordHeader (value: Uint8Array): RecordHeader {
  if (value.length < RECORD_HEADER || value[0] !== RECORD_FORMAT) throw new StoreCorruptError('bad record value')
  const view = new DataView(value.buffer, value.byteOffset, value.byteLength)
  return {
    eol: view.getFloat64(1),
    sequence: view.getBigUint64(9),
    hi: view.getUint32(17),
    lo: view.getUint32(21),
    uploader: view.getUint32(25),
    order: readU64(value, 29)
  }
}

/**
 * `u | uploader u32be | order u64be` -> the record's `r` key: an uploader's records, oldest
 * first, so eviction finds the oldest record of the uploader holding the most with one seek.
 */
export function uploaderKey (uploader: number, order: number): Uint8Array {
  const out = new Uint8Array(13)
  out[0] = UPLOADER
  writeU32(out, 1, uploader)
  writeU64(out, 5, order)
  return out
}

/** `u | uploader u32be`: the common prefix of an uploader's `u` entries. */
export function uploaderPrefix (uploader: number): Uint8Array {
  const out = new Uint8Array(5)
  out[0] = UPLOADER
  writeU32(out, 1, uploader)
  return out
}


export function encodeTombstone (t: TombstoneValue): Uint8Array {
  const out = new Uint8Array(TOMBSTONE_VALUE)
  const view = new DataView(out.buffer)
  out[0] = FORMAT
  view.setBigUint64(1, t.sequence)
  view.setFloat64(9, t.until)
  view.setUint32(17, t.ackHi)
  view.setUint32(21, t.ackLo)
  return out
}

export function decodeTombstone (value: Uint8Array): TombstoneValue {
  if (value.length !== TOMBSTONE_VALUE || value[0] !== FORMAT) throw new StoreCorruptError('bad tombstone value')
  const view = new DataView(value.buffer, value.byteOffset, value.byteLength)
  return {
    sequence: view.getBigUint64(1),
    until: view.getFloat64(9),
    ackHi: view.getUint32(17),
    ackLo: view.getUint32(21)
  }
}

export function encodeAckValue (until: number, ack: Uint8Array): Uint8Array {
  const out = new Uint8Array(ACK_HEADER + ack.length)
  out[0] = FORMAT
  new DataView(out.buffer).setFloat64(1, until)
  out.set(ack, ACK_HEADER)
  return out
}

export function decodeAckValue (value: Uint8Array): { until: number, ack: Uint8Array } {
  if (value.length < ACK_HEADER || value[0] !== FORMAT) throw new StoreCorruptError('bad ack value')
  const view = new DataView(value.buffer, value.byteOffset, value.byteLength)
  return { until: view.getFloat64(1), ack: value.subarray(ACK_HEADER) }
}

/** `s | symbol u64be` (records) or `a | symbol u64be` (acks). */
export function symbolKey (prefix: number, hi: number, lo: number): Uint8Array {
  const out = new Uint8Array(9)
  const view = new DataView(out.buffer)
  out[0] = prefix
  view.setUint32(1, hi)
  view.setUint32(5, lo)
  return out
}

/** The symbol's halves from a `symbolKey`. */
export function parseSymbolKey (key: Uint8Array): { hi: number, lo: number } {
  if (key.length !== 9) throw new StoreCorruptError('bad symbol key')
  const view = new DataView(key.buffer, key.byteOffset, key.byteLength)
  return { hi: view.getUint32(1), lo: view.getUint32(5) }
}

/**
 * `e | floor(time) u64be | target key`: one entry per record, tombstone and ack, ordered by
 * when it expires, so a purge reads only what has expired.
 */
export function expiryKey (time: number, target: Uint8Array): Uint8Array {
  const out = new Uint8Array(9 + target.length)
  writeTime(out, 1, time)
  out[0] = EXPIRY
  out.set(target, 9)
  return out
}

/** The first expiry key at or after `time`. */
export function expiryBound (time: number): Uint8Array {
  const out = new Uint8Array(9)
  out[0] = EXPIRY
  writeTime(out, 1, time)
  return out
}

export interface ExpiryValue {
  hi: number
  lo: number
  size: number
  uploader: number
  order: number
}

/**
 * Value of a record's expiry entry: its symbol, size, uploader and order, all `open()` needs to
 * index it (and a purge to delete its index entries).
 */
export function expiryValue (e: ExpiryValue): Uint8Array {
  const out = new Uint8Array(24)
  writeU32(out, 0, e.hi)
  writeU32(out, 4, e.lo)
  writeU32(out, 8, e.size)
  writeU32(out, 12, e.uploader)
  writeU64(out, 16, e.order)
  return out
}

export function decodeExpiryValue (value: Uint8Array): ExpiryValue {
  if (value.length !== 24) throw new StoreCorruptError('bad expiry value')
  return { hi: readU32(value, 0), lo: readU32(value, 4), size: readU32(value, 8), uploader: readU32(value, 12), order: readU64(value, 16) }
}

/** Value of an ack's expiry entry: the ack's size, so `open()` can count ack bytes without reading acks. */
export function ackExpiryValue (size: number): Uint8Array {
  const out = new Uint8Array(4)
  writeU32(out, 0, size)
  return out
}

export function decodeAckExpiryValue (value: Uint8Array): number {
  if (value.length !== 4) throw new StoreCorruptError('bad ack expiry value')
  return readU32(value, 0)
}

function writeU32 (out: Uint8Array, at: number, v: number): void {
  out[at] = v >>> 24
  out[at + 1] = (v >>> 16) & 0xff
  out[at + 2] = (v >>> 8) & 0xff
  out[at + 3] = v & 0xff
}

function readU32 (b: Uint8Array, at: number): number {
  return ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0
}

/** A non-negative safe integer as big-endian u64 (so byte order is numeric order). */
function writeU64 (out: Uint8Array, at: number, v: number): void {
  writeU32(out, at, Math.floor(v / 2 ** 32))
  writeU32(out, at + 4, v >>> 0)
}

function readU64 (b: Uint8Array, at: number): number {
  return readU32(b, at) * 2 ** 32 + readU32(b, at + 4)
}

export function parseExpiryKey (key: Uint8Array): { time: number, target: Uint8Array } {
  if (key.length < 10) throw new StoreCorruptError('bad expiry key')
  const view = new DataView(key.buffer, key.byteOffset, key.byteLength)
  return { time: view.getUint32(1) * 2 ** 32 + view.getUint32(5), target: key.subarray(9) }
}

function writeTime (out: Uint8Array, offset: number, time: number): void {
  const t = Math.max(0, Math.min(Number.MAX_SAFE_INTEGER, Math.floor(time)))
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength)
  view.setUint32(offset, Math.floor(t / 2 ** 32))
  view.setUint32(offset + 4, t >>> 0)
}

/**
 * The sync symbol of a record held under `routingKey`: big-endian uint64 of the first 8 bytes of
 * sha256(`0x01 | u16be(len(routingKey)) | routingKey | record`), the sync item's frame (same as
 * `symbolOf(encodeItem({ kind: 'record', ... }))` in `src/sync/item.ts`), as 32-bit halves.
 */
export function recordSymbol (routingKey: Uint8Array, record: Uint8Array): { hi: number, lo: number } {
  const frame = scratch(3 + routingKey.length + record.length)
  frame[0] = ITEM_RECORD
  frame[1] = routingKey.length >> 8
  frame[2] = routingKey.length & 0xff
  frame.set(routingKey, 3)
  frame.set(record, 3 + routingKey.length)
  return symbolOfFrame(frame)
}

/** The sync symbol of an acknowledgement: sha256(`0x02 | ack`), as for `recordSymbol`. */
export function ackSymbol (ack: Uint8Array): { hi: number, lo: number } {
  const frame = scratch(1 + ack.length)
  frame[0] = ITEM_ACK
  frame.set(ack, 1)
  return symbolOfFrame(frame)
}

let scratchBuffer = new Uint8Array(16 * 1024)

/** A reused buffer of `length` bytes (hashing is synchronous, so one suffices). */
function scratch (length: number): Uint8Array {
  if (scratchBuffer.length < length) scratchBuffer = new Uint8Array(length * 2)
  return scratchBuffer.subarray(0, length)
}

function symbolOfFrame (frame: Uint8Array): { hi: number, lo: number } {
  const d = hash('sha256', frame, 'buffer')
  return { hi: d.readUInt32BE(0), lo: d.readUInt32BE(4) }
}

export function bytesEqual (a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) return false
  }
  return true
}

export function compareBytes (a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) return a[i] - b[i]
  }
  return a.length - b.length
}
