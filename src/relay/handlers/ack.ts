import { validateAck } from '../../record/index.ts'
import { IptsError } from '../../errors.ts'
import { refusalReason } from '../refusals.ts'
import { RelayResponse } from '../../pb/relay.ts'
import { budgetReason } from '../budget.ts'
import type { Handler } from './index.ts'

/**
 * ACK: charged to the sender's `ack` budget (per peer and per address) before its signature is
 * checked; verify the statement was signed by the tag's owner, delete what it covers, keep the
 * tombstones the store's rules allow, then forward it to other relays. Answers once the store
 * has applied it, or REFUSED with the store's error when it cannot write (a full disk).
 */
export const handleAck: Handler = async (request, context, reply, options) => {
  if (request.ack == null) {
    await reply({ status: RelayResponse.Status.ERROR, error: 'MissingAck', records: [], done: true }, options)
    return
  }
  const verdict = context.budgets.take('ack', context.remotePeer.toString(), context.remoteHost, context.now())
  if (verdict !== 'ok') {
    const reason = budgetReason(verdict)
    context.counters.refused(reason, 'ack')
    await reply({ status: RelayResponse.Status.REFUSED, error: reason, records: [], done: true }, options)
    return
  }
  let ack, applied
  try {
    ack = validateAck(request.ack)
    // may fail on a full or failing disk (DiskFullError, StoreWriteError), or while the store
    // reopens after one: refused the same way as an invalid ack
    applied = await context.store.applyAck(ack, context.now())
  } catch (err: any) {
    if (!(err instanceof IptsError)) throw err
    context.counters.refused(refusalReason(err), 'ack')
    await reply({ status: RelayResponse.Status.REFUSED, error: err.name, records: [], done: true }, options)
    return
  }
  const { deleted, tombstoned, refused } = applied
  if (refused > 0) context.counters.refused('AckStateFullError', 'ack')
  if (deleted + tombstoned > 0) {
    context.counters.acksApplied++
    context.onAck(ack.bytes)
  }
  await reply({ status: RelayResponse.Status.OK, deleted, records: [], done: true }, options)
}
