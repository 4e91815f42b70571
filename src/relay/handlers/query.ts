import { RelayResponse } from '../../pb/relay.ts'
import { ackedSequence } from './tombstone.ts'
import type { Handler } from './index.ts'

/**
 * QUERY (custody query): the sequence held for (key, signer), if any, with the record itself
 * when asked (`with_record`), and the sequence a live tombstone covers (`acked`). A sender that
 * lost its state asks this before numbering its next record to the receiver.
 */
export const handleQuery: Handler = async (request, context, reply, options) => {
  const now = context.now()
  const [held, acked] = await Promise.all([
    context.store.query(request.key, request.signer),
    ackedSequence(context, request.key, request.signer, now)
  ])
  if (held == null || held.eol < now) {
    context.counters.custody('query-not-found')
    await reply({ status: RelayResponse.Status.NOT_FOUND, acked, records: [], done: true }, options)
    return
  }
  context.counters.custody('query-ok')
  const record = request.withRecord === true ? await context.store.get(request.key, request.signer, now) : undefined
  await reply({ status: RelayResponse.Status.OK, sequence: held.sequence, acked, records: record == null ? [] : [record], done: true }, options)
}
