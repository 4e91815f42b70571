/**
 * The last phase of a session, the same on both sides: serve the items the peer asked for, and
 * take in the items this side asked for (each checked against the request, then handed to
 * `SyncSource.accept`).
 */
import { LRUCache } from 'lru-cache'
import { InvalidSyncMessageError, SyncLimitError } from '../errors.ts'
import { MAX_CHUNK_SYMBOLS, MAX_SYNC_ITEM_SIZE } from './constants.ts'
import { symbolOf } from './item.ts'
import { packSymbols, unpackSymbols } from './symbols.ts'
import type { SyncChannel } from './channel.ts'
import type { SyncSource, SyncStats } from './types.ts'
import type { Logger, PeerId } from '@libp2p/interface'

/** Symbols recently ignored or refused here: not requested again until their TTL passes. */
export class SkipList {
  private readonly cache: LRUCache<bigint, true>

  constructor (max: number, ttl: number) {
    this.cache = new LRUCache<bigint, true>({ max, ttl, ttlAutopurge: false })
  }

  has (symbol: bigint): boolean {
    return this.cache.has(symbol)
  }

  add (symbol: bigint): void {
    this.cache.set(symbol, true)
  }
}

/** What one side of a session works with. */
export interface Session {
  source: SyncSource
  peer: PeerId
  channel: SyncChannel
  stats: SyncStats
  skip: SkipList
  maxItems: number
  signal: AbortSignal
  log: Logger
}

export function emptyStats (role: SyncStats['role']): SyncStats {
  return {
    role,
    rounds: 0,
    bytesSent: 0,
    bytesReceived: 0,
    codedSymbols: 0,
    fullList: false,
    differences: 0,
    itemsSent: 0,
    itemsReceived: 0,
    itemBytesSent: 0,
    itemBytesReceived: 0,
    stored: 0,
    ignored: 0,
    refused: 0
  }
}

/** The symbols of `candidates` this side wants: not skipped, at most `maxItems`. */
export function selectWanted (session: Session, candidates: bigint[]): bigint[] {
  const out: bigint[] = []
  for (const symbol of candidates) {
    if (out.length >= session.maxItems) break
    if (!session.skip.has(symbol)) out.push(symbol)
  }
  return out
}

/** Send a symbol list as `want` chunks; always at least one, the last marked. */
export async function writeWant (session: Session, symbols: bigint[]): Promise<void> {
  let start = 0
  do {
    const end = Math.min(start + MAX_CHUNK_SYMBOLS, symbols.length)
    await session.channel.write({ want: { symbols: packSymbols(symbols, start, end), last: end === symbols.length } }, { signal: session.signal })
    start = end
  } while (start < symbols.length)
}

/** Read `want` chunks up to the last one; at most `max` symbols in all. */
export async function readWant (session: Session, max: number): Promise<bigint[]> {
  const out: bigint[] = []
  while (true) {
    const { message } = await session.channel.expect(['want'], { signal: session.signal })
    const chunk = unpackSymbols(message.want.symbols, MAX_CHUNK_SYMBOLS)
    if (out.length + chunk.length > max) {
      throw new SyncLimitError(`peer wants ${out.length + chunk.length} items, more than the ${max} offered`)
    }
    out.push(...chunk)
    if (message.want.last) return out
  }
}

/** Write the items of `symbols` (those still held, at most `maxItems`), then `end`. */
export async function sendItems (session: Session, symbols: bigint[], refused = 0): Promise<void> {
  const { channel, source, stats } = session
  let sent = 0
  for (const symbol of symbols) {
    if (sent >= session.maxItems) break
    const data = await raceAbort(source.getItem(symbol), session.signal)
    if (data == null) continue
    // the generated type asks for an ArrayBuffer-backed array; encoding only reads the bytes
    await channel.write({ item: { data: data as Uint8Array<ArrayBuffer> } }, { signal: session.signal })
    sent++
    stats.itemsSent++
    stats.itemBytesSent += data.byteLength
  }
  await channel.write({ end: { refused } }, { signal: session.signal })
}

/**
 * Read items up to `end`. Every item must hash to a symbol in `expected` (each once), else the
 * peer is pushing what nobody asked for: `InvalidSyncMessageError`. Returns the peer's count of
 * items it refused.
 */
export async function receiveItems (session: Session, expected: Set<bigint>): Promise<number> {
  const { channel, stats, peer } = session
  // items are validated and stored with up to ACCEPT_CONCURRENCY in flight: validation is CPU,
  // storing is I/O, and the store commits concurrent puts in one batch
  const inFlight = new Set<Promise<void>>()
  const accept = (data: Uint8Array, symbol: bigint): void => {
    const done: Promise<void> = acceptItem(session, data, peer).then((result) => {
      channel.touch()
      stats[result]++
      if (result !== 'stored') {
        session.skip.add(symbol)
      }
    }).finally(() => { inFlight.delete(done) })
    // observed by Promise.race/all below; without this, one that rejects (the session aborted)
    // while the loop waits on the channel is an unhandled rejection, which ends the process
    done.catch(() => {})
    inFlight.add(done)
  }
  try {
    while (true) {
      const { kind, message } = await channel.expect(['item', 'end'], { signal: session.signal })
      if (kind === 'end') {
        await Promise.all(inFlight)
        return message.end?.refused ?? 0
      }
      const data = message.item!.data
      if (data.byteLength > MAX_SYNC_ITEM_SIZE) {
        throw new SyncLimitError(`item of ${data.byteLength} bytes exceeds ${MAX_SYNC_ITEM_SIZE}`)
      }
      const symbol = symbolOf(data)
      if (!expected.delete(symbol)) {
        throw new InvalidSyncMessageError('item was not requested')
      }
      stats.itemsReceived++
      stats.itemBytesReceived += data.byteLength
      accept(data, symbol)
      if (inFlight.size >= ACCEPT_CONCURRENCY) {
        await Promise.race(inFlight)
      }
    }
  } finally {
    // never leave accepts running past the session
    await Promise.allSettled(inFlight)
  }
}

/** Items of one session validated and stored at once. */
const ACCEPT_CONCURRENCY = 64

/**
 * Hand an item to the source, which validates it (a malformed frame included: the relay counts
 * it as `InvalidSyncItemError`). A source that throws refuses the item; the session goes on.
 */
async function acceptItem (session: Session, data: Uint8Array, peer: PeerId): Promise<'stored' | 'ignored' | 'refused'> {
  try {
    return await raceAbort(session.source.accept(data, peer), session.signal)
  } catch (err) {
    if (session.signal.aborted) throw err
    session.log.error('source failed to accept an item from %p - %e', peer, err)
    return 'refused'
  }
}

/** `promise`, or the signal's reason if it aborts first. */
export async function raceAbort<T> (promise: Promise<T>, signal: AbortSignal): Promise<T> {
  signal.throwIfAborted()
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => { reject(signal.reason) }
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(
      value => { signal.removeEventListener('abort', onAbort); resolve(value) },
      err => { signal.removeEventListener('abort', onAbort); reject(err) }
    )
  })
}
