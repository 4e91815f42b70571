/** Types shared by the relay side ({@link Rendezvous}) and the client side (`findRelays`). */
import type { DHTProgressEvents, KadDHT } from '@libp2p/kad-dht'
import type { Libp2p, PeerId } from '@libp2p/interface'

/** A node that can take part in the rendezvous: any libp2p node whose `services.dht` is kad-dht. */
export type RendezvousNode = Libp2p<{ dht?: KadDHT }>

/** A progress event: the `{ type, detail }` shape libp2p's `onProgress` callbacks receive. */
export interface ProgressEvent<T extends string = string, D = unknown> {
  type: T
  detail: D
}

/** Progress of a rendezvous operation: our own steps plus kad-dht's query events. */
export type RendezvousProgressEvents =
  | DHTProgressEvents
  | ProgressEvent<'rendezvous:provider', PeerId>
  | ProgressEvent<'rendezvous:dial', PeerId>
  | ProgressEvent<'rendezvous:dial-failed', { peer: PeerId, error: Error }>
  | ProgressEvent<'rendezvous:connected', PeerId>

export function progress<T extends string, D> (type: T, detail: D): ProgressEvent<T, D> {
  return { type, detail }
}
