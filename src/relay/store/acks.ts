/**
 * What applying an acknowledgement does, decided without I/O from what disk holds for each
 * acknowledged (tag, signer): which records go, which tombstones are written or extended, and
 * the ack kept for sync. See `RecordStore.applyAck` in `../store.ts`.
 */
import {
  ACK, EMPTY_VALUE, RECORD, TOMBSTONE, decodeRecordHeader, decodeTombstone, encodeAckValue, encodeTombstone,
  expiryKey, locationKey, symbolKey
} from './layout.ts'
import type { Entry, Op } from './level.ts'
import type { Ack } from '../../record/index.ts'

export interface AckEntryKeys {
  signer: Uint8Array
  sequence: bigint
  eol: number
  /** where its record and its tombstone live */
  record: Uint8Array
  tombstone: Uint8Array
}

export interface AckPlan {
  /** records to delete, as read: [key, value] */
  doomed: Entry[]
  /** tombstone and ack writes (the record deletions are added by the caller) */
  ops: Op[]
  /** tombstones written (new or extended) */
  tombstoned: number
  /** tombstones that did not exist before */
  added: number
  /** whether the ack itself is stored (it made at least one tombstone) */
  keepAck: boolean
}

/** One entry per signer (the highest sequence, then the latest EOL, wins), with its keys. */
export function ackEntries (ack: Ack, routingKey: Uint8Array): AckEntryKeys[] {
  const bySigner = new Map<string, AckEntryKeys>()
  for (const entry of ack.entries) {
    const id = Buffer.from(entry.signer).toString('hex')
    const seen = bySigner.get(id)
    if (seen == null || entry.sequence > seen.sequence || (entry.sequence === seen.sequence && entry.eol > seen.eol)) {
      bySigner.set(id, {
        signer: entry.signer,
        sequence: entry.sequence,
        eol: entry.eol,
        record: locationKey(RECORD, routingKey, entry.signer),
        tombstone: locationKey(TOMBSTONE, routingKey, entry.signer)
      })
    }
  }
  return [...bySigner.values()]
}

/**
 * Plans an ack: each held record with a sequence at or below its entry's is deleted; each
 * entry gets a tombstone until the EOL it covers (the entry's, or the deleted record's if
 * later), at most `maxTombstoneLifetime` from `now`, unless a live tombstone already covers as
 * much. `records[i]` and `tombstones[i]` are what disk holds for `entries[i]`.
 */
export function planAck (ack: Ack, sym: { hi: number, lo: number }, entries: AckEntryKeys[], records: Array<Uint8Array | undefined>, tombstones: Array<Uint8Array | undefined>, now: number, maxTombstoneLifetime: number): AckPlan {
  const plan: AckPlan = { doomed: [], ops: [], tombstoned: 0, added: 0, keepAck: false }
  let ackUntil = 0
  const limit = now + maxTombstoneLifetime
  entries.forEach((entry, i) => {
    const value = records[i]
    let covered = entry.eol
    if (value != null) {
      const header = decodeRecordHeader(value)
      if (header.sequence <= entry.sequence) {
        plan.doomed.push([entry.record, value])
        covered = Math.max(covered, header.eol)
      }
    }
    const until = Math.min(covered, limit)
    if (until < now) return // what it covers has expired: nothing left to refuse
    const old = tombstones[i] != null ? decodeTombstone(tombstones[i]) : undefined
    if (old != null && old.until >= now && old.sequence >= entry.sequence) return
    if (old != null) plan.ops.push({ type: 'del', key: expiryKey(old.until, entry.tombstone) })
    else plan.added++
    plan.ops.push(
      { type: 'put', key: entry.tombstone, value: encodeTombstone({ sequence: entry.sequence, until, ackHi: sym.hi, ackLo: sym.lo }) },
      { type: 'put', key: expiryKey(until, entry.tombstone), value: EMPTY_VALUE }
    )
    plan.tombstoned++
    ackUntil = Math.max(ackUntil, until)
  })
  if (plan.tombstoned > 0) {
    const ackKey = symbolKey(ACK, sym.hi, sym.lo)
    plan.keepAck = true
    plan.ops.push(
      { type: 'put', key: ackKey, value: encodeAckValue(ackUntil, ack.bytes) },
      { type: 'put', key: expiryKey(ackUntil, ackKey), value: EMPTY_VALUE }
    )
  }
  return plan
}
