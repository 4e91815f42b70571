import { InboxBusyError } from '../../errors.ts'
import { RelayResponse } from '../../pb/relay.ts'
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../protocol.ts'
import type { Handler, HandlerContext, Reply } from './index.ts'
import type { InboxLease } from '../inbox-budget.ts'
import type { AbortOptions } from '@libp2p/interface'

/**
 * INBOX: stream every live record under `key` in pages. The drain is admitted by the inbox
 * budget first (per peer, per IP, in all; it waits for a slot at most twice the stall timeout). Each
 * page reserves its bytes before it is read from disk (at most `pageBytes`, and 256 records),
 * and gives them back once the reader took it: memory stays at one bounded page per admitted
 * stream however many records the tag holds, and a reader that stops reading is aborted after
 * the stall timeout (by the reply). A drain that finds no room is answered `REFUSED` with
 * `InboxBusyError`.
 */
export const handleInbox: Handler = async (request, context, reply, options) => {
  const limit = Math.max(1, Math.min(request.pageSize ?? DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE))
  // a drain holding the room wanted is aborted at most one stall timeout after its reader last
  // took something, and that timer may have started just before this request came: wait twice
  // as long, so a queued honest drain outlasts the stalled ones instead of racing them
  const wait = { timeout: 2 * context.stallTimeout, signal: options.signal }
  let lease: InboxLease
  try {
    lease = await context.inbox.admit(context.remotePeer.toString(), context.remoteHost, wait)
  } catch (err) {
    if (await refusedBusy(err, context, reply, options)) return
    throw err
  }
  try {
    let after = request.cursor
    while (true) {
      options.signal?.throwIfAborted()
      const reserved = context.inbox.pageBytes
      try {
        await lease.reserve(reserved, wait)
      } catch (err) {
        if (await refusedBusy(err, context, reply, options)) return
        throw err
      }
      const page = await context.store.page(request.key, { after, limit, maxBytes: reserved, now: context.now() })
      lease.release(reserved - page.bytes)
      context.counters.inboxRecordsServed += page.records.length
      await reply({
        status: RelayResponse.Status.OK,
        records: page.records,
        cursor: page.cursor,
        done: page.done
      }, options)
      lease.release(page.bytes)
      if (page.done || page.cursor == null) {
        context.counters.inboxDrains++
        return
      }
      after = page.cursor
    }
  } finally {
    lease.close()
  }
}

/** An `InboxBusyError` is answered `REFUSED` (counted as `inboxBusy`): true when `err` was one. */
async function refusedBusy (err: unknown, context: HandlerContext, reply: Reply, options: AbortOptions): Promise<boolean> {
  if (!(err instanceof InboxBusyError)) return false
  context.counters.inboxBusy++
  await reply({ status: RelayResponse.Status.REFUSED, error: err.name, records: [], done: true }, options)
  return true
}
