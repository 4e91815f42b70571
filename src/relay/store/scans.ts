/**
 * Whole-database scans: rebuilding the in-memory index when the store opens, and checking the
 * database against itself and the index (tests, repair tools).
 */
import { StoreCorruptError } from '../../errors.ts'
import {
  ACK, ACK_HEADER, EXPIRY, RECORD, RECORD_HEADER, SYMBOL, TOMBSTONE, UPLOADER, bytesEqual, decodeAckExpiryValue,
  decodeExpiryValue, decodeRecordHeader, decodeTombstone, expiryKey, parseExpiryKey, parseLocationKey,
  parseSymbolKey, recordSymbol, symbolKey, uploaderKey
} from './layout.ts'
import { batches, entries, getMany, getOne, table } from './level.ts'
import { join } from './symbol-set.ts'
import type { KeyTable } from './key-table.ts'
import type { Db } from './level.ts'
import type { SymbolSet } from './symbol-set.ts'
import type { UploaderTable } from './uploaders.ts'

export interface IndexCounts {
  records: number
  /** sum of record sizes */
  bytes: number
  tombstones: number
  acks: number
  /** sum of stored ack sizes */
  ackBytes: number
  /** the highest arrival order held (0 when empty) */
  maxOrder: number
}

export interface IndexView extends IndexCounts {
  table: KeyTable
  symbols: SymbolSet
  uploaders: UploaderTable
}

/**
 * Fills an empty key table, uploader table and symbol set from the expiry index alone: it has
 * an entry for every record (with the record's symbol, size, uploader and order in its value),
 * tombstone and ack (with its size), so no record is read. Returns the counts.
 */
export async function rebuildIndex (db: Db, keys: KeyTable, uploaders: UploaderTable, symbols: SymbolSet): Promise<IndexCounts> {
  const counts: IndexCounts = { records: 0, bytes: 0, tombstones: 0, acks: 0, ackBytes: 0, maxOrder: 0 }
  for await (const batch of batches(db, table(EXPIRY))) {
    for (const [key, value] of batch) {
      const { target } = parseExpiryKey(key)
      switch (target[0]) {
        case RECORD: {
          const { hi, lo, size, uploader, order } = decodeExpiryValue(value)
          keys.update(parseLocationKey(target).routingKey, 1, size)
          uploaders.update(uploader, 1, size)
          symbols.addParts(hi, lo)
          counts.records++
          counts.bytes += size
          counts.maxOrder = Math.max(counts.maxOrder, order)
          break
        }
        case TOMBSTONE:
          counts.tombstones++
          break
        case ACK: {
          const { hi, lo } = parseSymbolKey(target)
          symbols.addParts(hi, lo)
          counts.acks++
          counts.ackBytes += decodeAckExpiryValue(value)
          break
        }
        default:
          throw new StoreCorruptError(`expiry entry for an unknown table 0x${target[0].toString(16)}`)
      }
    }
  }
  return counts
}

/**
 * Checks that every record has its expiry entry (with its symbol and size) and symbol entry,
 * that its symbol matches its bytes, that every index entry points at what it indexes, and
 * that the in-memory index matches the disk. Returns the problems found (none: consistent).
 */
export async function verifyStore (db: Db, index: IndexView): Promise<string[]> {
  const problems: string[] = []
  let records = 0
  let bytes = 0
  const perKey = new Map<string, number>()
  const perUploader = new Map<number, { records: number, bytes: number }>()
  for await (const [key, value] of entries(db, table(RECORD))) {
    records++
    const header = decodeRecordHeader(value)
    const size = value.length - RECORD_HEADER
    bytes += size
    const { routingKey } = parseLocationKey(key)
    const hex = Buffer.from(routingKey).toString('hex')
    perKey.set(hex, (perKey.get(hex) ?? 0) + 1)
    const sym = recordSymbol(routingKey, value.subarray(RECORD_HEADER))
    if (sym.hi !== header.hi || sym.lo !== header.lo) problems.push(`record ${hex}: symbol does not match its bytes`)
    const [e, s] = await getMany(db, [expiryKey(header.eol, key), symbolKey(SYMBOL, header.hi, header.lo)])
    if (e == null) {
      problems.push(`record ${hex}: no expiry entry`)
    } else {
      const indexed = decodeExpiryValue(e)
      if (indexed.hi !== header.hi || indexed.lo !== header.lo || indexed.size !== size) problems.push(`record ${hex}: expiry entry disagrees`)
    }
    if (s == null || !bytesEqual(s, key)) problems.push(`record ${hex}: no symbol entry`)
    if (!index.symbols.hasParts(header.hi, header.lo)) problems.push(`record ${hex}: symbol not in memory`)
    const uv = await getOne(db, uploaderKey(header.uploader, header.order))
    if (uv == null || !bytesEqual(uv, key)) problems.push(`record ${hex}: no uploader entry`)
    if (e != null && decodeExpiryValue(e).uploader !== header.uploader) problems.push(`record ${hex}: expiry entry names another uploader`)
    const up = perUploader.get(header.uploader) ?? { records: 0, bytes: 0 }
    up.records++
    up.bytes += size
    perUploader.set(header.uploader, up)
  }
  let uploaderEntries = 0
  for await (const [, target] of entries(db, table(UPLOADER))) {
    uploaderEntries++
    if (await getOne(db, target) == null) problems.push('uploader entry: dangling')
  }
  if (uploaderEntries !== records) problems.push(`uploader entries: ${uploaderEntries} for ${records} records`)
  for (const [id, held] of perUploader) {
    const mem = index.uploaders.get(id)
    if (mem?.records !== held.records || mem?.bytes !== held.bytes) problems.push(`uploader ${id}: ${held.records} records on disk, ${mem?.records} in memory`)
  }
  if (perUploader.size !== index.uploaders.size) problems.push(`uploaders: ${perUploader.size} on disk, ${index.uploaders.size} in memory`)
  for await (const [key, target] of entries(db, table(SYMBOL))) {
    const { hi, lo } = parseSymbolKey(key)
    if (await getOne(db, target) == null) problems.push(`symbol ${join(hi, lo)}: dangling`)
  }
  for await (const [key] of entries(db, table(EXPIRY), 1024, false)) {
    const { target } = parseExpiryKey(key)
    if (await getOne(db, target) == null) problems.push(`expiry entry for a missing ${String.fromCharCode(target[0])} entry`)
  }
  let tombstones = 0
  for await (const [, value] of entries(db, table(TOMBSTONE))) {
    decodeTombstone(value)
    tombstones++
  }
  let acks = 0
  let ackBytes = 0
  for await (const [key, value] of entries(db, table(ACK))) {
    const { hi, lo } = parseSymbolKey(key)
    if (!index.symbols.hasParts(hi, lo)) problems.push(`ack ${join(hi, lo)}: symbol not in memory`)
    acks++
    ackBytes += value.length - ACK_HEADER
  }
  if (records !== index.records) problems.push(`records: ${records} on disk, ${index.records} in memory`)
  if (bytes !== index.bytes) problems.push(`bytes: ${bytes} on disk, ${index.bytes} in memory`)
  if (tombstones !== index.tombstones) problems.push(`tombstones: ${tombstones} on disk, ${index.tombstones} in memory`)
  if (acks !== index.acks) problems.push(`acks: ${acks} on disk, ${index.acks} in memory`)
  if (ackBytes !== index.ackBytes) problems.push(`ack bytes: ${ackBytes} on disk, ${index.ackBytes} in memory`)
  if (perKey.size !== index.table.size) problems.push(`keys: ${perKey.size} on disk, ${index.table.size} in memory`)
  for (const [hex, count] of perKey) {
    const held = index.table.get(Buffer.from(hex, 'hex'))?.count
    if (held !== count) problems.push(`key ${hex}: ${count} records on disk, ${held} in memory`)
  }
  if (records + acks !== index.symbols.size) problems.push(`symbols: ${records + acks} on disk, ${index.symbols.size} in memory`)
  return problems
}
