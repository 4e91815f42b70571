/**
 * A receiver's chosen relays (protocol section 12): the relays it wants its mail kept on, in
 * order, and how many of them must hold a message.
 *
 * The list travels as the receiver's own plain IPNS record: routing key `/ipns/` + its peer-ID
 * multihash, signed by its identity key, so relays store, sync, republish and serve it (libp2p
 * fetch) like any IPNS name, a higher sequence replaces it, and a list signed by anyone else
 * fails validation (`KeyMismatchError`) at every relay and client. The value is an `/ipfs/` path
 * of an inline CID (identity multihash, codec dag-cbor) of the block
 * `{ ipts: "relays/1", n: uint, a: [multiaddr string] }`. Any IPNS resolver reads it.
 *
 * Pure: no I/O.
 */
import * as dagCbor from '@ipld/dag-cbor'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { CID } from 'multiformats/cid'
import { identity } from 'multiformats/hashes/identity'
import { InvalidRelayListError } from '../errors.ts'
import { parseIpfsPath } from './value.ts'

/** The dag-cbor codec. */
const DAG_CBOR_CODEC = 0x71
/** What `ipts` says the block is. */
export const RELAY_LIST_FORMAT = 'relays/1'
/** Most relays one list may name. */
export const MAX_CHOSEN_RELAYS = 16
/** Longest multiaddr in a list, in characters. */
export const MAX_RELAY_ADDR_LENGTH = 256

export interface RelayList {
  /** Multiaddrs ending in `/p2p/<relay peer ID>`, in the receiver's order of preference. */
  relays: string[]
  /** How many of them should hold each message (custody). */
  min: number
}

/**
 * Checks a list and returns it normalised (addresses trimmed).
 *
 * @throws InvalidRelayListError naming what is wrong
 */
export function checkRelayList (list: RelayList): RelayList {
  if (!Array.isArray(list.relays) || list.relays.length === 0 || list.relays.length > MAX_CHOSEN_RELAYS) {
    throw new InvalidRelayListError(`a relay list names 1 to ${MAX_CHOSEN_RELAYS} relays`)
  }
  const relays = list.relays.map(addr => checkAddr(addr))
  const peers = new Set(relays.map(addr => relayPeerOf(addr)))
  if (peers.size !== relays.length) {
    throw new InvalidRelayListError('a relay list names each relay once')
  }
  if (!Number.isSafeInteger(list.min) || list.min < 1 || list.min > relays.length) {
    throw new InvalidRelayListError(`the number of relays that must hold a message is 1 to ${relays.length}, not ${String(list.min)}`)
  }
  return { relays, min: list.min }
}

/** The record value for a list. */
export function relayListToValue (list: RelayList): string {
  const checked = checkRelayList(list)
  const block = dagCbor.encode({ ipts: RELAY_LIST_FORMAT, n: checked.min, a: checked.relays })
  return `/ipfs/${CID.createV1(DAG_CBOR_CODEC, identity.digest(block)).toString()}`
}

/**
 * The list a record value holds.
 *
 * @throws InvalidRelayListError if the value is not a relay list
 */
export function relayListFromValue (value: string): RelayList {
  const parsed = parseIpfsPath(value)
  if (parsed == null || parsed.path !== '' || parsed.cid.code !== DAG_CBOR_CODEC || parsed.cid.multihash.code !== identity.code) {
    throw new InvalidRelayListError('the name does not point at an inline relay list')
  }
  let block: any
  try {
    block = dagCbor.decode(parsed.cid.multihash.digest)
  } catch (err) {
    throw new InvalidRelayListError('the relay list is not valid DAG-CBOR', { cause: err })
  }
  if (block == null || typeof block !== 'object' || block.ipts !== RELAY_LIST_FORMAT) {
    throw new InvalidRelayListError(`the name points at something other than a ${RELAY_LIST_FORMAT} relay list`)
  }
  if (!Array.isArray(block.a) || !block.a.every((a: unknown) => typeof a === 'string') || typeof block.n !== 'number') {
    throw new InvalidRelayListError('a relay list has a list of addresses `a` and a number `n`')
  }
  return checkRelayList({ relays: block.a, min: block.n })
}

/** The relay peer ID string at the end of a list address. */
export function relayPeerOf (addr: string): string {
  const peer = multiaddr(addr).getComponents().findLast(c => c.name === 'p2p')?.value
  if (peer == null) throw new InvalidRelayListError(`${addr} does not end in /p2p/<peer ID>`)
  return peer
}

function checkAddr (addr: unknown): string {
  if (typeof addr !== 'string' || addr.trim().length === 0 || addr.length > MAX_RELAY_ADDR_LENGTH) {
    throw new InvalidRelayListError(`relay addresses are multiaddr strings of at most ${MAX_RELAY_ADDR_LENGTH} characters`)
  }
  const text = addr.trim()
  try {
    multiaddr(text)
    peerIdFromString(relayPeerOf(text))
  } catch (err: any) {
    if (err?.name === InvalidRelayListError.name) throw err
    throw new InvalidRelayListError(`${text} is not a relay multiaddr with /p2p/<peer ID>: ${err?.message ?? String(err)}`)
  }
  return text
}
