/**
 * The responder's side of a session: peel the initiator's coded symbols against its own set
 * (or diff the full list), answer with the difference, take in the items it asked for, and
 * serve the ones the initiator asked for.
 */
import { InvalidSyncMessageError, SyncLimitError } from '../errors.ts'
import { MAX_CHUNK_SYMBOLS, MAX_CODED_BATCH, MAX_REPLY_SYMBOLS } from './constants.ts'
import { SymbolDecoder, decodeCodedBatch } from './riblt.ts'
import { packSymbols, sortedDifference, sortedUnique, unpackSymbols } from './symbols.ts'
import { readWant, receiveItems, selectWanted, sendItems } from './transfer.ts'
import type { SetDifference } from './symbols.ts'
import type { Session } from './transfer.ts'
import type { SymbolChunk } from '../pb/sync.ts'

const EMPTY = new Uint8Array(0)

export interface ResponderLimits {
  maxCodedSymbols: number
  maxListSymbols: number
}

export async function runResponder (session: Session, limits: ResponderLimits): Promise<void> {
  const { stats, channel, signal } = session
  const local = sortedUnique(session.source.symbols())
  let diff: SetDifference | undefined
  let decoder: SymbolDecoder | undefined

  try {
    while (diff == null) {
      const { kind, message } = await channel.expect(['coded', 'full'], { signal })
      stats.rounds++
      if (kind === 'coded') {
        const batch = decodeCodedBatch(message.coded!, MAX_CODED_BATCH)
        if (stats.codedSymbols + batch.length > limits.maxCodedSymbols) {
          throw new SyncLimitError(`more than ${limits.maxCodedSymbols} coded symbols`)
        }
        decoder ??= new SymbolDecoder(local)
        stats.codedSymbols += batch.length
        const result = await decoder.add(batch, signal)
        if (result.decoded) {
          // remote = what the initiator holds and this side lacks
          diff = { localOnly: result.localOnly, remoteOnly: result.remoteOnly }
        } else {
          await channel.write({ reply: { decoded: false, have: EMPTY, want: EMPTY, last: false, itemCount: local.length } }, { signal })
        }
      } else {
        stats.fullList = true
        const remote = await readFullList(session, message.full!, limits.maxListSymbols)
        diff = sortedDifference(local, sortedUnique(remote))
      }
    }
  } finally {
    decoder?.free()
  }

  stats.differences = diff.localOnly.length + diff.remoteOnly.length
  const have = diff.localOnly.slice(0, session.maxItems)
  const want = selectWanted(session, diff.remoteOnly)

  // the difference, in chunks; the last one marked
  const chunks = Math.max(1, Math.ceil(Math.max(have.length, want.length) / MAX_REPLY_SYMBOLS))
  for (let c = 0; c < chunks; c++) {
    const from = c * MAX_REPLY_SYMBOLS
    const to = from + MAX_REPLY_SYMBOLS
    await channel.write({
      reply: {
        decoded: true,
        have: packSymbols(have, Math.min(from, have.length), Math.min(to, have.length)),
        want: packSymbols(want, Math.min(from, want.length), Math.min(to, want.length)),
        last: c === chunks - 1,
        itemCount: 0
      }
    }, { signal })
  }

  if (have.length + want.length === 0) {
    return
  }

  const offered = new Set(have)
  const peerWants = await readWant(session, have.length)
  for (const symbol of peerWants) {
    if (!offered.has(symbol)) {
      throw new InvalidSyncMessageError('initiator wants an item that was not offered')
    }
  }
  stats.rounds++
  const refusedBefore = stats.refused
  await receiveItems(session, new Set(want))
  await sendItems(session, peerWants, stats.refused - refusedBefore)
}

async function readFullList (session: Session, first: SymbolChunk, max: number): Promise<bigint[]> {
  const out: bigint[] = []
  let chunk = first
  while (true) {
    const symbols = unpackSymbols(chunk.symbols, MAX_CHUNK_SYMBOLS)
    if (out.length + symbols.length > max) {
      throw new SyncLimitError(`full symbol list longer than ${max}`)
    }
    for (const s of symbols) out.push(s)
    if (chunk.last) {
      return out
    }
    const { message } = await session.channel.expect(['full'], { signal: session.signal })
    chunk = message.full
  }
}
