/**
 * What purging a chunk of the expiry index deletes, decided without I/O from the expired
 * entries themselves (a record's entry carries its symbol and size). See
 * `RecordStore.purgeExpired` in `../store.ts`.
 */
import { StoreCorruptError } from '../../errors.ts'
import { ACK, RECORD, SYMBOL, TOMBSTONE, decodeExpiryValue, parseExpiryKey, parseLocationKey, parseSymbolKey, symbolKey } from './layout.ts'
import type { Entry, Op } from './level.ts'

export interface PurgePlan {
  ops: Op[]
  records: Array<{ routingKey: Uint8Array, signer: Uint8Array, hi: number, lo: number, size: number }>
  tombstones: number
  /** symbols of the acks purged */
  acks: Array<{ hi: number, lo: number }>
}

/** Deletes each expired entry and what it indexes (a record with its symbol entry, a tombstone, an ack). */
export function planPurge (expired: Entry[]): PurgePlan {
  const plan: PurgePlan = { ops: [], records: [], tombstones: 0, acks: [] }
  for (const [key, value] of expired) {
    const { target } = parseExpiryKey(key)
    plan.ops.push({ type: 'del', key }, { type: 'del', key: target })
    switch (target[0]) {
      case RECORD: {
        const { hi, lo, size } = decodeExpiryValue(value)
        const { routingKey, signer } = parseLocationKey(target)
        plan.ops.push({ type: 'del', key: symbolKey(SYMBOL, hi, lo) })
        plan.records.push({ routingKey, signer, hi, lo, size })
        break
      }
      case TOMBSTONE:
        plan.tombstones++
        break
      case ACK:
        plan.acks.push(parseSymbolKey(target))
        break
      default:
        throw new StoreCorruptError(`expiry entry for an unknown table 0x${target[0].toString(16)}`)
    }
  }
  return plan
}
