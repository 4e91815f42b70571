/**
 * The relay protocol's server: one file per request type behind one interface, dispatched from
 * a table. An unknown type is an InvalidMessageError.
 */
import { InvalidMessageError } from '@libp2p/interface'
import { RelayRequest } from '../../pb/relay.ts'
import { handleAck } from './ack.ts'
import { handleInbox } from './inbox.ts'
import { handlePut } from './put.ts'
import { handleQuery } from './query.ts'
import type { Budgets } from '../budget.ts'
import type { Counters } from '../counters.ts'
import type { InboxBudget } from '../inbox-budget.ts'
import type { Ingest } from '../ingest.ts'
import type { RecordStore } from '../store.ts'
import type { RelayResponse } from '../../pb/relay.ts'
import type { AbortOptions, Logger, PeerId } from '@libp2p/interface'

export interface HandlerContext {
  store: RecordStore
  ingest: Ingest
  counters: Counters
  budgets: Budgets
  log: Logger
  now(): number
  /** An ack was applied: forward it to other relays. */
  onAck(ackBytes: Uint8Array): void
  remotePeer: PeerId
  /** The connection's host (`hostKey`): the budget and uploader key of the peer's address. */
  remoteHost: string
  /** What inbox drains may hold at once. */
  inbox: InboxBudget
  /** Time a wait for room or for the reader may take without progress, ms. */
  stallTimeout: number
}

/**
 * Writes one response; resolves once it has left the stream's buffer (the reader took it), and
 * rejects with `StreamStalledError` when the reader takes nothing for the stall timeout.
 */
export type Reply = (response: RelayResponse, options?: AbortOptions) => Promise<void>

export interface Handler {
  (request: RelayRequest, context: HandlerContext, reply: Reply, options: AbortOptions): Promise<void>
}

const handlers: Record<RelayRequest.Type, Handler> = {
  [RelayRequest.Type.INBOX]: handleInbox,
  [RelayRequest.Type.PUT]: handlePut,
  [RelayRequest.Type.QUERY]: handleQuery,
  [RelayRequest.Type.ACK]: handleAck
}

export function handlerFor (type: RelayRequest.Type): Handler {
  const handler = handlers[type]
  if (handler == null) {
    throw new InvalidMessageError(`unknown relay request type ${String(type)}`)
  }
  return handler
}
