/**
 * What applying an acknowledgement does, decided without I/O from what disk holds for each
 * acknowledged (tag, signer): which records go, which tombstones are written or extended, and
 * the ack kept for sync. See `RecordStore.applyAck` in `../store.ts`.
 */
import {
  ACK, EMPTY_VALUE, RECORD, TOMBSTONE, ackExpiryValue, decodeRecordHeader, decodeTombstone, encodeAckValue, encodeTombstone,
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
  /** of `tombstoned`, those written ahead of a record this relay does not hold (yet) */
  preemptive: number
  /** tombstones not written for lack of room under `maxAckBytes` */
  refused: number
  /** whether the ack itself is stored */
  keepAck: boolean
}

/** What an ack may add to the store, beyond deleting what it covers. */
export interface AckAllowance {
  /**
   * tombstones it may write for (tag, signer) slots that hold nothing here: the records the tag
   * holds, less room the tag's tombstones already take (see `planAck`)
   */
  preemptive: number
  /** bytes of ack state left under `maxAckBytes` */
  room: number
  /** what one new tombstone costs against `room`, bytes */
  tombstoneCost: number
  /** bytes of ack copy allowed per entry it acted on, and whatever it did */
  copyPerEntry: number
  copyBase: number
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
 * Plans an ack. For each entry (tag, signer, sequence), by what the relay holds for the slot:
 * - a record with a sequence at or below the entry's: the record is deleted and a tombstone
 *   written until the EOL it covers (the entry's, or the record's if later);
 * - a record with a higher sequence: nothing (anything the entry covers is stale here anyway);
 * - a live tombstone: raised to the entry's sequence when lower (no new entry);
 * - nothing: a tombstone only while `allowance.preemptive` lasts (the tag is an inbox this
 *   relay serves, so the covered record may still be on its way here; see docs/protocol.md).
 * Tombstones live at most `maxTombstoneLifetime` from `now`, and none is written for what has
 * already expired. A new tombstone needs `allowance.tombstoneCost` of `allowance.room`. The ack
 * itself is kept (for sync) when it acted on at least one entry, is no larger than
 * `copyBase + copyPerEntry` x entries acted on, and fits in the room left.
 * `records[i]` and `tombstones[i]` are what disk holds for `entries[i]`.
 */
export function planAck (ack: Ack, sym: { hi: number, lo: number }, entries: AckEntryKeys[], records: Array<Uint8Array | undefined>, tombstones: Array<Uint8Array | undefined>, now: number, maxTombstoneLifetime: number, allowance: AckAllowance): AckPlan {
  const plan: AckPlan = { doomed: [], ops: [], tombstoned: 0, added: 0, preemptive: 0, refused: 0, keepAck: false }
  let ackUntil = 0
  let acted = 0
  let preemptiveLeft = allowance.preemptive
  let room = allowance.room
  const limit = now + maxTombstoneLifetime

  /** Writes or raises the entry's tombstone when the rules allow it; true when it did. */
  const tombstone = (entry: AckEntryKeys, stored: Uint8Array | undefined, deleted: boolean, until: number): boolean => {
    const old = stored != null ? decodeTombstone(stored) : undefined
    const live = old != null && old.until >= now
    if (live && old.sequence >= entry.sequence) return false
    if (!deleted && !live) {
      if (preemptiveLeft <= 0) return false
      preemptiveLeft--
    }
    const cost = old == null ? allowance.tombstoneCost : 0
    if (cost > room) {
      plan.refused++
      return false
    }
    room -= cost
    if (!deleted && !live) plan.preemptive++
    if (old != null) plan.ops.push({ type: 'del', key: expiryKey(old.until, entry.tombstone) })
    else plan.added++
    plan.ops.push(
      { type: 'put', key: entry.tombstone, value: encodeTombstone({ sequence: entry.sequence, until, ackHi: sym.hi, ackLo: sym.lo }) },
      { type: 'put', key: expiryKey(until, entry.tombstone), value: EMPTY_VALUE }
    )
    plan.tombstoned++
    return true
  }

  entries.forEach((entry, i) => {
    const value = records[i]
    let covered = entry.eol
    let deleted = false
    if (value != null) {
      const header = decodeRecordHeader(value)
      // a better record is held: anything the entry covers is stale here anyway
      if (header.sequence > entry.sequence) return
      plan.doomed.push([entry.record, value])
      covered = Math.max(covered, header.eol)
      deleted = true
    }
    const until = Math.min(covered, limit)
    // what it covers has expired: nothing left to refuse
    const wrote = until >= now && tombstone(entry, tombstones[i], deleted, until)
    if (deleted || wrote) {
      acted++
      ackUntil = Math.max(ackUntil, until)
    }
  })
  const size = ack.bytes.length
  if (acted > 0 && ackUntil >= now && size <= allowance.copyBase + allowance.copyPerEntry * acted && size <= room) {
    const ackKey = symbolKey(ACK, sym.hi, sym.lo)
    plan.keepAck = true
    plan.ops.push(
      { type: 'put', key: ackKey, value: encodeAckValue(ackUntil, ack.bytes) },
      { type: 'put', key: expiryKey(ackUntil, ackKey), value: ackExpiryValue(size) }
    )
  }
  return plan
}
