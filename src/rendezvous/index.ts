/**
 * Rendezvous: relays find each other, and clients find relays, as providers of one fixed CID
 * in the kad-dht (`/ipts/kad/1.0.0` by default, the public `/ipfs/kad/1.0.0` with `--public`).
 *
 * - {@link RENDEZVOUS_CID}: CIDv1(raw, sha2-256("ipts/relay/rendezvous/v1")).
 * - {@link Rendezvous}: the relay side; provides the CID, finds the other relays, keeps
 *   connections to up to `maxRelayConnections` of them.
 * - {@link findRelays}: the client side; returns relays that answered a dial.
 */
export { RENDEZVOUS_CID, RENDEZVOUS_CID_STRING, RENDEZVOUS_KEY } from './cid.ts'
export { Rendezvous } from './rendezvous.ts'
export type { RendezvousInit, RendezvousEvents, FindResult } from './rendezvous.ts'
export { findRelays } from './find-relays.ts'
export type { FindRelaysOptions, FindRelaysNode } from './find-relays.ts'
export type { RendezvousNode, RendezvousProgressEvents, ProgressEvent } from './types.ts'
export { RELAY_TAG, RELAY_TAG_VALUE } from './constants.ts'
