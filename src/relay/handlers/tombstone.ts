import { IptsError } from '../../errors.ts'
import { parseRoutingKey } from '../../record/index.ts'
import type { HandlerContext } from './index.ts'

/**
 * The sequence a live tombstone covers for (routing key, signer): the receiver acknowledged the
 * signer's records up to it. Undefined for plain names, routing keys that do not parse, or when
 * there is no tombstone.
 */
export async function ackedSequence (context: HandlerContext, routingKey: Uint8Array, signer: Uint8Array, now: number): Promise<bigint | undefined> {
  let parsed
  try {
    parsed = parseRoutingKey(routingKey)
  } catch (err) {
    if (err instanceof IptsError) return undefined
    throw err
  }
  if (parsed.kind !== 'tagged') return undefined
  return (await context.store.tombstone(parsed.multihash, signer, now))?.sequence
}
