/**
 * Finding relays a client was not told about.
 *
 * First the connected peers that speak the relay protocol and that `accept` takes (the client
 * accepts the bootstrap peers it was given, not any peer that happens to be connected and
 * announces the protocol), waiting a bounded time for identify to tell; then, when the node runs
 * the DHT, the rendezvous: relays provide RENDEZVOUS_CID, and `src/rendezvous/` finds and dials
 * them.
 */
import { second } from '../constants.ts'
import { RELAY_PROTOCOL } from '../relay/protocol.ts'
import { findRelays as rendezvousFindRelays } from '../rendezvous/index.ts'
import type { IptsNode } from '../node.ts'
import type { AbortOptions, IdentifyResult, PeerId } from '@libp2p/interface'

export interface FindRelaysOptions extends AbortOptions {
  /** How long to wait for a connected peer to identify as a relay when none is known yet, ms. @default 3 seconds */
  settle?: number
  /** Most relays returned. @default 16 */
  limit?: number
  /** How long the rendezvous search may take, ms. @default 10 seconds */
  searchTimeout?: number
  /** Which connected peers may be used as relays (the rendezvous's finds always may). @default every one */
  accept?(peer: PeerId): boolean
}

/** Relays known to this node now, else the first to identify within `settle`, else the rendezvous's. */
export async function findRelays (node: IptsNode, options: FindRelaysOptions = {}): Promise<PeerId[]> {
  const limit = options.limit ?? 16
  const accept = options.accept ?? (() => true)
  const known = (await connectedRelays(node, limit)).filter(accept)
  if (known.length > 0) return known
  if (node.getConnections().some(c => accept(c.remotePeer)) && await relayIdentified(node, accept, options)) {
    return (await connectedRelays(node, limit)).filter(accept)
  }
  if (node.services.dht == null) return []
  try {
    return await rendezvousFindRelays(node, {
      signal: options.signal ?? new AbortController().signal,
      max: limit,
      timeout: options.searchTimeout ?? 10 * second
    })
  } catch {
    // no DHT peers to ask, or aborted: no relay found this way
    return []
  }
}

/** Waits, at most `settle` ms, for a connected peer that `accept` takes to identify itself as a relay. */
async function relayIdentified (node: IptsNode, accept: (peer: PeerId) => boolean, options: FindRelaysOptions): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const done = (found: boolean): void => {
      clearTimeout(timer)
      node.removeEventListener('peer:identify', onIdentify)
      options.signal?.removeEventListener('abort', onAbort)
      resolve(found)
    }
    const onIdentify = (evt: CustomEvent<IdentifyResult>): void => {
      if (evt.detail.protocols.includes(RELAY_PROTOCOL) && accept(evt.detail.peerId)) done(true)
    }
    const onAbort = (): void => { done(false) }
    const timer = setTimeout(() => { done(false) }, options.settle ?? 3 * second)
    node.addEventListener('peer:identify', onIdentify)
    options.signal?.addEventListener('abort', onAbort)
  })
}

/** Connected peers that identified as relays. */
export async function connectedRelays (node: IptsNode, limit = 16): Promise<PeerId[]> {
  const seen = new Set<string>()
  const relays: PeerId[] = []
  for (const connection of node.getConnections()) {
    const peer = connection.remotePeer
    if (seen.has(peer.toString())) continue
    seen.add(peer.toString())
    try {
      const { protocols } = await node.peerStore.get(peer)
      if (protocols.includes(RELAY_PROTOCOL)) relays.push(peer)
    } catch {
      // not in the peer store (yet): not known to be a relay
    }
    if (relays.length >= limit) break
  }
  return relays
}
