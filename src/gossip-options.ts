/**
 * gossipsub settings every ipts node runs, in Node (`node.ts`) and in the browser
 * (`web/node.ts`): kept in a module of its own so that the browser bundle can import it without
 * Node's transports.
 *
 * @module
 */
import type { GossipsubOpts } from '@libp2p/gossipsub'

export function baseGossipsubOptions (): Partial<GossipsubOpts> {
  return {
    // gossipsub rewrites a peer's peer-store record once per topic on every mesh join when
    // this is on: quadratic in topics (BRIEF, measured). Relays hold thousands of topics.
    tagMeshPeers: false,
    allowPublishToZeroTopicPeers: true,
    ignoreDuplicatePublishError: true,
    emitSelf: false
  }
}
