/**
 * Binary-key access to the LevelDB under `datastore-level` (whose own API is string-keyed).
 * Everything read comes back as a plain `Uint8Array` view (classic-level hands out `Buffer`s).
 */
import type { LevelDatastore } from 'datastore-level'

export type Db = LevelDatastore['db']
export type Entry = [key: Uint8Array, value: Uint8Array]
export type Op = { type: 'put', key: Uint8Array, value: Uint8Array } | { type: 'del', key: Uint8Array }

export interface Range {
  gt?: Uint8Array
  gte?: Uint8Array
  lt?: Uint8Array
  limit?: number
}

const EMPTY = new Uint8Array(0)
const VIEW = { keyEncoding: 'view', valueEncoding: 'view' } as const
/** Range reads are bulk reads: keep them out of LevelDB's block cache, which serves gets. */
const SCAN = { ...VIEW, fillCache: false } as const

/** A plain `Uint8Array` over the same memory (a `Buffer` is re-viewed, not copied). */
export function u8 (bytes: Uint8Array): Uint8Array {
  return Object.getPrototypeOf(bytes) === Uint8Array.prototype ? bytes : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

export async function getOne (db: Db, key: Uint8Array): Promise<Uint8Array | undefined> {
  const value = await db.get<Uint8Array, Uint8Array>(key, VIEW)
  return value == null ? undefined : u8(value)
}

export async function getMany (db: Db, keys: Uint8Array[]): Promise<Array<Uint8Array | undefined>> {
  const values = await db.getMany<Uint8Array, Uint8Array>(keys, VIEW)
  return values.map(v => v == null ? undefined : u8(v))
}

/** Every entry of the range at once: use with a `limit`. */
export async function readRange (db: Db, range: Range): Promise<Entry[]> {
  const entries = await db.iterator<Uint8Array, Uint8Array>({ ...range, ...SCAN }).all()
  return entries.map(([k, v]) => [u8(k), u8(v)])
}

/**
 * The range's entries, `chunk` at a time, through one iterator (closed on exit). Yields arrays,
 * not entries: an `await` per entry costs more than reading it.
 */
export async function * batches (db: Db, range: Range, chunk: number | (() => number) = 1024, values = true): AsyncGenerator<Entry[]> {
  const it = db.iterator<Uint8Array, Uint8Array>({ ...range, ...SCAN, values })
  try {
    for (;;) {
      const batch = await it.nextv(typeof chunk === 'number' ? chunk : Math.max(1, chunk()))
      if (batch.length === 0) return
      yield batch.map(([k, v]) => [u8(k), v == null ? EMPTY : u8(v)])
    }
  } finally {
    await it.close()
  }
}

/** The range's entries one by one (through `batches`; `chunk` may be asked again before each read). */
export async function * entries (db: Db, range: Range, chunk: number | (() => number) = 1024, values = true): AsyncGenerator<Entry> {
  for await (const batch of batches(db, range, chunk, values)) yield * batch
}

/**
 * Writes the ops as one atomic batch. A chained batch: classic-level's array form reads every
 * op's properties through Node-API and is about twice as slow.
 */
export async function write (db: Db, ops: Op[], sync: boolean): Promise<void> {
  const batch = db.batch()
  for (const op of ops) {
    if (op.type === 'put') batch.put<Uint8Array, Uint8Array>(op.key, op.value, VIEW)
    else batch.del<Uint8Array>(op.key, VIEW)
  }
  const options = { sync }
  await batch.write(options)
}

/** The one-byte range of a table: every key starting with `prefix`. */
export function table (prefix: number): Range {
  return { gte: new Uint8Array([prefix]), lt: new Uint8Array([prefix + 1]) }
}
