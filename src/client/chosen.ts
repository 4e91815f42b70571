/**
 * Finding and reaching a receiver's chosen relays (protocol section 12): resolve its relay-list
 * record through the relays we reach (libp2p fetch of `/ipns/` + its multihash, as any IPNS name),
 * then dial the relays it names.
 */
import { multiaddr } from '@multiformats/multiaddr'
import { IptsError } from '../errors.ts'
import { isBetter, nameRoutingKey } from '../record/index.ts'
import { relayListFromValue } from './relay-list.ts'
import { anySignal, shortPeer } from './util.ts'
import type { RelayList } from './relay-list.ts'
import type { IptsNode } from '../node.ts'
import type { IptsRecord, RecordValidator } from '../record/index.ts'
import type { AbortOptions, PeerId } from '@libp2p/interface'

export interface ResolvedRelayList {
  list: RelayList
  /** The record that carried it. */
  record: IptsRecord
}

export interface ResolveListResult {
  /** The best valid list any relay had. */
  resolved?: ResolvedRelayList
  /** Relays that answered with something refused (forged, stale copies are fine), or failed. */
  refused: string[]
}

/**
 * Asks every relay for `peer`'s name record and keeps the best one that validates against the
 * name (a list signed by anyone else fails: KeyMismatchError) and holds a relay list.
 */
export async function resolveRelayList (node: IptsNode, validator: RecordValidator, relays: PeerId[], peer: PeerId,
  options: AbortOptions & { now: number, timeout: number }): Promise<ResolveListResult> {
  const key = nameRoutingKey(peer.toMultihash().bytes)
  let best: IptsRecord | undefined
  let list: RelayList | undefined
  const refused: string[] = []
  await Promise.all(relays.map(async relay => {
    try {
      const bytes = await node.services.fetch.fetch(relay, key, { signal: anySignal([options.signal, AbortSignal.timeout(options.timeout)]) })
      if (bytes == null) return
      const record = validator.validate(bytes, { now: options.now, routingKey: key })
      if (!isBetter(record, best)) return
      const candidate = relayListFromValue(record.value)
      best = record
      list = candidate
    } catch (err: any) {
      if (!(err instanceof IptsError) && options.signal?.aborted === true) throw err
      refused.push(`${shortPeer(relay)}: ${err?.message ?? String(err)}`)
    }
  }))
  return { resolved: best == null || list == null ? undefined : { list, record: best }, refused }
}

/** Dials the listed relays (in parallel, bounded) and returns those reached, in the list's order. */
export async function dialChosen (node: IptsNode, list: RelayList, options: AbortOptions & { timeout: number }): Promise<{ reached: PeerId[], failed: Array<{ relay: string, error: Error }> }> {
  const failed: Array<{ relay: string, error: Error }> = []
  const results = await Promise.all(list.relays.map(async addr => {
    try {
      const connection = await node.dial(multiaddr(addr), { signal: anySignal([options.signal, AbortSignal.timeout(options.timeout)]) })
      return connection.remotePeer
    } catch (err: any) {
      failed.push({ relay: addr, error: err })
      return undefined
    }
  }))
  return { reached: results.filter((p): p is PeerId => p != null), failed }
}
