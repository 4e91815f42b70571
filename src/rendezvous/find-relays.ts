/**
 * The client side of the rendezvous: find relays as providers of {@link RENDEZVOUS_CID} and
 * return the ones that answer a dial. Any content router of the node serves (a kad-dht client
 * is enough); connections to the relays returned are left open for the caller to use.
 */
import { RENDEZVOUS_CID } from './cid.ts'
import { DEFAULT_DIAL_TIMEOUT, DEFAULT_FIND_RELAYS_MAX, DEFAULT_FIND_RELAYS_TIMEOUT } from './constants.ts'
import { progress } from './types.ts'
import type { RendezvousProgressEvents } from './types.ts'
import type { Libp2p, PeerId } from '@libp2p/interface'

export interface FindRelaysOptions {
  /** Cancels the search and its dials; `findRelays` then rejects with the signal's reason. */
  signal: AbortSignal
  /** Stop once this many relays are connected. @default 4 */
  max?: number
  /** How long to search, in ms; then the relays reached so far are returned. @default 30_000 */
  timeout?: number
  /** How long one dial may take, in ms. @default 10_000 */
  dialTimeout?: number
  /** Receives kad-dht query progress and `rendezvous:provider|dial|dial-failed|connected`. */
  onProgress?(evt: RendezvousProgressEvents): void
}

/** The parts of a libp2p node `findRelays` uses. */
export type FindRelaysNode = Pick<Libp2p, 'peerId' | 'contentRouting' | 'dial'>

/**
 * Find up to `max` reachable relays through the rendezvous. Providers are dialled as they
 * arrive, at most `max` at a time, and the search ends when `max` relays are connected, when
 * the look-up has nobody left to ask, or after `timeout`. Returns the connected relays in the
 * order their dials succeeded: empty when none was found or none answered.
 *
 * Throws the signal's reason when `signal` aborts, and the routing error (for example libp2p's
 * `NoContentRoutersError` on a node without a DHT) when the look-up fails before any relay
 * was reached.
 */
export async function findRelays (node: FindRelaysNode, options: FindRelaysOptions): Promise<PeerId[]> {
  const { signal, onProgress } = options
  signal.throwIfAborted()
  const max = options.max ?? DEFAULT_FIND_RELAYS_MAX
  const dialTimeout = options.dialTimeout ?? DEFAULT_DIAL_TIMEOUT
  if (max <= 0) return []

  const enough = new AbortController()
  const deadline = AbortSignal.timeout(options.timeout ?? DEFAULT_FIND_RELAYS_TIMEOUT)
  const search = AbortSignal.any([signal, enough.signal, deadline])
  const connected: PeerId[] = []
  const waiting: PeerId[] = []
  const seen = new Set<string>()
  const dials = new Set<Promise<void>>()

  const dial = async (id: PeerId): Promise<void> => {
    onProgress?.(progress('rendezvous:dial', id))
    try {
      await node.dial(id, { signal: AbortSignal.any([signal, enough.signal, AbortSignal.timeout(dialTimeout)]) })
    } catch (err: any) {
      onProgress?.(progress('rendezvous:dial-failed', { peer: id, error: err }))
      return
    }
    connected.push(id)
    onProgress?.(progress('rendezvous:connected', id))
    if (connected.length >= max) enough.abort()
  }
  // start dials while there are candidates and free slots; called again as each dial settles
  const pump = (): void => {
    while (waiting.length > 0 && connected.length + dials.size < max && !search.aborted) {
      const id = waiting.shift() as PeerId
      const pending: Promise<void> = dial(id).finally(() => {
        dials.delete(pending)
        pump()
      })
      dials.add(pending)
    }
  }

  let failure: unknown
  try {
    for await (const peer of node.contentRouting.findProviders(RENDEZVOUS_CID, { signal: search, onProgress })) {
      const key = peer.id.toString()
      if (peer.id.equals(node.peerId) || seen.has(key)) continue
      seen.add(key)
      onProgress?.(progress('rendezvous:provider', peer.id))
      waiting.push(peer.id)
      pump()
      if (search.aborted) break
    }
  } catch (err) {
    // the search ending on its bound or on `max` is the normal way out
    if (!deadline.aborted && !enough.signal.aborted) failure = err
  }
  while (dials.size > 0) {
    await Promise.allSettled([...dials])
  }
  signal.throwIfAborted()
  if (failure != null && connected.length === 0) throw failure
  return connected
}
