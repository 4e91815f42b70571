/**
 * Ingest budgets: how much one peer, and one network address, may make the relay do per minute,
 * on each path a stranger can reach. A budget is a pair of token buckets, one keyed by the
 * sending peer's ID and one by its address (the IPv4 address, or the /64 of an IPv6 address,
 * taken from the connection the request arrived on), and a request needs a token from both:
 * fresh peer IDs from one host share the host's address budget.
 *
 * | kind     | charged for                                                         | per peer / min | per address / min |
 * | -------- | ------------------------------------------------------------------- | -------------: | ----------------: |
 * | `put`    | a custody `PUT` (relay protocol)                                    | 120            | 600               |
 * | `ack`    | an `ACK` (relay protocol), an ack on the acks topic from a non-relay | 60             | 300               |
 * | `gossip` | a record message on a record topic, keyed by the peer it came from  | 600            | 3,000             |
 * | `relay`  | anything a relay peer sends: sync items, forwarded records and acks | 20,000         | 40,000            |
 *
 * Each bucket holds a minute's worth (the burst) and refills continuously. Loopback is not
 * exempt: tests and simulations that run many peers on 127.0.0.1 raise the per-address budgets.
 * Buckets live in bounded LRU maps (`maxTrackedPeers` entries per map): a peer or address that
 * is forgotten starts again with a full bucket.
 *
 * `take` checks and charges in one step (the relay protocol and sync). Gossip validators that
 * only learn a message's cost after validating it (a duplicate costs less than a new record) use
 * `allow` before and `charge` after; a charge may leave a bucket in debt, which later requests
 * repay before they are allowed.
 */
import { isIPv4, isIPv6 } from 'node:net'
import { LRUCache } from 'lru-cache'
import { minute } from '../constants.ts'
import {
  DEFAULT_MAX_ACKS_PER_IP_PER_MINUTE, DEFAULT_MAX_ACKS_PER_PEER_PER_MINUTE, DEFAULT_MAX_PUBLISHES_PER_IP_PER_MINUTE,
  DEFAULT_MAX_PUBLISHES_PER_PEER_PER_MINUTE, DEFAULT_MAX_PUTS_PER_IP_PER_MINUTE, DEFAULT_MAX_PUTS_PER_PEER_PER_MINUTE,
  DEFAULT_MAX_RELAY_ITEMS_PER_IP_PER_MINUTE, DEFAULT_MAX_RELAY_ITEMS_PER_PEER_PER_MINUTE, DEFAULT_MAX_TRACKED_PEERS,
  IPV6_SUBNET_BITS
} from './constants.ts'
import type { Multiaddr } from '@multiformats/multiaddr'

export interface BudgetInit {
  /** custody `PUT`s one peer may make per minute (also the burst). @default 120 */
  maxPutsPerPeerPerMinute?: number
  /** custody `PUT`s one address (IPv4, or IPv6 /64) may make per minute. @default 600 */
  maxPutsPerIpPerMinute?: number
  /** acks one peer may send per minute (relay protocol and acks topic). @default 60 */
  maxAcksPerPeerPerMinute?: number
  /** acks one address may send per minute. @default 300 */
  maxAcksPerIpPerMinute?: number
  /** record messages one peer may forward to the relay per minute over gossip. @default 600 */
  maxPublishesPerPeerPerMinute?: number
  /** record messages one address may forward per minute over gossip. @default 3000 */
  maxPublishesPerIpPerMinute?: number
  /** items (sync items, forwarded records and acks) one relay peer may send per minute. @default 20_000 */
  maxRelayItemsPerPeerPerMinute?: number
  /** items one relay address may send per minute. @default 40_000 */
  maxRelayItemsPerIpPerMinute?: number
  /** peers, and addresses, whose buckets are kept per kind (least recently seen are forgotten). @default 10_000 */
  maxTrackedPeers?: number
}

/** What a budget is charged for; see the table at the top of this file. */
export type BudgetKind = 'put' | 'ack' | 'gossip' | 'relay'

/** `ok`, or which bucket ran out: the peer's or its address's. */
export type BudgetVerdict = 'ok' | 'peer' | 'ip'

interface Bucket {
  tokens: number
  updated: number
}

/** One kind's buckets: per peer and per address. */
class Buckets {
  readonly perMinute: number
  private readonly map: LRUCache<string, Bucket>

  constructor (perMinute: number, max: number) {
    this.perMinute = Math.max(0, perMinute)
    this.map = new LRUCache({ max: Math.max(1, max) })
  }

  /** The bucket of `key` refilled to `now` (created full). */
  private bucket (key: string, now: number): Bucket {
    const capacity = this.perMinute
    let b = this.map.get(key)
    if (b == null) {
      b = { tokens: capacity, updated: now }
      this.map.set(key, b)
      return b
    }
    const elapsed = Math.max(0, now - b.updated)
    b.tokens = Math.min(capacity, b.tokens + elapsed * capacity / minute)
    b.updated = Math.max(b.updated, now)
    return b
  }

  has (key: string, now: number, cost: number): boolean {
    if (this.perMinute === Infinity) return true
    return this.bucket(key, now).tokens >= cost
  }

  charge (key: string, now: number, cost: number): void {
    if (this.perMinute === Infinity) return
    const b = this.bucket(key, now)
    // a debt never exceeds one burst, so a peer is never locked out for more than two minutes
    b.tokens = Math.max(-this.perMinute, b.tokens - cost)
  }
}

export class Budgets {
  private readonly peers: Record<BudgetKind, Buckets>
  private readonly ips: Record<BudgetKind, Buckets>

  constructor (init: BudgetInit = {}) {
    const max = init.maxTrackedPeers ?? DEFAULT_MAX_TRACKED_PEERS
    this.peers = {
      put: new Buckets(init.maxPutsPerPeerPerMinute ?? DEFAULT_MAX_PUTS_PER_PEER_PER_MINUTE, max),
      ack: new Buckets(init.maxAcksPerPeerPerMinute ?? DEFAULT_MAX_ACKS_PER_PEER_PER_MINUTE, max),
      gossip: new Buckets(init.maxPublishesPerPeerPerMinute ?? DEFAULT_MAX_PUBLISHES_PER_PEER_PER_MINUTE, max),
      relay: new Buckets(init.maxRelayItemsPerPeerPerMinute ?? DEFAULT_MAX_RELAY_ITEMS_PER_PEER_PER_MINUTE, max)
    }
    this.ips = {
      put: new Buckets(init.maxPutsPerIpPerMinute ?? DEFAULT_MAX_PUTS_PER_IP_PER_MINUTE, max),
      ack: new Buckets(init.maxAcksPerIpPerMinute ?? DEFAULT_MAX_ACKS_PER_IP_PER_MINUTE, max),
      gossip: new Buckets(init.maxPublishesPerIpPerMinute ?? DEFAULT_MAX_PUBLISHES_PER_IP_PER_MINUTE, max),
      relay: new Buckets(init.maxRelayItemsPerIpPerMinute ?? DEFAULT_MAX_RELAY_ITEMS_PER_IP_PER_MINUTE, max)
    }
  }

  /** The per-minute budget of a kind, per peer and per address. */
  limits (kind: BudgetKind): { peer: number, ip: number } {
    return { peer: this.peers[kind].perMinute, ip: this.ips[kind].perMinute }
  }

  /**
   * Whether `peer` (and its address `ip`, as `subnetOf` gives it; undefined when unknown) has
   * `cost` tokens left for `kind`. Charges nothing.
   */
  allow (kind: BudgetKind, peer: string, ip: string | undefined, now: number, cost = 1): BudgetVerdict {
    if (!this.peers[kind].has(peer, now, cost)) return 'peer'
    if (ip != null && !this.ips[kind].has(ip, now, cost)) return 'ip'
    return 'ok'
  }

  /** Charges `cost` tokens to both buckets, whatever they hold (they may go into debt). */
  charge (kind: BudgetKind, peer: string, ip: string | undefined, now: number, cost = 1): void {
    this.peers[kind].charge(peer, now, cost)
    if (ip != null) this.ips[kind].charge(ip, now, cost)
  }

  /** `allow`, and charge when it is `ok`. */
  take (kind: BudgetKind, peer: string, ip: string | undefined, now: number, cost = 1): BudgetVerdict {
    const verdict = this.allow(kind, peer, ip, now, cost)
    if (verdict === 'ok') this.charge(kind, peer, ip, now, cost)
    return verdict
  }
}

/**
 * The refusal label of a budget verdict: `<kind>-rate` when the peer's bucket ran out,
 * `<kind>-rate-ip` when its address's did.
 */
export function budgetReason (kind: BudgetKind, verdict: Exclude<BudgetVerdict, 'ok'>): string {
  return verdict === 'peer' ? `${kind}-rate` : `${kind}-rate-ip`
}

/**
 * The address a budget (and eviction's uploader accounting) is keyed by: an IPv4 address as is,
 * an IPv6 address reduced to its /64 (`2001:db8:1:2::/64`; one host commonly holds a whole /64),
 * an IPv4-mapped IPv6 address as its IPv4 address. Undefined for anything else.
 */
export function subnetOf (ip: string | undefined): string | undefined {
  if (ip == null) return undefined
  if (isIPv4(ip)) return ip
  if (!isIPv6(ip)) return undefined
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)
  if (mapped != null && isIPv4(mapped[1])) return mapped[1]
  const groups = expandIPv6(ip.split('%')[0])
  if (groups == null) return undefined
  const words = IPV6_SUBNET_BITS / 16
  return `${groups.slice(0, words).map(g => g.toString(16)).join(':')}::/${IPV6_SUBNET_BITS}`
}

/** The eight 16-bit groups of a valid IPv6 address (no zone), or undefined. */
function expandIPv6 (ip: string): number[] | undefined {
  let text = ip
  const tail: number[] = []
  const v4 = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(text)
  if (v4 != null) {
    const b = v4[2].split('.').map(Number)
    tail.push((b[0] << 8) | b[1], (b[2] << 8) | b[3])
    // keep a trailing '::', drop a single trailing ':'
    text = v4[1].endsWith('::') ? v4[1] : v4[1].slice(0, -1)
  }
  const halves = text.split('::')
  if (halves.length > 2) return undefined
  const parse = (s: string): number[] => s === '' ? [] : s.split(':').map(h => parseInt(h, 16))
  const head = parse(halves[0])
  const rest = halves.length === 2 ? parse(halves[1]) : []
  const missing = 8 - tail.length - head.length - rest.length
  if (missing < 0 || (halves.length === 1 && missing !== 0)) return undefined
  const groups = [...head, ...new Array<number>(missing).fill(0), ...rest, ...tail]
  if (groups.some(g => !Number.isInteger(g) || g < 0 || g > 0xffff)) return undefined
  return groups
}

/** The IP address a connection came from, or undefined (a circuit or memory address). */
export function remoteIp (remoteAddr: Multiaddr): string | undefined {
  for (const c of remoteAddr.getComponents()) {
    if (c.name === 'ip4' || c.name === 'ip6') return c.value
  }
  return undefined
}

/** The budget key of a connection's remote address: `subnetOf(remoteIp(addr))`. */
export function addressKey (remoteAddr: Multiaddr): string | undefined {
  return subnetOf(remoteIp(remoteAddr))
}

/**
 * The address key of a connected peer: that of its first connection with an IP address, or
 * undefined. For validators that know only a peer ID: `peerAddressKey(node.getConnections(peer))`.
 */
export function peerAddressKey (connections: Array<{ remoteAddr: Multiaddr }>): string | undefined {
  for (const c of connections) {
    const key = addressKey(c.remoteAddr)
    if (key != null) return key
  }
  return undefined
}
