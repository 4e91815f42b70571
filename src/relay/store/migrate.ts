/**
 * Brings a store written by layout 1 to layout 2, in place, when it is opened:
 * - record values gain the uploader (0, unknown: layout 1 did not record it) and an arrival
 *   order (the key order of the records, as good as any for records of unknown arrival), and
 *   their expiry entries carry both;
 * - each record gets its `u` index entry;
 * - ack expiry entries gain the ack's size.
 * Each chunk is one atomic batch and the layout byte is written last, so a migration cut short
 * runs again on the next open and skips what it already converted.
 */
import { StoreCorruptError } from '../../errors.ts'
import {
  ACK, ACK_HEADER, LAYOUT_KEY, RECORD, RECORD_FORMAT, ackExpiryValue, decodeAckValue, decodeRecordHeader, encodeRecordValue,
  expiryKey, expiryValue, uploaderKey
} from './layout.ts'
import { readRange, table, write } from './level.ts'
import type { Db, Op } from './level.ts'
import { STORE_READ_CHUNK } from '../constants.ts'

/** Bytes before the record in a layout-1 record value: format 1, eol f64, sequence u64, symbol u64. */
const V1_HEADER = 25

export async function migrateV1 (db: Db): Promise<void> {
  let order = 0
  await eachChunk(db, RECORD, (key, value, ops) => {
    if (value[0] === RECORD_FORMAT) {
      order = Math.max(order, decodeRecordHeader(value).order)
      return
    }
    if (value[0] !== 1 || value.length < V1_HEADER) throw new StoreCorruptError('bad layout-1 record value')
    const view = new DataView(value.buffer, value.byteOffset, value.byteLength)
    const header = { eol: view.getFloat64(1), sequence: view.getBigUint64(9), hi: view.getUint32(17), lo: view.getUint32(21), uploader: 0, order: ++order }
    const bytes = value.subarray(V1_HEADER)
    ops.push(
      { type: 'put', key, value: encodeRecordValue(header, bytes) },
      { type: 'put', key: expiryKey(header.eol, key), value: expiryValue({ hi: header.hi, lo: header.lo, size: bytes.length, uploader: 0, order: header.order }) },
      { type: 'put', key: uploaderKey(0, header.order), value: key }
    )
  })
  await eachChunk(db, ACK, (key, value, ops) => {
    const { until } = decodeAckValue(value)
    ops.push({ type: 'put', key: expiryKey(until, key), value: ackExpiryValue(value.length - ACK_HEADER) })
  })
  await write(db, [{ type: 'put', key: LAYOUT_KEY, value: new Uint8Array([2]) }], true)
}

/** Calls `fn` on every entry of a table, a chunk at a time, writing each chunk's ops as one batch. */
async function eachChunk (db: Db, prefix: number, fn: (key: Uint8Array, value: Uint8Array, ops: Op[]) => void): Promise<void> {
  const { gte, lt } = table(prefix)
  let gt: Uint8Array | undefined
  for (;;) {
    const chunk = await readRange(db, gt == null ? { gte, lt, limit: STORE_READ_CHUNK } : { gt, lt, limit: STORE_READ_CHUNK })
    const ops: Op[] = []
    for (const [key, value] of chunk) fn(key.slice(), value, ops)
    if (ops.length > 0) await write(db, ops, false)
    if (chunk.length < STORE_READ_CHUNK) return
    gt = chunk[chunk.length - 1][0].slice()
  }
}
