/**
 * What one put does to the store, decided without I/O from what disk holds for its slot, what
 * the puts before it in the same group will write, and the in-memory key summaries. The store
 * reads, calls `decidePut` for each put of a group in order, and writes the group's ops as one
 * batch (see `../store.ts`).
 */
import { compareRecords } from '../../record/index.ts'
import {
  RECORD, RECORD_HEADER, SYMBOL, bytesEqual, decodeRecordHeader, decodeTombstone, encodeRecordValue,
  expiryKey, expiryValue, locationKey, symbolKey, uploaderKey
} from './layout.ts'
import type { Entry } from './level.ts'
import type { KeyTable } from './key-table.ts'
import type { RecordHeader } from './layout.ts'
import type { Op } from './level.ts'
import type { PutResult, StoredEntry, StoredEvent } from './types.ts'
import type { IptsRecord } from '../../record/index.ts'

/** Memory changes of one stored record, applied after its batch is written. */
export interface Effect {
  addRecords: number
  addBytes: number
  /** the replaced record's symbol, uploader and size */
  old?: { hi: number, lo: number, uploader: number, size: number }
  hi: number
  lo: number
  uploader: number
  order: number
  size: number
  event: StoredEvent
}

export type Decision =
  | { kind: 'result', result: PutResult }
  | { kind: 'write', ops: Op[], effect: Effect }
  /** a new signer on a full key: the caller may purge the key's expired records, or evict fairly, and retry */
  | { kind: 'key-full' }
  /** over the global caps: the caller evicts (from the uploader holding the most) and retries */
  | { kind: 'no-room', addRecords: number, addBytes: number }

/** Puts decided but not yet written: their ops, and what later puts of the group must see. */
export interface Group {
  ops: Op[]
  effects: Effect[]
  /** answer each put once the batch is written */
  settle: Array<() => void>
  fail: Array<(err: unknown) => void>
  /** location -> record value written by the group */
  written: Map<string, Uint8Array>
  /** routing key -> records and bytes the group adds */
  keys: Map<string, { records: number, bytes: number }>
  records: number
  bytes: number
}

export interface StoreState {
  table: KeyTable
  records: number
  bytes: number
  maxRecordsPerKey: number
  maxRecords: number
  maxBytes: number
}

export function newGroup (): Group {
  return { ops: [], effects: [], settle: [], fail: [], written: new Map(), keys: new Map(), records: 0, bytes: 0 }
}

/** Where a put comes from and its place in arrival order. */
export interface Arrival {
  /** the uploader id (see `uploaderId`); 0 when unknown */
  uploader: number
  /** the store's arrival counter for this put */
  order: number
}

/**
 * Decides one put. `value` and `tomb` are what disk holds at the record's location and
 * tombstone; `sym` is the record's sync symbol. Adds the put's effect on later puts to `group`
 * when it returns `write`.
 */
export function decidePut (record: IptsRecord, now: number, value: Uint8Array | undefined, tomb: Uint8Array | undefined, group: Group, sym: { hi: number, lo: number }, arrival: Arrival, state: StoreState): Decision {
  if (record.eol < now) return { kind: 'result', result: { status: 'stale' } }
  const { routingKey, signer } = record
  const loc = locationKey(RECORD, routingKey, signer)
  const locId = idOf(loc)
  if (tomb != null) {
    const t = decodeTombstone(tomb)
    if (t.until >= now && record.sequence <= t.sequence) return { kind: 'result', result: { status: 'tombstoned' } }
  }
  const current = group.written.get(locId) ?? value
  let held: (RecordHeader & { size: number }) | undefined
  if (current != null) {
    const header = decodeRecordHeader(current)
    const heldBytes = current.subarray(RECORD_HEADER)
    held = { ...header, size: heldBytes.length }
    // an expired record no longer counts: anything live replaces it
    if (header.eol >= now) {
      const order = compareRecords(record, standIn({ routingKey, signer, bytes: heldBytes, ...header }))
      // same sequence and EOL: the same record, maybe re-encoded; keep the one held
      if (order === 0 || bytesEqual(heldBytes, record.bytes)) return { kind: 'result', result: { status: 'duplicate' } }
      if (order < 0) return { kind: 'result', result: { status: 'stale' } }
    }
  }
  const size = record.bytes.length
  const addRecords = held == null ? 1 : 0
  const addBytes = size - (held?.size ?? 0)
  const keyId = idOf(routingKey)
  const summary = state.table.get(routingKey)
  const pending = group.keys.get(keyId)
  const keyRecords = (summary?.count ?? 0) + (pending?.records ?? 0)
  if (held == null && keyRecords >= state.maxRecordsPerKey) return { kind: 'key-full' }
  // refuse what even an empty store cannot hold
  if (addRecords > state.maxRecords || size > state.maxBytes) {
    return { kind: 'result', result: { status: 'refused', reason: 'store-full' } }
  }
  if (state.records + group.records + addRecords > state.maxRecords || state.bytes + group.bytes + addBytes > state.maxBytes) {
    return { kind: 'no-room', addRecords, addBytes }
  }
  const { uploader, order } = arrival
  const header: RecordHeader = { eol: record.eol, sequence: record.sequence, hi: sym.hi, lo: sym.lo, uploader, order }
  const stored = encodeRecordValue(header, record.bytes)
  const ops: Op[] = []
  if (held != null) {
    ops.push(
      { type: 'del', key: expiryKey(held.eol, loc) },
      { type: 'del', key: symbolKey(SYMBOL, held.hi, held.lo) },
      { type: 'del', key: uploaderKey(held.uploader, held.order) }
    )
  }
  ops.push(
    { type: 'put', key: loc, value: stored },
    { type: 'put', key: expiryKey(record.eol, loc), value: expiryValue({ hi: sym.hi, lo: sym.lo, size, uploader, order }) },
    { type: 'put', key: symbolKey(SYMBOL, sym.hi, sym.lo), value: loc },
    { type: 'put', key: uploaderKey(uploader, order), value: loc }
  )
  group.written.set(locId, stored)
  group.keys.set(keyId, { records: (pending?.records ?? 0) + addRecords, bytes: (pending?.bytes ?? 0) + addBytes })
  group.records += addRecords
  group.bytes += addBytes
  return {
    kind: 'write',
    ops,
    effect: {
      addRecords,
      addBytes,
      old: held,
      hi: sym.hi,
      lo: sym.lo,
      uploader,
      order,
      size,
      event: { routingKey, signer, bytes: record.bytes, sequence: record.sequence, eol: record.eol, replaced: held != null }
    }
  }
}

/**
 * The record a new signer's record displaces in a full key, from the key's records as read
 * (`[location, value]`): the oldest record of the uploader holding the most records there, if it
 * holds at least two more than `uploader` (so that after the swap it still holds at least as
 * many: the split between two uploaders never ping-pongs). Undefined: the put is refused.
 */
export function keyVictim (records: Entry[], uploader: number): Entry | undefined {
  const held = new Map<number, { count: number, oldest: Entry, order: number }>()
  for (const entry of records) {
    const { uploader: u, order } = decodeRecordHeader(entry[1])
    const h = held.get(u)
    if (h == null) held.set(u, { count: 1, oldest: entry, order })
    else {
      h.count++
      if (order < h.order) {
        h.oldest = entry
        h.order = order
      }
    }
  }
  let largest: { count: number, oldest: Entry } | undefined
  for (const h of held.values()) {
    if (largest == null || h.count > largest.count) largest = h
  }
  if (largest == null || largest.count < (held.get(uploader)?.count ?? 0) + 2) return undefined
  return largest.oldest
}

const IPTS = new TextEncoder().encode('/ipts/')

/**
 * A held record as `isBetter`/`compareRecords` see it: the fields selection reads (sequence,
 * EOL), from the stored header rather than a decode of the record.
 */
export function standIn (entry: StoredEntry): IptsRecord {
  const tagged = entry.routingKey.length >= IPTS.length && bytesEqual(entry.routingKey.subarray(0, IPTS.length), IPTS)
  return {
    kind: tagged ? 'tagged' : 'plain',
    routingKey: entry.routingKey,
    signer: entry.signer,
    value: '',
    sequence: entry.sequence,
    eol: entry.eol,
    ttl: 0n,
    bytes: entry.bytes
  }
}

/** A cheap string identity of some bytes (Map keys within one group). */
function idOf (bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1')
}
