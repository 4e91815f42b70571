/**
 * Ingest budgets: how much one peer, and one host, may make the relay do per minute, on each
 * path a stranger can reach. A budget is a pair of token buckets, one keyed by the sending
 * peer's ID and one by its host (`hostKey` of the connection the request arrived on: the IPv4
 * address, or the /64 of an IPv6 address), and a request needs a token from both: fresh peer IDs
 * from one host share the host's budget.
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
import { LRUCache } from 'lru-cache'
import { minute } from '../constants.ts'
import {
  DEFAULT_MAX_ACKS_PER_IP_PER_MINUTE, DEFAULT_MAX_ACKS_PER_PEER_PER_MINUTE, DEFAULT_MAX_PUBLISHES_PER_IP_PER_MINUTE,
  DEFAULT_MAX_PUBLISHES_PER_PEER_PER_MINUTE, DEFAULT_MAX_PUTS_PER_IP_PER_MINUTE, DEFAULT_MAX_PUTS_PER_PEER_PER_MINUTE,
  DEFAULT_MAX_RELAY_ITEMS_PER_IP_PER_MINUTE, DEFAULT_MAX_RELAY_ITEMS_PER_PEER_PER_MINUTE, DEFAULT_MAX_TRACKED_PEERS,
  GOSSIP_REPEAT_COST
} from './constants.ts'
import type { IngestResult } from './ingest.ts'

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
    // a refund (negative cost) never fills a bucket past its capacity
    b.tokens = Math.min(this.perMinute, Math.max(-this.perMinute, b.tokens - cost))
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
   * Whether `peer` (and its host `ip`, as `hostKey` gives it; undefined to charge the peer only)
   * has `cost` tokens left for `kind`. Charges nothing.
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
 * The refusal a budget verdict stands for (src/relay/refusals.ts): `RateLimitedError` when the
 * peer's bucket ran out, `HostRateLimitedError` when its host's did. Which path it was is the
 * refusal's source.
 */
export function budgetReason (verdict: Exclude<BudgetVerdict, 'ok'>): 'RateLimitedError' | 'HostRateLimitedError' {
  return verdict === 'peer' ? 'RateLimitedError' : 'HostRateLimitedError'
}

/**
 * What a gossip message costs once its ingest result is known (for `charge` after `allow`): a
 * token for a record stored, invalid or refused, `GOSSIP_REPEAT_COST` for one that brought
 * nothing new (duplicate, stale, tombstoned), so a peer forwarding what the relay already holds
 * (relays republish hourly) is not throttled as if it were flooding.
 */
export function gossipCost (status: IngestResult['status']): number {
  return status === 'duplicate' || status === 'stale' || status === 'tombstoned' ? GOSSIP_REPEAT_COST : 1
}
