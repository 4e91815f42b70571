/**
 * The initiator's side of a session: stream coded symbols in growing batches until the
 * responder decodes the difference (or fall back to the full symbol list once that is cheaper),
 * then request what it lacks and serve what the responder asked for.
 *
 * initiator                                responder
 *   coded(16) ──────────────────────────▶    peel against own set
 *             ◀──────────────── reply(decoded: false)
 *   coded(32) ──────────────────────────▶
 *             ◀──── reply(decoded, have, want, last)…
 *   want…, item…, end ──────────────────▶    accept each item
 *             ◀────────────────────── item…, end
 */
import { InvalidSyncMessageError, SyncLimitError } from '../errors.ts'
import { CODED_PER_DIFFERENCE, CODED_SYMBOL_WIRE_BYTES, MAX_CHUNK_SYMBOLS, MAX_REPLY_SYMBOLS, SYMBOL_BYTES } from './constants.ts'
import { SymbolEncoder, encodeCodedBatch } from './riblt.ts'
import { packSymbols, sortedUnique, unpackSymbols } from './symbols.ts'
import { receiveItems, selectWanted, sendItems, writeWant } from './transfer.ts'
import type { Session } from './transfer.ts'
import type { Reply } from '../pb/sync.ts'

export interface InitiatorLimits {
  initialBatch: number
  maxBatch: number
  maxCodedSymbols: number
  /** Most symbols accepted in the responder's have + want lists. */
  maxListSymbols: number
}

interface Difference {
  /** The responder holds these and this side lacks them. */
  have: bigint[]
  /** The responder wants these from this side. */
  want: bigint[]
}

export async function runInitiator (session: Session, limits: InitiatorLimits): Promise<void> {
  const { stats, channel, signal } = session
  const local = sortedUnique(session.source.symbols())

  // Past this many coded symbols the full list (8 bytes a symbol) is the cheaper way to finish.
  const fullListAt = Math.min(limits.maxCodedSymbols, Math.ceil(local.length * SYMBOL_BYTES / CODED_SYMBOL_WIRE_BYTES))
  let diff: Difference | undefined

  if (fullListAt >= limits.initialBatch) {
    const encoder = new SymbolEncoder(local)
    try {
      let batch = limits.initialBatch
      while (stats.codedSymbols < fullListAt) {
        const n = Math.min(batch, limits.maxBatch, fullListAt - stats.codedSymbols)
        await channel.write({ coded: encodeCodedBatch(encoder.next(n)) }, { signal })
        stats.codedSymbols += n
        stats.rounds++
        const { message } = await channel.expect(['reply'], { signal })
        if (message.reply.decoded) {
          diff = await readDifference(session, message.reply, limits.maxListSymbols)
          break
        }
        // the difference is at least the gap between the set sizes: size the next batch for it,
        // or finish with the full list at once when coding that gap would cost more
        const needed = Math.ceil(Math.abs(local.length - message.reply.itemCount) * CODED_PER_DIFFERENCE)
        if (needed >= fullListAt) break
        batch = Math.max(batch * 2, needed - stats.codedSymbols)
      }
    } finally {
      encoder.free()
    }
  }

  if (diff == null) {
    stats.fullList = true
    let start = 0
    do {
      const end = Math.min(start + MAX_CHUNK_SYMBOLS, local.length)
      await channel.write({ full: { symbols: packSymbols(local, start, end), last: end === local.length } }, { signal })
      start = end
    } while (start < local.length)
    stats.rounds++
    const { message } = await channel.expect(['reply'], { signal })
    if (!message.reply.decoded) {
      throw new InvalidSyncMessageError('responder did not answer the full symbol list with the difference')
    }
    diff = await readDifference(session, message.reply, limits.maxListSymbols)
  }

  stats.differences = diff.have.length + diff.want.length
  if (stats.differences === 0) {
    return
  }

  const wanted = selectWanted(session, diff.have)
  await writeWant(session, wanted)
  await sendItems(session, diff.want)
  stats.rounds++
  const peerRefused = await receiveItems(session, new Set(wanted))
  if (peerRefused > 0) {
    session.log('%p refused %d of our items', session.peer, peerRefused)
  }
}

/** Collect the responder's difference, chunk by chunk, from the first decoded reply on. */
async function readDifference (session: Session, first: Reply, max: number): Promise<Difference> {
  const have: bigint[] = []
  const want: bigint[] = []
  let reply = first
  while (true) {
    if (!reply.decoded) {
      throw new InvalidSyncMessageError('reply chunk after the difference is not marked decoded')
    }
    const h = unpackSymbols(reply.have, MAX_REPLY_SYMBOLS)
    const w = unpackSymbols(reply.want, MAX_REPLY_SYMBOLS)
    if (have.length + want.length + h.length + w.length > max) {
      throw new SyncLimitError(`difference of more than ${max} symbols`)
    }
    have.push(...h)
    want.push(...w)
    if (reply.last) {
      return { have, want }
    }
    const { message } = await session.channel.expect(['reply'], { signal: session.signal })
    reply = message.reply
  }
}
