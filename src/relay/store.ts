/**
 * The relay's persistent record store: the best record per (routing key, signer), tombstones
 * from acknowledgements, and the indexes that purge, eviction and sync need. Records live on
 * disk in LevelDB (through `datastore-level`'s `db`, with binary keys); memory holds only a
 * compact index.
 *
 * ## Layout
 * Binary keys; `u16be`/`u64be` are big-endian integers, `f64` an IEEE double (big-endian), and
 * every value starts with a format byte (`01`). `rk` is the routing key (`/ipts/` + tag multihash
 * or `/ipns/` + name multihash), `signer` the signer's multihash (a plain record's name).
 *
 * | key                                   | value                                             | holds |
 * | ------------------------------------- | ------------------------------------------------- | ----- |
 * | `r` u16be(len rk) rk signer           | `01` eol:f64 seq:u64be symbol:u64be record-bytes  | the best record per (rk, signer) |
 * | `t` u16be(len rk) rk signer           | `01` ackedSeq:u64be until:f64 ackSymbol:u64be     | tombstone: refuse seq <= ackedSeq until `until` |
 * | `a` symbol:u64be                      | `01` until:f64 ack-bytes                          | an applied ack, kept to forward (sync) |
 * | `s` symbol:u64be                      | the record's `r` key                              | sync symbol -> record |
 * | `e` floor(time):u64be target-key      | records: symbol:u64be size:u32be; else empty      | expiry index (records, tombstones, acks) |
 * | `m` "layout"                          | `01`                                              | layout version |
 *
 * Records of one routing key are contiguous and ordered by signer, so an inbox pages through
 * one range; a key's `r` range ends at `upperBound(prefix)`. Every change to a record or
 * tombstone writes its `e` and `s` entries in the same LevelDB batch, which LevelDB applies
 * atomically (write-ahead log): after a crash (SIGKILL) the store reopens with every index
 * entry matching its record. Writes are not fsynced unless `sync: true`, so a process crash
 * loses nothing the OS accepted, while a power loss may drop the last writes (never half of one).
 *
 * ## Memory
 * Rebuilt by `open()` from one scan of the expiry index alone (small keys, 12-byte values: every
 * record's routing key, size and symbol, every tombstone and ack), never reading a record:
 * - sync symbols: a `SymbolSet`, 8 bytes a slot at load 0.35-0.7, so 11-23 bytes per record and
 *   per ack;
 * - per routing key: a `KeyTable` slot (count, bytes, recency; 30 bytes a slot at load
 *   0.35-0.7) plus the key's bytes (~40), so ~85-125 bytes per key;
 * - nothing per tombstone; expiry is the on-disk `e` index.
 * Measured (bench/store.ts, 251-byte records, 1M records in tags of 10): the index holds
 * 31 bytes per record (160 when every record has its own key, the worst case); the process's
 * anonymous RSS grows ~40 bytes per record beyond a fixed ~40 MiB (LevelDB's caches, V8's young
 * generation at `--max-semi-space-size=16`), against 251 bytes of record and ~450 on disk.
 * Recency is not persisted: after a restart every key is equally cold until touched.
 *
 * ## Sync symbols
 * The symbol of a record is big-endian uint64 of the first 8 bytes of
 * sha256(`01` u16be(len rk) rk record), the sync item frame of `src/sync/item.ts`; an ack's is
 * over `02` ack-bytes. One symbol per ack (not per tombstone): the ack carries every tombstone
 * it made, and peers re-verify it before applying it.
 */
import { LevelDatastore } from 'datastore-level'
import { StoreClosedError, StoreCorruptError } from '../errors.ts'
import { SafeEventEmitter } from '../events.ts'
import { isBetter, tagRoutingKey } from '../record/index.ts'
import {
  DEFAULT_MAX_BYTES, DEFAULT_MAX_RECORDS, DEFAULT_MAX_RECORDS_PER_KEY, DEFAULT_MAX_TOMBSTONE_LIFETIME,
  MAX_PAGE_LIMIT, STORE_READ_CHUNK
} from './constants.ts'
import { KeyTable } from './store/key-table.ts'
import {
  ACK, EXPIRY, LAYOUT_KEY, LAYOUT_VERSION, RECORD, RECORD_HEADER, SYMBOL, TOMBSTONE,
  ackSymbol, decodeAckValue, decodeRecordHeader, decodeTombstone, expiryBound, expiryKey, keyPrefix, locationKey,
  parseLocationKey, recordSymbol, symbolKey, upperBound
} from './store/layout.ts'
import type { RecordHeader } from './store/layout.ts'
import { batches, entries, getMany, getOne, readRange, table, write } from './store/level.ts'
import type { Db, Op } from './store/level.ts'
import { SymbolSet, split } from './store/symbol-set.ts'
import { ackEntries, planAck } from './store/acks.ts'
import { decidePut, newGroup, standIn } from './store/decide.ts'
import { planPurge } from './store/purge.ts'
import { rebuildIndex, verifyStore } from './store/scans.ts'
import type { Decision, Effect, Group } from './store/decide.ts'
import type {
  DeletedEvent, Held, IterateOptions, Page, PutResult, RecordStoreEvents, StoreInit, StoreStats, StoredEntry, SymbolItem
} from './store/types.ts'
import type { Ack, IptsRecord } from '../record/index.ts'
import type { Logger } from '@libp2p/interface'

export type {
  DeletedEvent, EvictedEvent, Held, IterateOptions, Page, PutResult, RecordStoreEvents, StoreInit, StoreStats,
  StoredEntry, StoredEvent, SymbolItem
} from './store/types.ts'

/** Most puts written in one batch. */
const PUT_GROUP = 256

interface PutJob {
  record: IptsRecord
  now: number
  resolve(result: PutResult): void
  reject(err: unknown): void
}

export class RecordStore extends SafeEventEmitter<RecordStoreEvents> {
  readonly maxRecordsPerKey: number
  readonly maxRecords: number
  readonly maxBytes: number
  readonly maxTombstoneLifetime: number
  private readonly path: string
  private readonly sync: boolean
  private readonly log?: Logger
  private datastore?: LevelDatastore
  private opening?: Promise<void>
  private closing?: Promise<void>
  private readonly table = new KeyTable()
  private readonly symbolSet = new SymbolSet()
  private records = 0
  private bytes = 0
  private tombstones = 0
  private acks = 0
  private tail: Promise<unknown> = Promise.resolve()
  private readonly queue: PutJob[] = []

  constructor (init: StoreInit) {
    super()
    this.path = init.path
    this.maxRecordsPerKey = init.maxRecordsPerKey ?? DEFAULT_MAX_RECORDS_PER_KEY
    this.maxRecords = init.maxRecords ?? DEFAULT_MAX_RECORDS
    this.maxBytes = init.maxBytes ?? DEFAULT_MAX_BYTES
    this.maxTombstoneLifetime = init.maxTombstoneLifetime ?? DEFAULT_MAX_TOMBSTONE_LIFETIME
    this.sync = init.sync ?? false
    this.log = init.log
  }

  /** Opens the database and rebuilds the in-memory index from it. Idempotent. */
  async open (): Promise<void> {
    if (this.datastore != null) return
    this.opening ??= this.load().finally(() => { this.opening = undefined })
    await this.opening
  }

  /**
   * Waits for pending writes, including those queued while it waits (a write group queues the
   * next one), then closes the database. Idempotent.
   */
  async close (): Promise<void> {
    this.closing ??= this.closeOnce().finally(() => { this.closing = undefined })
    await this.closing
  }

  /**
   * Stores the record when it is better than what the store holds for (routing key, signer):
   * resolves `stored` once the write is done. Refuses a sequence covered by a live tombstone,
   * a new signer on a full key (`key-full`), and a record that no eviction of other keys can
   * make room for (`store-full`); evicts least-recently-used whole keys (never the record's own)
   * to stay within `maxRecords` and `maxBytes`, and reports how many records that removed.
   * The caller validated the record and applied its policy.
   */
  async put (record: IptsRecord, now: number): Promise<PutResult> {
    this.db()
    return new Promise((resolve, reject) => {
      this.queue.push({ record, now, resolve, reject })
      if (this.queue.length === 1) void this.exclusive(async () => this.flushPuts())
    })
  }

  /** The record held for (routing key, signer), unless expired (then it is deleted). */
  async get (routingKey: Uint8Array, signer: Uint8Array, now: number): Promise<Uint8Array | undefined> {
    const loc = locationKey(RECORD, routingKey, signer)
    const value = await getOne(this.db(), loc)
    if (value == null) return undefined
    const header = decodeRecordHeader(value)
    if (header.eol < now) {
      await this.deleteIfExpired(loc, now)
      return undefined
    }
    this.table.touch(routingKey)
    return value.subarray(RECORD_HEADER)
  }

  /**
   * The best live record under a routing key (by sequence, then EOL): what an `/ipns/` fetch
   * answers, where the key holds the name's one record.
   */
  async getLatestForKey (routingKey: Uint8Array, now: number): Promise<Uint8Array | undefined> {
    let best: IptsRecord | undefined
    for await (const entry of this.iterate({ routingKey, now })) {
      const candidate = standIn(entry)
      if (isBetter(candidate, best)) best = candidate
    }
    if (best == null) return undefined
    this.table.touch(routingKey)
    return best.bytes
  }

  /** Sequence and EOL held for (routing key, signer), expired or not. One LevelDB read. */
  async query (routingKey: Uint8Array, signer: Uint8Array): Promise<Held | undefined> {
    const value = await getOne(this.db(), locationKey(RECORD, routingKey, signer))
    if (value == null) return undefined
    const { sequence, eol } = decodeRecordHeader(value)
    return { sequence, eol }
  }

  /**
   * One page of a routing key's live records, ordered by signer, starting after `after` (a
   * cursor from the previous page). Reads at most `limit` (capped at 1000) records plus the
   * expired ones it skips, so memory is bounded by the page.
   */
  async page (routingKey: Uint8Array, options: { after?: Uint8Array, limit: number, now: number }): Promise<Page> {
    const limit = Math.max(1, Math.min(MAX_PAGE_LIMIT, Math.floor(options.limit)))
    const prefix = keyPrefix(RECORD, routingKey)
    const range = rangeAfter(prefix, options.after)
    const records: Uint8Array[] = []
    let cursor: Uint8Array | undefined
    let done = true
    for await (const [key, value] of entries(this.db(), range, Math.min(STORE_READ_CHUNK, limit + 1))) {
      if (records.length === limit) {
        done = false
        break
      }
      cursor = key.subarray(prefix.length)
      if (decodeRecordHeader(value).eol < options.now) continue
      records.push(value.subarray(RECORD_HEADER))
    }
    this.table.touch(routingKey)
    return { records, cursor: cursor?.slice(), done }
  }

  /** The routing keys holding at least one record (copies; for re-subscribing on restart). */
  keys (): Iterable<Uint8Array> {
    this.db()
    return this.table
  }

  /**
   * Applies a verified acknowledgement: deletes each covered record (sequence <= the entry's)
   * and writes a tombstone for (tag, signer) kept until the covered record's EOL (at most
   * `maxTombstoneLifetime` from now). Stores the ack itself for sync when it made a tombstone.
   * Idempotent: a repeated or superseded ack changes nothing and returns zeros.
   * The caller verified the ack's signature (record/).
   */
  async applyAck (ack: Ack, now: number): Promise<{ deleted: number, tombstoned: number }> {
    this.db()
    const routingKey = tagRoutingKey(ack.tag)
    return this.exclusive(async () => this.applyAckLocked(ack, routingKey, now))
  }

  /** The live tombstone of (tag, signer), if any. */
  async tombstone (tag: Uint8Array, signer: Uint8Array, now: number): Promise<{ sequence: bigint, until: number } | undefined> {
    const value = await getOne(this.db(), locationKey(TOMBSTONE, tagRoutingKey(tag), signer))
    if (value == null) return undefined
    const t = decodeTombstone(value)
    if (t.until < now) return undefined
    return { sequence: t.sequence, until: t.until }
  }

  /**
   * Deletes everything expired at `now`: records (EOL), tombstones and acks (`until`). Works
   * through the expiry index in batches, letting writes in between. `emptiedKeys` are the
   * routing keys left with no record (their topics can be left).
   */
  async purgeExpired (now: number): Promise<{ records: number, tombstones: number, emptiedKeys: Uint8Array[] }> {
    this.db()
    const total = { records: 0, tombstones: 0, emptiedKeys: [] as Uint8Array[] }
    for (;;) {
      const more = await this.exclusive(async () => this.purgeChunk(now, total))
      if (!more) return total
    }
  }

  stats (): StoreStats {
    return {
      records: this.records,
      bytes: this.bytes,
      keys: this.table.size,
      tombstones: this.tombstones,
      acks: this.acks,
      symbols: this.symbolSet.size,
      indexBytes: this.table.byteLength + this.symbolSet.byteLength
    }
  }

  /** Every sync symbol held (records and acks), in no order. Do not write while iterating. */
  symbols (): Iterable<bigint> {
    return this.symbolSet
  }

  hasSymbol (symbol: bigint): boolean {
    return this.symbolSet.has(symbol)
  }

  /** The item a symbol stands for: a record with its routing key, or an ack's bytes. */
  async getBySymbol (symbol: bigint): Promise<SymbolItem | undefined> {
    const [hi, lo] = split(symbol)
    const db = this.db()
    const [loc, ack] = await getMany(db, [symbolKey(SYMBOL, hi, lo), symbolKey(ACK, hi, lo)])
    if (loc != null) {
      const value = await getOne(db, loc)
      if (value != null) {
        return { kind: 'record', routingKey: parseLocationKey(loc).routingKey.slice(), bytes: value.subarray(RECORD_HEADER) }
      }
    }
    if (ack != null) return { kind: 'ack', bytes: decodeAckValue(ack).ack }
    return undefined
  }

  /**
   * Every record (or one routing key's), ordered by routing key then signer. Reads
   * `chunk` records at a time with a fresh iterator, so a slow consumer (a paced republish)
   * holds no LevelDB snapshot; records written meanwhile may or may not show.
   */
  async * iterate (options: IterateOptions = {}): AsyncGenerator<StoredEntry> {
    const chunk = options.chunk ?? STORE_READ_CHUNK
    const prefix = options.routingKey != null ? keyPrefix(RECORD, options.routingKey) : new Uint8Array([RECORD])
    const lt = upperBound(prefix)
    let gt: Uint8Array | undefined
    for (;;) {
      const range = gt == null ? { gte: prefix, lt } : { gt, lt }
      const chunkEntries = await readRange(this.db(), { ...range, limit: chunk })
      for (const [key, value] of chunkEntries) {
        const header = decodeRecordHeader(value)
        if (options.now != null && header.eol < options.now) continue
        const { routingKey, signer } = parseLocationKey(key)
        yield { routingKey, signer, bytes: value.subarray(RECORD_HEADER), sequence: header.sequence, eol: header.eol }
      }
      if (chunkEntries.length < chunk) return
      gt = chunkEntries[chunkEntries.length - 1][0]
    }
  }

  /**
   * Checks the database against itself and the in-memory index: every record has its expiry
   * and symbol entries, every index entry points at what it indexes, and the counts match.
   * Returns the problems found (none: consistent). Reads everything; for tests and repair tools.
   */
  async verify (): Promise<string[]> {
    return verifyStore(this.db(), {
      table: this.table,
      symbols: this.symbolSet,
      records: this.records,
      bytes: this.bytes,
      tombstones: this.tombstones,
      acks: this.acks
    })
  }

  // --- internals ------------------------------------------------------------------------------

  private async closeOnce (): Promise<void> {
    await this.opening?.catch(() => {})
    const ds = this.datastore
    if (ds == null) return
    let tail: Promise<unknown>
    do {
      tail = this.tail
      await tail
    } while (tail !== this.tail)
    this.datastore = undefined
    await ds.close()
  }

  protected onListenerError (type: string, err: unknown): void {
    this.log?.error('%s listener failed - %e', type, err)
  }

  private db (): Db {
    if (this.datastore == null) throw new StoreClosedError('record store is not open')
    return this.datastore.db
  }

  /** Runs `fn` after every earlier write: writes and the index updates after them never interleave. */
  private async exclusive<T> (fn: () => Promise<T>): Promise<T> {
    const run = this.tail.then(fn)
    this.tail = run.catch(() => {})
    return run
  }

  private async write (ops: Op[]): Promise<void> {
    await write(this.db(), ops, this.sync)
  }

  private async load (): Promise<void> {
    const ds = new LevelDatastore(this.path)
    await ds.open()
    try {
      const db = ds.db
      const layout = await getOne(db, LAYOUT_KEY)
      if (layout == null) {
        await write(db, [{ type: 'put', key: LAYOUT_KEY, value: new Uint8Array([LAYOUT_VERSION]) }], true)
      } else if (layout[0] !== LAYOUT_VERSION) {
        throw new StoreCorruptError(`store layout ${layout[0]} is not ${LAYOUT_VERSION}`)
      }
      this.table.clear()
      this.symbolSet.clear()
      const counts = await rebuildIndex(db, this.table, this.symbolSet)
      this.records = counts.records
      this.bytes = counts.bytes
      this.tombstones = counts.tombstones
      this.acks = counts.acks
    } catch (err) {
      await ds.close()
      throw err
    }
    this.datastore = ds
  }

  /**
   * Stores the queued puts as one group: one `getMany` for all, decisions in order (later puts
   * see earlier ones of the group), one batch for all. A put that needs room (eviction, or
   * purging its own key) first commits the group so far, then goes alone.
   */
  private async flushPuts (): Promise<void> {
    const all = this.queue.splice(0, PUT_GROUP)
    if (this.queue.length > 0) void this.exclusive(async () => this.flushPuts())
    // a record whose symbol is held is held (a different record with the same symbol means
    // someone ground 2^32 signatures to be ignored): answer without reading
    const jobs: Array<PutJob & { sym: { hi: number, lo: number } }> = []
    for (const job of all) {
      if (job.record.eol < job.now) {
        job.resolve({ status: 'stale' })
        continue
      }
      const sym = recordSymbol(job.record.routingKey, job.record.bytes)
      if (this.symbolSet.hasParts(sym.hi, sym.lo)) {
        this.table.touch(job.record.routingKey)
        job.resolve({ status: 'duplicate' })
        continue
      }
      jobs.push({ ...job, sym })
    }
    if (jobs.length === 0) return
    let values: Array<Uint8Array | undefined>
    const keys: Uint8Array[] = []
    try {
      for (const { record } of jobs) {
        keys.push(locationKey(RECORD, record.routingKey, record.signer))
        if (record.kind === 'tagged') keys.push(locationKey(TOMBSTONE, record.routingKey, record.signer))
      }
      values = await getMany(this.db(), keys)
    } catch (err) {
      for (const job of jobs) job.reject(err)
      return
    }
    let group = newGroup()
    let k = 0
    for (const job of jobs) {
      const { record, now } = job
      const value = values[k++]
      const tomb = record.kind === 'tagged' ? values[k++] : undefined
      try {
        const d = this.decide(record, now, value, tomb, group, job.sym)
        if (d.kind === 'result') {
          // answered once the puts before it are written (it may be a duplicate of one of them)
          group.settle.push(() => { job.resolve(d.result) })
          group.fail.push(job.reject)
        } else if (d.kind === 'write') {
          group.ops.push(...d.ops)
          group.effects.push(d.effect)
          group.settle.push(() => { job.resolve({ status: 'stored', evicted: 0 }) })
          group.fail.push(job.reject)
        } else {
          await this.commit(group)
          group = newGroup()
          job.resolve(await this.putAlone(record, now))
        }
      } catch (err) {
        job.reject(err)
      }
    }
    await this.commit(group)
  }

  /** Writes a group's batch, then updates memory, emits events and answers its puts. */
  private async commit (group: Group): Promise<void> {
    if (group.ops.length > 0) {
      try {
        await this.write(group.ops)
      } catch (err) {
        for (const fail of group.fail) fail(err)
        return
      }
      for (const effect of group.effects) this.apply(effect)
    }
    for (const settle of group.settle) settle()
  }

  /** One put, alone: makes room by purging its key or evicting cold keys when it must. */
  private async putAlone (record: IptsRecord, now: number): Promise<PutResult> {
    const { routingKey, signer } = record
    let evicted = 0
    let purged = false
    for (;;) {
      const keys = [locationKey(RECORD, routingKey, signer)]
      if (record.kind === 'tagged') keys.push(locationKey(TOMBSTONE, routingKey, signer))
      const [value, tomb] = await getMany(this.db(), keys)
      const d = this.decide(record, now, value, tomb, newGroup(), recordSymbol(routingKey, record.bytes))
      if (d.kind === 'result') return d.result
      if (d.kind === 'key-full') {
        // expired records still count until purged: drop this key's first
        if (purged) return { status: 'refused', reason: 'key-full' }
        await this.purgeKey(routingKey, now)
        purged = true
        continue
      }
      if (d.kind === 'no-room') {
        const victim = this.table.coldest(routingKey)
        if (victim == null) return { status: 'refused', reason: 'store-full' }
        evicted += await this.evictKey(victim)
        continue
      }
      await this.write(d.ops)
      this.apply(d.effect)
      return { status: 'stored', evicted }
    }
  }

  private decide (record: IptsRecord, now: number, value: Uint8Array | undefined, tomb: Uint8Array | undefined, group: Group, sym: { hi: number, lo: number }): Decision {
    const d = decidePut(record, now, value, tomb, group, sym, {
      table: this.table,
      records: this.records,
      bytes: this.bytes,
      maxRecordsPerKey: this.maxRecordsPerKey,
      maxRecords: this.maxRecords,
      maxBytes: this.maxBytes
    })
    if (d.kind === 'result' && d.result.status === 'duplicate') this.table.touch(record.routingKey)
    return d
  }

  /** Memory side of a stored record, once its batch is written. */
  private apply (effect: Effect): void {
    if (effect.old != null) this.symbolSet.deleteParts(effect.old.hi, effect.old.lo)
    this.symbolSet.addParts(effect.hi, effect.lo)
    this.table.update(effect.event.routingKey, effect.addRecords, effect.addBytes)
    this.records += effect.addRecords
    this.bytes += effect.addBytes
    this.safeDispatchEvent('stored', { detail: effect.event })
  }

  /** Deletes every record of a key, a chunk per batch. Returns the number of records removed. */
  private async evictKey (routingKey: Uint8Array): Promise<number> {
    let records = 0
    let bytes = 0
    for (;;) {
      const chunk = await this.readRecords(routingKey, STORE_READ_CHUNK)
      if (chunk.length === 0) break
      const ops: Op[] = []
      let chunkBytes = 0
      for (const [key, value] of chunk) {
        const header = decodeRecordHeader(value)
        ops.push(...recordDeletion(key, header))
        chunkBytes += value.length - RECORD_HEADER
      }
      await this.write(ops)
      for (const [, value] of chunk) {
        const header = decodeRecordHeader(value)
        this.symbolSet.deleteParts(header.hi, header.lo)
      }
      this.table.update(routingKey, -chunk.length, -chunkBytes, false)
      this.records -= chunk.length
      this.bytes -= chunkBytes
      records += chunk.length
      bytes += chunkBytes
    }
    this.table.delete(routingKey)
    this.safeDispatchEvent('evicted', { detail: { routingKey, records, bytes } })
    return records
  }

  /** Deletes the expired records of one key (at most `maxRecordsPerKey` reads). */
  private async purgeKey (routingKey: Uint8Array, now: number): Promise<void> {
    const entries = await this.readRecords(routingKey, this.maxRecordsPerKey + 1)
    const expired = entries.filter(([, value]) => decodeRecordHeader(value).eol < now)
    if (expired.length > 0) await this.deleteRecords(expired, 'expired')
  }

  private async readRecords (routingKey: Uint8Array, limit: number): Promise<Array<[Uint8Array, Uint8Array]>> {
    const prefix = keyPrefix(RECORD, routingKey)
    return readRange(this.db(), { gte: prefix, lt: upperBound(prefix), limit })
  }

  /** Deletes records given as [key, value] entries read under the lock, and updates memory. */
  private async deleteRecords (entries: Array<[Uint8Array, Uint8Array]>, reason: DeletedEvent['reason'], extra: Op[] = []): Promise<Uint8Array[]> {
    const ops: Op[] = [...extra]
    for (const [key, value] of entries) ops.push(...recordDeletion(key, decodeRecordHeader(value)))
    await this.write(ops)
    const emptied: Uint8Array[] = []
    for (const [key, value] of entries) {
      const header = decodeRecordHeader(value)
      const size = value.length - RECORD_HEADER
      const { routingKey, signer } = parseLocationKey(key)
      this.forget(routingKey, header.hi, header.lo, size, emptied)
      this.safeDispatchEvent('deleted', { detail: { routingKey: routingKey.slice(), signer: signer.slice(), reason } })
    }
    return emptied
  }

  /** Memory side of deleting one record; pushes its key on `emptied` when it was the last. */
  private forget (routingKey: Uint8Array, hi: number, lo: number, size: number, emptied: Uint8Array[]): void {
    this.symbolSet.deleteParts(hi, lo)
    this.table.update(routingKey, -1, -size, false)
    this.records--
    this.bytes -= size
    if (this.table.get(routingKey) == null) emptied.push(routingKey.slice())
  }

  private async deleteIfExpired (loc: Uint8Array, now: number): Promise<void> {
    await this.exclusive(async () => {
      const value = await getOne(this.db(), loc)
      if (value == null || decodeRecordHeader(value).eol >= now) return
      await this.deleteRecords([[loc, value]], 'expired')
    })
  }

  private async applyAckLocked (ack: Ack, routingKey: Uint8Array, now: number): Promise<{ deleted: number, tombstoned: number }> {
    const db = this.db()
    const sym = ackSymbol(ack.bytes)
    if (await getOne(db, symbolKey(ACK, sym.hi, sym.lo)) != null) return { deleted: 0, tombstoned: 0 }
    const entries = ackEntries(ack, routingKey)
    const values = await getMany(db, [...entries.map(e => e.record), ...entries.map(e => e.tombstone)])
    const plan = planAck(ack, sym, entries, values.slice(0, entries.length), values.slice(entries.length), now, this.maxTombstoneLifetime)
    if (plan.doomed.length === 0 && plan.ops.length === 0) return { deleted: 0, tombstoned: 0 }
    await this.deleteRecords(plan.doomed, 'acked', plan.ops)
    this.tombstones += plan.added
    if (plan.keepAck) {
      this.symbolSet.addParts(sym.hi, sym.lo)
      this.acks++
    }
    return { deleted: plan.doomed.length, tombstoned: plan.tombstoned }
  }

  /** Purges one chunk of the expiry index; false when nothing expired is left. */
  private async purgeChunk (now: number, total: { records: number, tombstones: number, emptiedKeys: Uint8Array[] }): Promise<boolean> {
    const db = this.db()
    const expired = await readRange(db, { gte: new Uint8Array([EXPIRY]), lt: expiryBound(now), limit: STORE_READ_CHUNK })
    if (expired.length === 0) return false
    const plan = planPurge(expired)
    await this.write(plan.ops)
    for (const r of plan.records) {
      this.forget(r.routingKey, r.hi, r.lo, r.size, total.emptiedKeys)
      this.safeDispatchEvent('deleted', { detail: { routingKey: r.routingKey.slice(), signer: r.signer.slice(), reason: 'expired' } })
    }
    for (const a of plan.acks) this.symbolSet.deleteParts(a.hi, a.lo)
    this.acks -= plan.acks.length
    this.tombstones -= plan.tombstones
    total.records += plan.records.length
    total.tombstones += plan.tombstones
    return expired.length === STORE_READ_CHUNK
  }
}

/** The index entries to delete with a record. */
function recordDeletion (key: Uint8Array, header: RecordHeader): Op[] {
  return [
    { type: 'del', key },
    { type: 'del', key: expiryKey(header.eol, key) },
    { type: 'del', key: symbolKey(SYMBOL, header.hi, header.lo) }
  ]
}

/** Iterator range of the keys after `prefix | after` (or all under `prefix`). */
function rangeAfter (prefix: Uint8Array, after?: Uint8Array): { gt?: Uint8Array, gte?: Uint8Array, lt?: Uint8Array } {
  const lt = upperBound(prefix)
  if (after == null || after.length === 0) return { gte: prefix, lt }
  const gt = new Uint8Array(prefix.length + after.length)
  gt.set(prefix)
  gt.set(after, prefix.length)
  return { gt, lt }
}

