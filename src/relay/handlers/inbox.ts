import { RelayResponse } from '../../pb/relay.ts'
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../protocol.ts'
import type { Handler } from './index.ts'

/**
 * INBOX: stream every live record under `key` in pages. One page is read from disk at a time and
 * the next read waits until the stream has drained, so memory stays at one page per stream
 * however many records the tag holds.
 */
export const handleInbox: Handler = async (request, context, reply, options) => {
  const limit = Math.max(1, Math.min(request.pageSize ?? DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE))
  let after = request.cursor
  while (true) {
    options.signal?.throwIfAborted()
    const page = await context.store.page(request.key, { after, limit, now: context.now() })
    context.counters.inboxRecordsServed += page.records.length
    await reply({
      status: RelayResponse.Status.OK,
      records: page.records,
      cursor: page.cursor,
      done: page.done
    }, options)
    if (page.done || page.cursor == null) {
      context.counters.inboxDrains++
      return
    }
    after = page.cursor
  }
}
