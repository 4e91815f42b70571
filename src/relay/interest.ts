/**
 * Who is interested in which record topic (pure bookkeeping, no I/O, the clock is a parameter).
 *
 * A relay follows a record topic only while some connected peer that is not a relay is
 * subscribed to it, plus a grace period after the last one leaves. This table is the relay's
 * view of that interest: topic -> peers and peer -> topics, with the caps that keep it bounded
 * whatever strangers do: topics per peer, topics per host (IP address, so fresh peer IDs from one
 * host share one budget) and topics in all. Counts go down when a peer unsubscribes or
 * disconnects, so a long-lived peer is never refused for what it asked long ago.
 */

export interface InterestLimits {
  /** Topics one peer may make the relay follow at once. */
  maxTopicsPerPeer: number
  /** Topics the peers of one host (IP address) may make the relay follow at once. */
  maxTopicsPerHost: number
  /** Topics followed at once, in all. */
  maxTopics: number
  /** How long a topic stays followed after its last interested peer left, ms. */
  grace: number
}

/** Why an interest was not taken: the refusal it is counted as (src/relay/refusals.ts). */
export type InterestRefusal = 'TooManyTopicsError' | 'HostTooManyTopicsError' | 'TopicsFullError'

export type AddResult =
  | { status: 'added', topicIsNew: boolean }
  | { status: 'known' }
  | { status: 'refused', reason: InterestRefusal }

interface PeerEntry {
  host: string
  topics: Set<string>
}

export class InterestTable {
  private readonly limits: InterestLimits
  private readonly byTopic = new Map<string, Set<string>>()
  private readonly byPeer = new Map<string, PeerEntry>()
  private readonly byHost = new Map<string, number>()
  /** Topics followed with nobody interested, and when their grace ends. */
  private readonly idle = new Map<string, number>()

  constructor (limits: InterestLimits) {
    this.limits = limits
  }

  /** Topics followed (interested or in their grace period). */
  get size (): number {
    return this.byTopic.size + this.idle.size
  }

  /** Whether the topic is followed (interested or in its grace period). */
  has (topic: string): boolean {
    return this.byTopic.has(topic) || this.idle.has(topic)
  }

  /** Peers interested in the topic now. */
  interested (topic: string): number {
    return this.byTopic.get(topic)?.size ?? 0
  }

  /** Topics one peer is counted for. */
  topicsOf (peer: string): number {
    return this.byPeer.get(peer)?.topics.size ?? 0
  }

  /** Topics the peers of one host are counted for. */
  topicsOfHost (host: string): number {
    return this.byHost.get(host) ?? 0
  }

  /** Every followed topic. */
  * topics (): Iterable<string> {
    yield * this.byTopic.keys()
    yield * this.idle.keys()
  }

  /**
   * A peer subscribed to a topic. `topicIsNew` says the relay must start following it; a topic in
   * its grace period is interested again and stays followed.
   */
  add (peer: string, host: string, topic: string): AddResult {
    const entry = this.byPeer.get(peer)
    if (entry?.topics.has(topic) === true) return { status: 'known' }
    const followed = this.has(topic)
    if ((entry?.topics.size ?? 0) >= this.limits.maxTopicsPerPeer) return { status: 'refused', reason: 'TooManyTopicsError' }
    if ((this.byHost.get(host) ?? 0) >= this.limits.maxTopicsPerHost) return { status: 'refused', reason: 'HostTooManyTopicsError' }
    if (!followed && this.size >= this.limits.maxTopics) return { status: 'refused', reason: 'TopicsFullError' }

    let peerEntry = entry
    if (peerEntry == null) {
      peerEntry = { host, topics: new Set() }
      this.byPeer.set(peer, peerEntry)
    }
    peerEntry.topics.add(topic)
    this.byHost.set(peerEntry.host, (this.byHost.get(peerEntry.host) ?? 0) + 1)
    let peers = this.byTopic.get(topic)
    if (peers == null) {
      peers = new Set()
      this.byTopic.set(topic, peers)
    }
    peers.add(peer)
    this.idle.delete(topic)
    return { status: 'added', topicIsNew: !followed }
  }

  /** A peer unsubscribed from a topic. The topic enters its grace period when nobody is left. */
  remove (peer: string, topic: string, now: number): void {
    const entry = this.byPeer.get(peer)
    if (entry?.topics.delete(topic) !== true) return
    this.uncountHost(entry.host)
    if (entry.topics.size === 0) this.byPeer.delete(peer)
    this.dropPeerFromTopic(peer, topic, now)
  }

  /** A peer disconnected: it is interested in nothing any more. */
  removePeer (peer: string, now: number): void {
    const entry = this.byPeer.get(peer)
    if (entry == null) return
    this.byPeer.delete(peer)
    for (const topic of entry.topics) {
      this.uncountHost(entry.host)
      this.dropPeerFromTopic(peer, topic, now)
    }
  }

  /** Topics whose grace period is over: they are forgotten here, and the caller leaves them. */
  expire (now: number): string[] {
    const done: string[] = []
    for (const [topic, until] of this.idle) {
      if (until <= now) done.push(topic)
    }
    for (const topic of done) this.idle.delete(topic)
    return done
  }

  /** Forget everything (the relay stops). */
  clear (): void {
    this.byTopic.clear()
    this.byPeer.clear()
    this.byHost.clear()
    this.idle.clear()
  }

  private dropPeerFromTopic (peer: string, topic: string, now: number): void {
    const peers = this.byTopic.get(topic)
    if (peers == null) return
    peers.delete(peer)
    if (peers.size === 0) {
      this.byTopic.delete(topic)
      this.idle.set(topic, now + this.limits.grace)
    }
  }

  private uncountHost (host: string): void {
    const left = (this.byHost.get(host) ?? 0) - 1
    if (left > 0) this.byHost.set(host, left)
    else this.byHost.delete(host)
  }
}
