/** Peer IDs typed by users: parsed and checked before any network work (a light module the CLI loads early). */
import { peerIdFromString } from '@libp2p/peer-id'
import { InvalidPeerIdError } from '../errors.ts'
import type { PeerId } from '@libp2p/interface'

/**
 * A peer ID from a string (or a peer ID), checked: ipts receivers must be Ed25519 keys, since
 * payloads are sealed to them.
 *
 * @throws InvalidPeerIdError
 */
export function parsePeerId (input: PeerId | string, options: { anyKeyType?: boolean } = {}): PeerId {
  let peer: PeerId
  if (typeof input === 'string') {
    try {
      peer = peerIdFromString(input.trim())
    } catch {
      throw new InvalidPeerIdError(`"${input}" is not a peer ID`)
    }
  } else {
    peer = input
  }
  if (options.anyKeyType !== true && peer.type !== 'Ed25519') {
    throw new InvalidPeerIdError(`${peer.toString()} is a ${peer.type} peer ID; ipts peers are Ed25519`)
  }
  return peer
}
