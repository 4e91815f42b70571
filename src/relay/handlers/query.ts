import { RelayResponse } from '../../pb/relay.ts'
import type { Handler } from './index.ts'

/** QUERY (custody query): the sequence held for (key, signer), if any. */
export const handleQuery: Handler = async (request, context, reply, options) => {
  const held = await context.store.query(request.key, request.signer)
  if (held == null || held.eol < context.now()) {
    await reply({ status: RelayResponse.Status.NOT_FOUND, records: [], done: true }, options)
    return
  }
  await reply({ status: RelayResponse.Status.OK, sequence: held.sequence, records: [], done: true }, options)
}
