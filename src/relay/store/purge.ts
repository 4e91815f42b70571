/**
 * What purging a chunk of the expiry index deletes, decided without I/O from the expired
 * entries themselves (a record's entry carries its symbol, size, uploader and order; an ack's
 * its size). See `RecordStore.purgeExpired` in `../store.ts`.
 */
import { StoreCorruptError } from '../../errors.ts'
import {
  ACK, RECORD, SYMBOL, TOMBSTONE, decodeAckExpiryValue, decodeExpiryValue, parseExpiryKey, parseLocationKey, parseSymbolKey,
  symbolKey, uploaderKey
} from './layout.ts'
import type { Entry, Op } from './level.ts'

export interface PurgedRecord {
  routingKey: Uint8Array
  signer: Uint8Array
  hi: number
  lo: number
  size: number
  uploader: number
}

export interface PurgePlan {
  ops: Op[]
  records: PurgedRecord[]
  tombstones: number
  /** symbols and sizes of the acks purged */
  acks: Array<{ hi: number, lo: number, size: number }>
}

/** Deletes each expired entry and what it indexes (a record with its index entries, a tombstone, an ack). */
export function planPurge (expired: Entry[]): PurgePlan {
  const plan: PurgePlan = { ops: [], records: [], tombstones: 0, acks: [] }
  for (const [key, value] of expired) {
    const { target } = parseExpiryKey(key)
    plan.ops.push({ type: 'del', key }, { type: 'del', key: target })
    switch (target[0]) {
      case RECORD: {
        const e = decodeExpiryValue(value)
        const { routingKey, signer } = parseLocationKey(target)
        plan.ops.push({ type: 'del', key: symbolKey(SYMBOL, e.hi, e.lo) }, { type: 'del', key: uploaderKey(e.uploader, e.order) })
        plan.records.push({ routingKey, signer, hi: e.hi, lo: e.lo, size: e.size, uploader: e.uploader })
        break
      }
      case TOMBSTONE:
        plan.tombstones++
        break
      case ACK:
        plan.acks.push({ ...parseSymbolKey(target), size: decodeAckExpiryValue(value) })
        break
      default:
        throw new StoreCorruptError(`expiry entry for an unknown table 0x${target[0].toString(16)}`)
    }
  }
  return plan
}
