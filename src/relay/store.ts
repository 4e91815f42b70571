/**
 * The relay's persistent record store: the best record per (routing key, signer), tombstones
 * from acknowledgements, and the indexes that purge, eviction and sync need. Records live on
 * disk in LevelDB (through `datastore-level`'s `db`, with binary keys); memory holds only a
 * compact index.
 *
 * ## Layout
 * Binary keys; `u16be`/`u64be` are big-endian integers, `f64` an IEEE double (big-endian), and
 * record, tombstone and ack values start with a format byte (`02` for records, `01` for the
 * others). `rk` is the routing key (`/ipts/` + tag multihash
 * or `/ipns/` + name multihash), `signer` the signer's multihash (a plain record's name).
 *
 * | key                                   | value                                             | holds |
 * | ------------------------------------- | ------------------------------------------------- | ----- |
 * | `r` u16be(len rk) rk signer           | `02` eol:f64 seq:u64be symbol:u64be uploader:u32be order:u64be record-bytes | the best record per (rk, signer) |
 * | `t` u16be(len rk) rk signer           | `01` ackedSeq:u64be until:f64 ackSymbol:u64be     | tombstone: refuse seq <= ackedSeq until `until` |
 * | `a` symbol:u64be                      | `01` until:f64 ack-bytes                          | an applied ack, kept to forward (sync) |
 * | `s` symbol:u64be                      | the record's `r` key                              | sync symbol -> record |
 * | `u` uploader:u32be order:u64be        | the record's `r` key                              | an uploader's records, oldest first (eviction) |
 * | `e` floor(time):u64be target-key      | records: symbol:u64be size:u32be uploader:u32be order:u64be; acks: size:u32be; tombstones: empty | expiry index |
 * | `m` "layout"                          | `02`                                              | layout version (layout 1 is migrated on open) |
 * | `m` "uploader-key"                    | 16 random bytes                                   | keys uploader ids |
 *
 * The **uploader** of a record is a keyed 32-bit hash of the address it arrived from (the
 * sender's IPv4 address or IPv6 /64 for a custody put, the forwarding peer's for gossip, the
 * sync peer's for sync; 0 when unknown), and its **order** a store-wide arrival counter.
 * Eviction uses them to be fair between uploaders (see `put`).
 *
 * Records of one routing key are contiguous and ordered by signer, so an inbox pages through
 * one range; a key's `r` range ends at `upperBound(prefix)`. Every change to a record or
 * tombstone writes its `e` and `s` entries in the same LevelDB batch, which LevelDB applies
 * atomically (write-ahead log): after a crash (SIGKILL) the store reopens with every index
 * entry matching its record. Writes are not fsynced unless `sync: true`, so a process crash
 * loses nothing the OS accepted, while a power loss may drop the last writes (never half of one).
 *
 * ## A full disk
 * A write LevelDB fails (ENOSPC, or another I/O error) leaves its log with a torn tail, and
 * whatever the same handle appends after it is lost on the next open. So after one failed write
 * the store writes nothing more through that handle: puts are answered `refused` with reason
 * `disk-full` (`write-failed` for other I/O errors) and the error (`DiskFullError`,
 * `StoreWriteError`), acks and purges fail with it, and reads go on from the open handle. Each later write first checks the free
 * space; once it exceeds the logs' size plus `STORE_REOPEN_HEADROOM`, the store reopens the
 * database (LevelDB drops the torn tail, which no caller was told was stored) and writes again.
 *
 * ## Memory
 * Rebuilt by `open()` from one scan of the expiry index alone (small keys, 24-byte values: every
 * record's routing key, size, symbol and uploader, every tombstone, every ack's size), never
 * reading a record:
 * - sync symbols: a `SymbolSet`, 8 bytes a slot at load 0.35-0.7, so 11-23 bytes per record and
 *   per ack;
 * - per routing key: a `KeyTable` slot (count, bytes; 22 bytes a slot at load 0.35-0.7) plus the
 *   key's bytes (~40), so ~70-105 bytes per key;
 * - per uploader: a map entry and its heap entries (~100 bytes; uploaders are addresses, far
 *   fewer than records);
 * - nothing per tombstone; expiry is the on-disk `e` index.
 * Measured (bench/store.ts, 251-byte records, 1M records in tags of 10): the index holds
 * 31 bytes per record (160 when every record has its own key, the worst case); the process's
 * anonymous RSS grows ~40 bytes per record beyond a fixed ~40 MiB (LevelDB's caches, V8's young
 * generation at `--max-semi-space-size=16`), against 251 bytes of record and ~450 on disk
 * (layout 1; layout 2 adds 12 bytes to each record and its expiry entry, and a `u` entry of ~60
 * bytes: one more LevelDB write per put).
 *
 * ## Sync symbols
 * The symbol of a record is big-endian uint64 of the first 8 bytes of
 * sha256(`01` u16be(len rk) rk record), the sync item frame of `src/sync/item.ts`; an ack's is
 * over `02` ack-bytes. One symbol per ack (not per tombstone): the ack carries every tombstone
 * it made, and peers re-verify it before applying it.
 */
import { LevelDatastore } from 'datastore-level'
import { randomBytes } from 'node:crypto'
import { readdir, stat, statfs } from 'node:fs/promises'
import { join } from 'node:path'
import { DiskFullError, StoreClosedError, StoreCorruptError, StoreWriteError } from '../errors.ts'
import { SafeEventEmitter } from '../events.ts'
import { MAX_RECORD_SIZE } from '../constants.ts'
import { isBetter, tagRoutingKey } from '../record/index.ts'
import {
  ACK_COPY_BASE, ACK_COPY_PER_ENTRY, DEFAULT_MAX_ACK_BYTES, DEFAULT_MAX_BYTES, DEFAULT_MAX_RECORDS,
  DEFAULT_MAX_RECORDS_PER_KEY, DEFAULT_MAX_TOMBSTONE_LIFETIME, MAX_PAGE_LIMIT, STORE_READ_CHUNK, STORE_REOPEN_HEADROOM,
  TOMBSTONE_COST
} from './constants.ts'
import { KeyTable } from './store/key-table.ts'
import {
  ACK, EXPIRY, LAYOUT_KEY, LAYOUT_VERSION, RECORD, RECORD_HEADER, SYMBOL, TOMBSTONE, UPLOADER_SECRET_KEY,
  ackSymbol, bytesEqual, decodeAckValue, decodeRecordHeader, decodeTombstone, expiryBound, expiryKey, keyPrefix,
  locationKey, parseLocationKey, recordSymbol, symbolKey, uploaderKey, uploaderPrefix, upperBound
} from './store/layout.ts'
import type { RecordHeader } from './store/layout.ts'
import { batches, entries, getMany, getOne, readRange, table, write } from './store/level.ts'
import type { Db, Entry, Op } from './store/level.ts'
import { migrateV1 } from './store/migrate.ts'
import { SymbolSet, split } from './store/symbol-set.ts'
import { UploaderTable, uploaderId } from './store/uploaders.ts'
import { ackEntries, planAck } from './store/acks.ts'
import { decidePut, keyVictim, newGroup, standIn } from './store/decide.ts'
import { planPurge } from './store/purge.ts'
import { rebuildIndex, verifyStore } from './store/scans.ts'
import type { Decision, Effect, Group } from './store/decide.ts'
import type {
  AckResult, DeletedEvent, Held, IterateOptions, Page, PutOptions, PutResult, RecordStoreEvents, StoreInit, StoreStats,
  StoredEntry, SymbolItem
} from './store/types.ts'
import type { Ack, IptsRecord } from '../record/index.ts'
import type { Logger } from '@libp2p/interface'

export type {
  AckResult, DeletedEvent, EvictedEvent, Held, IterateOptions, Page, PutOptions, PutResult, RecordStoreEvents, StoreInit,
  StoreStats, StoredEntry, StoredEvent, SymbolItem
} from './store/types.ts'

/** Most puts written in one batch. */
const PUT_GROUP = 256

interface PutJob {
  record: IptsRecord
  now: number
  uploader: number
  resolve(result: PutResult): void
  reject(err: unknown): void
}

export class RecordStore extends SafeEventEmitter<RecordStoreEvents> {
  readonly maxRecordsPerKey: number
  readonly maxRecords: number
  readonly maxBytes: number
  readonly maxAckBytes: number
  readonly maxTombstoneLifetime: number
  private readonly path: string
  private readonly sync: boolean
  private readonly log?: Logger
  private datastore?: LevelDatastore
  private opening?: Promise<void>
  private closing?: Promise<void>
  private readonly table = new KeyTable()
  private readonly uploaders: UploaderTable
  private readonly symbolSet = new SymbolSet()
  private secret = new Uint8Array(0)
  private records = 0
  private bytes = 0
  private tombstones = 0
  private acks = 0
  private ackBytes = 0
  /** the next arrival order */
  private order = 1
  private tail: Promise<unknown> = Promise.resolve()
  private readonly queue: PutJob[] = []
  /** Set by a failed write: nothing is written until the database is reopened. */
  private failed?: StoreWriteError

  constructor (init: StoreInit) {
    super()
    this.path = init.path
    this.maxRecordsPerKey = init.maxRecordsPerKey ?? DEFAULT_MAX_RECORDS_PER_KEY
    this.maxRecords = init.maxRecords ?? DEFAULT_MAX_RECORDS
    this.maxBytes = init.maxBytes ?? DEFAULT_MAX_BYTES
    this.maxAckBytes = init.maxAckBytes ?? DEFAULT_MAX_ACK_BYTES
    this.maxTombstoneLifetime = init.maxTombstoneLifetime ?? DEFAULT_MAX_TOMBSTONE_LIFETIME
    this.sync = init.sync ?? false
    this.log = init.log
    this.uploaders = new UploaderTable({ maxRecords: this.maxRecords, maxBytes: this.maxBytes })
  }

  /** Opens the database and rebuilds the in-memory index from it. Idempotent. */
  async open (): Promise<void> {
    if (this.datastore != null) return
    this.failed = undefined
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
   * resolves `stored` once the write is done. Refuses a sequence covered by a live tombstone.
   * Shares room fairly between uploaders (`options.from`, the address the record came from):
   * - a new signer on a full key (`maxRecordsPerKey`) evicts the oldest record, in that key, of
   *   the uploader holding the most records there, when that uploader holds at least two more
   *   than the new record's; otherwise it is refused (`key-full`);
   * - beyond `maxRecords` or `maxBytes`, the oldest record of the uploader holding the largest
   *   share of the store is evicted, unless the new record's own uploader would then hold as
   *   large a share: then its own oldest record goes. A record larger than `maxBytes` is refused
   *   (`store-full`).
   * After a failed write, refuses with `disk-full` (`write-failed` for other I/O errors) until
   * it could reopen the database (see "A full disk" above).
   * Resolves with the number of records evicted. The caller validated the record and applied
   * its policy.
   */
  async put (record: IptsRecord, now: number, options: PutOptions = {}): Promise<PutResult> {
    if (this.failed == null) this.db()
    const uploader = uploaderId(this.secret, options.from)
    try {
      return await new Promise<PutResult>((resolve, reject) => {
        this.queue.push({ record, now, uploader, resolve, reject })
        if (this.queue.length === 1) void this.exclusive(async () => this.flushPuts())
      })
    } catch (err) {
      if (err instanceof StoreWriteError) {
        return { status: 'refused', reason: err instanceof DiskFullError ? 'disk-full' : 'write-failed', error: err }
      }
      throw err
    }
  }

  /** The failed write the store is refusing writes after, if any (cleared once it reopened). */
  writeFailure (): StoreWriteError | undefined {
    return this.failed
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
   * cursor from the previous page). Reads at most `limit` (capped at 1000) records, and at most
   * `maxBytes` of record bytes (but always one record), plus the expired ones it skips, so
   * memory is bounded by the page.
   */
  async page (routingKey: Uint8Array, options: { after?: Uint8Array, limit: number, maxBytes?: number, now: number }): Promise<Page> {
    const limit = Math.max(1, Math.min(MAX_PAGE_LIMIT, Math.floor(options.limit)))
    const maxBytes = options.maxBytes ?? Infinity
    const prefix = keyPrefix(RECORD, routingKey)
    const range = rangeAfter(prefix, options.after)
    const records: Uint8Array[] = []
    let bytes = 0
    let cursor: Uint8Array | undefined
    let done = true
    let read = 0
    let readBytes = 0
    // read no more than the page can take: records of up to 10 KiB at first, then what the sizes
    // seen so far suggest (a chunk of 256 large records would be 2.5 MiB for a 256 KiB page)
    const chunk = (): number => {
      const left = maxBytes - bytes
      const guess = read === 0 ? Math.floor(left / MAX_RECORD_SIZE) : Math.floor(left / (readBytes / read))
      return Math.min(STORE_READ_CHUNK, limit - records.length, guess) + 1
    }
    for await (const [key, value] of entries(this.db(), range, chunk)) {
      const size = value.byteLength - RECORD_HEADER
      read++
      readBytes += size
      if (records.length === limit || (records.length > 0 && bytes + size > maxBytes)) {
        done = false
        break
      }
      cursor = key.subarray(prefix.length)
      if (decodeRecordHeader(value).eol < options.now) continue
      records.push(value.subarray(RECORD_HEADER))
      bytes += size
    }
    return { records, bytes, cursor: cursor?.slice(), done }
  }

  /** The routing keys holding at least one record (copies; for re-subscribing on restart). */
  keys (): Iterable<Uint8Array> {
    this.db()
    return this.table
  }

  /**
   * Applies a verified acknowledgement (see `planAck` in `store/acks.ts` for the rules): deletes
   * each covered record (sequence <= the entry's) and writes a tombstone for (tag, signer) kept
   * until the covered record's EOL (at most `maxTombstoneLifetime` from now), but writes no
   * tombstone for a slot that holds nothing here unless the tag holds records (at most as many
   * such tombstones per ack as it holds records, and at most `maxRecordsPerKey` tombstones per
   * tag), and none beyond `maxAckBytes`. Stores the ack itself for sync when it did enough here
   * to be worth its size. Idempotent: a repeated or superseded ack changes nothing and returns
   * zeros. The caller verified the ack's signature (record/).
   */
  async applyAck (ack: Ack, now: number): Promise<AckResult> {
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
      ackBytes: this.ackBytes,
      ackStateBytes: this.ackStateBytes(),
      uploaders: this.uploaders.size,
      symbols: this.symbolSet.size,
      indexBytes: this.table.byteLength + this.symbolSet.byteLength
    }
  }

  /** Records and bytes held for an address key (as given to `put` in `options.from`). */
  uploaderStats (from: string | undefined): { records: number, bytes: number } {
    const s = this.uploaders.get(uploaderId(this.secret, from))
    return { records: s?.records ?? 0, bytes: s?.bytes ?? 0 }
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
      uploaders: this.uploaders,
      symbols: this.symbolSet,
      records: this.records,
      bytes: this.bytes,
      tombstones: this.tombstones,
      acks: this.acks,
      ackBytes: this.ackBytes,
      maxOrder: this.order - 1
    })
  }

  // --- internals ------------------------------------------------------------------------------

  private async closeOnce (): Promise<void> {
    await this.opening?.catch(() => {})
    if (this.datastore == null) return
    let tail: Promise<unknown>
    do {
      tail = this.tail
      await tail
    } while (tail !== this.tail)
    // read after the wait: a write that failed may have reopened the database meanwhile
    const ds = this.datastore
    this.datastore = undefined
    await ds?.close()
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

  /** Writes one batch; after a failed write, first reopens the database (or throws the failure). */
  private async write (ops: Op[]): Promise<void> {
    await this.recover()
    try {
      await write(this.db(), ops, this.sync)
    } catch (err: any) {
      // LevelDB reports a full disk and other I/O failures as LEVEL_IO_ERROR
      if (err?.code !== 'LEVEL_IO_ERROR') throw err
      const message = `store write failed - ${String(err.message)}`
      this.failed = /no space|ENOSPC|quota/i.test(String(err.message))
        ? new DiskFullError(message, { cause: err })
        : new StoreWriteError(message, { cause: err })
      throw this.failed
    }
  }

  /**
   * After a failed write: reopens the database once the disk has room for LevelDB to turn its
   * logs into a table, or throws the failure. Runs under the write lock. Reads during the
   * reopen fail with StoreClosedError; a reopen that fails leaves the store closed until a
   * later write tries again.
   */
  private async recover (): Promise<void> {
    const failed = this.failed
    if (failed == null) return
    if (!(await this.hasRoom())) throw failed
    const ds = this.datastore
    this.datastore = undefined
    await ds?.close().catch(() => {})
    try {
      await this.load()
    } catch {
      throw failed
    }
    this.failed = undefined
  }

  /** Free space on the store's file system exceeds its logs plus the headroom. */
  private async hasRoom (): Promise<boolean> {
    try {
      const fs = await statfs(this.path)
      let logs = 0
      for (const name of await readdir(this.path)) {
        if (name.endsWith('.log')) logs += (await stat(join(this.path, name))).size
      }
      return fs.bavail * fs.bsize >= logs + STORE_REOPEN_HEADROOM
    } catch {
      return false
    }
  }

  private async load (): Promise<void> {
    const ds = new LevelDatastore(this.path)
    await ds.open()
    try {
      const db = ds.db
      const layout = await getOne(db, LAYOUT_KEY)
      if (layout == null) {
        await write(db, [{ type: 'put', key: LAYOUT_KEY, value: new Uint8Array([LAYOUT_VERSION]) }], true)
      } else if (layout[0] === 1) {
        await migrateV1(db)
      } else if (layout[0] !== LAYOUT_VERSION) {
        throw new StoreCorruptError(`store layout ${layout[0]} is not ${LAYOUT_VERSION}`)
      }
      let secret = await getOne(db, UPLOADER_SECRET_KEY)
      if (secret == null) {
        secret = new Uint8Array(randomBytes(16))
        await write(db, [{ type: 'put', key: UPLOADER_SECRET_KEY, value: secret }], true)
      }
      this.secret = secret.slice()
      this.table.clear()
      this.uploaders.clear()
      this.symbolSet.clear()
      const counts = await rebuildIndex(db, this.table, this.uploaders, this.symbolSet)
      this.records = counts.records
      this.bytes = counts.bytes
      this.tombstones = counts.tombstones
      this.acks = counts.acks
      this.ackBytes = counts.ackBytes
      this.order = counts.maxOrder + 1
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
    try {
      await this.recover()
    } catch (err) {
      for (const job of all) job.reject(err)
      return
    }
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
      const { record, now, uploader } = job
      const value = values[k++]
      const tomb = record.kind === 'tagged' ? values[k++] : undefined
      try {
        const d = this.decide(record, now, value, tomb, group, job.sym, uploader)
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
          job.resolve(await this.putAlone(record, now, uploader))
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

  /** One put, alone: makes room by purging its key's expired records or evicting, when it must. */
  private async putAlone (record: IptsRecord, now: number, uploader: number): Promise<PutResult> {
    const { routingKey, signer } = record
    const loc = locationKey(RECORD, routingKey, signer)
    let evicted = 0
    // every pass either returns or deletes at least one record, so this ends
    for (;;) {
      const keys = [loc]
      if (record.kind === 'tagged') keys.push(locationKey(TOMBSTONE, routingKey, signer))
      const [value, tomb] = await getMany(this.db(), keys)
      const d = this.decide(record, now, value, tomb, newGroup(), recordSymbol(routingKey, record.bytes), uploader)
      if (d.kind === 'result') return d.result
      if (d.kind === 'key-full') {
        // expired records still count until purged: drop this key's first, else share it fairly
        const held = await this.readRecords(routingKey, this.maxRecordsPerKey + 1)
        const expired = held.filter(([, value]) => decodeRecordHeader(value).eol < now)
        if (expired.length > 0) {
          await this.deleteRecords(expired, 'expired')
          continue
        }
        const victim = keyVictim(held, uploader)
        if (victim == null) return { status: 'refused', reason: 'key-full' }
        await this.deleteRecords([victim], 'evicted')
        evicted++
        continue
      }
      if (d.kind === 'no-room') {
        const victim = await this.storeVictim(uploader, loc, d.addRecords, d.addBytes)
        if (victim == null) return { status: 'refused', reason: 'store-full' }
        await this.deleteRecords([victim], 'evicted')
        evicted++
        continue
      }
      await this.write(d.ops)
      this.apply(d.effect)
      return { status: 'stored', evicted }
    }
  }

  /**
   * The record evicted to make room for a put of `addRecords`/`addBytes` by `uploader`: the
   * oldest record of the uploader with the largest share of the store, unless `uploader` would
   * hold at least as large a share after the put, in which case its own oldest. Never the record
   * at `loc` (the slot being written).
   */
  private async storeVictim (uploader: number, loc: Uint8Array, addRecords: number, addBytes: number): Promise<Entry | undefined> {
    const largest = this.uploaders.largest()
    if (largest == null) return undefined
    const own = this.uploaders.get(uploader)
    const ownShare = this.uploaders.share((own?.records ?? 0) + addRecords, (own?.bytes ?? 0) + addBytes)
    const order = largest !== uploader && this.uploaders.shareOf(largest) <= ownShare && own != null
      ? [uploader, largest]
      : [largest, uploader]
    for (const u of order) {
      const victim = await this.oldestOf(u, loc)
      if (victim != null) return victim
    }
    return undefined
  }

  /** The oldest record of an uploader other than the one at `except`. */
  private async oldestOf (uploader: number, except: Uint8Array): Promise<Entry | undefined> {
    const prefix = uploaderPrefix(uploader)
    const rows = await readRange(this.db(), { gte: prefix, lt: upperBound(prefix), limit: 2 })
    for (const [, loc] of rows) {
      if (bytesEqual(loc, except)) continue
      const value = await getOne(this.db(), loc)
      if (value != null) return [loc.slice(), value]
    }
    return undefined
  }

  private decide (record: IptsRecord, now: number, value: Uint8Array | undefined, tomb: Uint8Array | undefined, group: Group, sym: { hi: number, lo: number }, uploader: number): Decision {
    return decidePut(record, now, value, tomb, group, sym, { uploader, order: this.order + group.effects.length }, {
      table: this.table,
      records: this.records,
      bytes: this.bytes,
      maxRecordsPerKey: this.maxRecordsPerKey,
      maxRecords: this.maxRecords,
      maxBytes: this.maxBytes
    })
  }

  /** Memory side of a stored record, once its batch is written. */
  private apply (effect: Effect): void {
    if (effect.old != null) {
      this.symbolSet.deleteParts(effect.old.hi, effect.old.lo)
      this.uploaders.update(effect.old.uploader, -1, -effect.old.size)
    }
    this.symbolSet.addParts(effect.hi, effect.lo)
    this.uploaders.update(effect.uploader, 1, effect.size)
    this.order = Math.max(this.order, effect.order + 1)
    this.table.update(effect.event.routingKey, effect.addRecords, effect.addBytes)
    this.records += effect.addRecords
    this.bytes += effect.addBytes
    this.safeDispatchEvent('stored', { detail: effect.event })
  }

  private async readRecords (routingKey: Uint8Array, limit: number): Promise<Array<[Uint8Array, Uint8Array]>> {
    const prefix = keyPrefix(RECORD, routingKey)
    return readRange(this.db(), { gte: prefix, lt: upperBound(prefix), limit })
  }

  /**
   * Deletes records given as [key, value] entries read under the lock, and updates memory.
   * Emits `deleted` (expired, acked) or `evicted` for each.
   */
  private async deleteRecords (entries: Entry[], reason: DeletedEvent['reason'] | 'evicted', extra: Op[] = []): Promise<Uint8Array[]> {
    const ops: Op[] = [...extra]
    for (const [key, value] of entries) ops.push(...recordDeletion(key, decodeRecordHeader(value)))
    await this.write(ops)
    const emptied: Uint8Array[] = []
    for (const [key, value] of entries) {
      const header = decodeRecordHeader(value)
      const size = value.length - RECORD_HEADER
      const { routingKey, signer } = parseLocationKey(key)
      this.forget(routingKey, header.hi, header.lo, size, header.uploader, emptied)
      if (reason === 'evicted') {
        this.safeDispatchEvent('evicted', { detail: { routingKey: routingKey.slice(), signer: signer.slice(), records: 1, bytes: size } })
      } else {
        this.safeDispatchEvent('deleted', { detail: { routingKey: routingKey.slice(), signer: signer.slice(), reason } })
      }
    }
    return emptied
  }

  /** Memory side of deleting one record; pushes its key on `emptied` when it was the last. */
  private forget (routingKey: Uint8Array, hi: number, lo: number, size: number, uploader: number, emptied: Uint8Array[]): void {
    this.symbolSet.deleteParts(hi, lo)
    this.table.update(routingKey, -1, -size)
    this.uploaders.update(uploader, -1, -size)
    this.records--
    this.bytes -= size
    if (this.table.get(routingKey) == null) emptied.push(routingKey.slice())
  }

  /** Bytes of ack state held: stored acks plus `TOMBSTONE_COST` per tombstone. */
  private ackStateBytes (): number {
    return this.ackBytes + this.tombstones * TOMBSTONE_COST
  }

  private async deleteIfExpired (loc: Uint8Array, now: number): Promise<void> {
    await this.exclusive(async () => {
      const value = await getOne(this.db(), loc)
      if (value == null || decodeRecordHeader(value).eol >= now) return
      await this.deleteRecords([[loc, value]], 'expired')
    })
  }

  private async applyAckLocked (ack: Ack, routingKey: Uint8Array, now: number): Promise<AckResult> {
    const none: AckResult = { deleted: 0, tombstoned: 0, preemptive: 0, refused: 0, kept: false }
    const db = this.db()
    const sym = ackSymbol(ack.bytes)
    if (await getOne(db, symbolKey(ACK, sym.hi, sym.lo)) != null) return none
    const entries = ackEntries(ack, routingKey)
    const values = await getMany(db, [...entries.map(e => e.record), ...entries.map(e => e.tombstone)])
    const held = this.table.get(routingKey)?.count ?? 0
    // tombstones ahead of records: only for a tag this relay serves, at most as many per ack as
    // it holds records, and never more than maxRecordsPerKey tombstones under one tag
    const preemptive = held === 0 ? 0 : Math.min(held, this.maxRecordsPerKey - await this.countTombstones(routingKey))
    const plan = planAck(ack, sym, entries, values.slice(0, entries.length), values.slice(entries.length), now, this.maxTombstoneLifetime, {
      preemptive,
      room: Math.max(0, this.maxAckBytes - this.ackStateBytes()),
      tombstoneCost: TOMBSTONE_COST,
      copyPerEntry: ACK_COPY_PER_ENTRY,
      copyBase: ACK_COPY_BASE
    })
    if (plan.doomed.length === 0 && plan.ops.length === 0) return { ...none, refused: plan.refused }
    await this.deleteRecords(plan.doomed, 'acked', plan.ops)
    this.tombstones += plan.added
    if (plan.keepAck) {
      this.symbolSet.addParts(sym.hi, sym.lo)
      this.acks++
      this.ackBytes += ack.bytes.length
    }
    return { deleted: plan.doomed.length, tombstoned: plan.tombstoned, preemptive: plan.preemptive, refused: plan.refused, kept: plan.keepAck }
  }

  /** Tombstones held under a routing key (live or not yet purged), counting up to `maxRecordsPerKey`. */
  private async countTombstones (routingKey: Uint8Array): Promise<number> {
    const prefix = keyPrefix(TOMBSTONE, routingKey)
    let n = 0
    for await (const batch of batches(this.db(), { gte: prefix, lt: upperBound(prefix) }, 256, false)) {
      n += batch.length
      if (n >= this.maxRecordsPerKey) return this.maxRecordsPerKey
    }
    return n
  }

  /** Purges one chunk of the expiry index; false when nothing expired is left. */
  private async purgeChunk (now: number, total: { records: number, tombstones: number, emptiedKeys: Uint8Array[] }): Promise<boolean> {
    const db = this.db()
    const expired = await readRange(db, { gte: new Uint8Array([EXPIRY]), lt: expiryBound(now), limit: STORE_READ_CHUNK })
    if (expired.length === 0) return false
    const plan = planPurge(expired)
    await this.write(plan.ops)
    for (const r of plan.records) {
      this.forget(r.routingKey, r.hi, r.lo, r.size, r.uploader, total.emptiedKeys)
      this.safeDispatchEvent('deleted', { detail: { routingKey: r.routingKey.slice(), signer: r.signer.slice(), reason: 'expired' } })
    }
    for (const a of plan.acks) {
      this.symbolSet.deleteParts(a.hi, a.lo)
      this.ackBytes -= a.size
    }
    this.acks -= plan.acks.length
    this.tombstones -= plan.tombstones
    total.records += plan.records.length
    total.tombstones += plan.tombstones
    return expired.length === STORE_READ_CHUNK
  }
}

/** The record and its index entries, to delete. */
function recordDeletion (key: Uint8Array, header: RecordHeader): Op[] {
  return [
    { type: 'del', key },
    { type: 'del', key: expiryKey(header.eol, key) },
    { type: 'del', key: symbolKey(SYMBOL, header.hi, header.lo) },
    { type: 'del', key: uploaderKey(header.uploader, header.order) }
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

