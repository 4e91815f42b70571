import { RelayResponse } from '../../pb/relay.ts'
import { budgetReason } from '../budget.ts'
import { ackedSequence } from './tombstone.ts'
import type { Handler } from './index.ts'

/**
 * PUT (custody): charged to the sender's `put` budget (per peer and per address), then the
 * record goes through the same ingest path as a topic message, counted against the sender's
 * address for eviction. The answer says what the relay now holds for (key, signer), and carries
 * that record: a stale record still gets OK when the relay holds that sequence or better, which
 * is what custody asks, and the sender checks the record it gets back (its own bytes, or a later
 * record it signed) before it counts the confirmation. A record covered by a tombstone is
 * refused as `tombstoned` with the tombstone's sequence in `acked`, so a sender that lost its
 * state can number its next record above it. A record stored just now is answered with itself,
 * without reading the store again (the online path's custody answer).
 */
export const handlePut: Handler = async (request, context, reply, options) => {
  if (request.record == null) {
    await reply({ status: RelayResponse.Status.ERROR, error: 'MissingRecord', records: [], done: true }, options)
    return
  }
  const now = context.now()
  const verdict = context.budgets.take('put', context.remotePeer.toString(), context.remoteHost, now)
  if (verdict !== 'ok') {
    const reason = budgetReason(verdict)
    context.counters.refused(reason, 'custody')
    context.counters.custody('put-refused')
    await reply({ status: RelayResponse.Status.REFUSED, error: reason, records: [], done: true }, options)
    return
  }
  const result = await context.ingest.ingest(request.record, { now, routingKey: request.key, source: 'custody', from: context.remoteHost })
  if (result.status === 'invalid' || result.status === 'refused') {
    context.counters.custody('put-refused')
    await reply({ status: RelayResponse.Status.REFUSED, error: result.reason, records: [], done: true }, options)
    return
  }
  if (result.status === 'stored') {
    // what the relay holds now is this record: answer without reading it back
    context.counters.custody('put-ok')
    await reply({ status: RelayResponse.Status.OK, sequence: result.record.sequence, records: [result.record.bytes], done: true }, options)
    return
  }
  const { routingKey, signer } = result.record
  const held = await context.store.query(routingKey, signer)
  const bytes = held == null ? undefined : await context.store.get(routingKey, signer, now)
  if (held == null || bytes == null) {
    // tombstoned: the receiver already acknowledged this sequence, which is custody's end
    const acked = await ackedSequence(context, result.record.routingKey, result.record.signer, now)
    context.counters.custody('put-tombstoned')
    await reply({ status: RelayResponse.Status.REFUSED, error: result.status, acked, records: [], done: true }, options)
    return
  }
  context.counters.custody('put-ok')
  await reply({ status: RelayResponse.Status.OK, sequence: held.sequence, records: [bytes], done: true }, options)
}
