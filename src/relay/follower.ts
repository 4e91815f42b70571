/**
 * Type-1 behaviour, bounded: the relay follows a `/record/` topic while a connected peer is
 * subscribed to it (a receiver online, a Helia or Kubo node publishing or resolving a name), and
 * for a grace period after the last one leaves or disconnects. Records stay on disk whatever the
 * subscriptions; following a topic only decides whether the relay listens and publishes there.
 *
 * When the relay starts following a topic, or a peer joins a topic it follows, it pushes what it
 * holds under that key, so listeners that do not fetch still get it. Announcements go to the
 * interested peers alone (see announce.ts), so what a peer learns from a relay at connect does
 * not grow with what the relay holds or follows for others.
 *
 * Relays do not announce record topics to one another, so another relay never counts as
 * interest: records travel between relays on the feed topic (feed.ts) and through sync.
 */
import { TopicValidatorResult } from '@libp2p/gossipsub'
import { isRecordTopic, keyForTopic, validateAck } from '../record/index.ts'
import { IptsError } from '../errors.ts'
import { refusalReason } from './refusals.ts'
import { DEFAULT_FOLLOW_GRACE, DEFAULT_MAX_TOPICS, DEFAULT_MAX_TOPICS_PER_HOST } from './constants.ts'
import { second } from '../constants.ts'
import { limitAnnouncements } from './announce.ts'
import { budgetReason, gossipCost } from './budget.ts'
import { InterestTable } from './interest.ts'
import type { Announcer } from './announce.ts'
import type { Budgets } from './budget.ts'
import type { InterestLimits } from './interest.ts'
import type { Ingest } from './ingest.ts'
import type { Counters } from './counters.ts'
import type { Policy } from './policy.ts'
import type { RecordStore } from './store.ts'
import type { GossipSub, Message, SubscriptionChangeData } from '@libp2p/gossipsub'
import type { Logger, PeerId, TypedEventTarget, Libp2pEvents } from '@libp2p/interface'

/** The relay-wide topic on which acknowledgements travel between relays. */
export const ACK_TOPIC = '/ipts/acks/1.0.0'

export interface FollowerComponents {
  pubsub: GossipSub
  /** The node's events (`peer:disconnect` ends a peer's interest). */
  events: TypedEventTarget<Libp2pEvents>
  ingest: Ingest
  policy: Policy
  /** Per-peer and per-host budgets: `gossip` for record topics, `relay` for the acks topic. */
  budgets: Budgets
  store: RecordStore
  counters: Counters
  log: Logger
  now(): number
  /** The host (IP address) a peer is connected from, for the per-host topic budget. */
  hostOf(peer: PeerId): string
  /** Publish the records held under a key to its topic for a peer that subscribed, paced. */
  push(topic: string, routingKey: Uint8Array, peer: string): void
  /** Called after an ack arriving on the acks topic was applied (gossip forwards it). */
  onAck?(ackBytes: Uint8Array): void
  /** The relay started or stopped following a topic. */
  onFollow?(topic: string, following: boolean): void
}

export interface FollowerInit extends Partial<InterestLimits> {
  /** Topics subscribed per batch when many arrive at once (a peer's burst). @default 500 */
  subscribeBatch?: number
}

export { DEFAULT_FOLLOW_GRACE, DEFAULT_MAX_TOPICS, DEFAULT_MAX_TOPICS_PER_HOST }

export class Follower {
  private readonly c: FollowerComponents
  private readonly subscribeBatch: number
  private readonly interest: InterestTable
  private readonly grace: number
  /** The caps in force (for status). */
  readonly limits: InterestLimits
  /** Topics subscribed in gossipsub (following, or queued to be). */
  private readonly joined = new Set<string>()
  private readonly pending: string[] = []
  private announcer?: Announcer
  private sweepTimer?: ReturnType<typeof setInterval>
  private draining = false
  private running = false

  constructor (components: FollowerComponents, init: FollowerInit & { maxTopicsPerPeer: number }) {
    this.c = components
    this.subscribeBatch = init.subscribeBatch ?? 500
    this.grace = init.grace ?? DEFAULT_FOLLOW_GRACE
    this.limits = {
      maxTopicsPerPeer: init.maxTopicsPerPeer,
      maxTopicsPerHost: init.maxTopicsPerHost ?? DEFAULT_MAX_TOPICS_PER_HOST,
      maxTopics: init.maxTopics ?? DEFAULT_MAX_TOPICS,
      grace: this.grace
    }
    this.interest = new InterestTable(this.limits)
    this.onSubscriptionChange = this.onSubscriptionChange.bind(this)
    this.onPeerDisconnect = this.onPeerDisconnect.bind(this)
    this.validateRecordMessage = this.validateRecordMessage.bind(this)
    this.validateAckMessage = this.validateAckMessage.bind(this)
  }

  start (): void {
    if (this.running) return
    this.running = true
    this.announcer = limitAnnouncements(this.c.pubsub)
    this.c.pubsub.addEventListener('subscription-change', this.onSubscriptionChange)
    this.c.events.addEventListener('peer:disconnect', this.onPeerDisconnect)
    this.c.pubsub.topicValidators.set(ACK_TOPIC, this.validateAckMessage)
    this.c.pubsub.subscribe(ACK_TOPIC)
    const every = Math.max(250, Math.min(this.grace / 4, 15 * second))
    this.sweepTimer = setInterval(() => { this.sweep() }, every)
    this.sweepTimer.unref()
  }

  stop (): void {
    if (!this.running) return
    this.running = false
    clearInterval(this.sweepTimer)
    this.c.pubsub.removeEventListener('subscription-change', this.onSubscriptionChange)
    this.c.events.removeEventListener('peer:disconnect', this.onPeerDisconnect)
    // leave what we followed: a node that embeds the relay must not go on forwarding messages
    // on topics that no validator checks any more
    for (const topic of [...this.joined, ACK_TOPIC]) {
      this.c.pubsub.topicValidators.delete(topic)
      try {
        this.c.pubsub.unsubscribe(topic)
      } catch {
        // gossipsub already stopped
      }
    }
    this.announcer?.restore()
    this.announcer = undefined
    this.joined.clear()
    this.pending.length = 0
    this.interest.clear()
  }

  /** Record topics followed now (interested peers, or in their grace period). */
  topics (): number {
    return this.interest.size
  }

  /** Whether the relay follows the topic now. */
  has (topic: string): boolean {
    return this.interest.has(topic)
  }

  /** Peers interested in a topic now (0 in its grace period). */
  interested (topic: string): number {
    return this.interest.interested(topic)
  }

  /** Every followed topic (a snapshot). */
  followed (): string[] {
    return [...this.interest.topics()]
  }

  /** Topics one peer makes the relay follow now (for tests and status). */
  topicsOf (peer: PeerId): number {
    return this.interest.topicsOf(peer.toString())
  }

  /** Leave the topics whose grace period is over. */
  sweep (): void {
    if (!this.running) return
    for (const topic of this.interest.expire(this.c.now())) {
      this.leave(topic)
    }
  }

  private onSubscriptionChange (evt: CustomEvent<SubscriptionChangeData>): void {
    const { peerId, subscriptions } = evt.detail
    const peer = peerId.toString()
    const now = this.c.now()
    for (const { topic, subscribe } of subscriptions) {
      if (!isRecordTopic(topic)) continue
      if (!subscribe) {
        this.interest.remove(peer, topic, now)
        continue
      }
      let routingKey: Uint8Array
      try {
        routingKey = keyForTopic(topic)
      } catch {
        continue
      }
      const result = this.interest.add(peer, this.c.hostOf(peerId), topic)
      if (result.status === 'refused') {
        this.c.counters.refused(result.reason, 'gossip')
        continue
      }
      if (result.status === 'added' && result.topicIsNew) {
        // subscribing announces the topic to the peers subscribed to it, this one included
        this.join(topic)
      } else if (this.joined.has(topic) && !this.pending.includes(topic)) {
        // we announced this topic before the peer subscribed: tell it now, or it cannot publish
        this.announcer?.announceTo(peer, topic)
      }
      this.pushTo(topic, routingKey, peer)
    }
  }

  private onPeerDisconnect (evt: CustomEvent<PeerId>): void {
    this.interest.removePeer(evt.detail.toString(), this.c.now())
  }

  private join (topic: string): void {
    if (this.joined.has(topic)) return
    this.joined.add(topic)
    this.c.pubsub.topicValidators.set(topic, this.validateRecordMessage)
    this.pending.push(topic)
    this.drain()
  }

  private leave (topic: string): void {
    if (!this.joined.delete(topic)) return
    this.c.pubsub.unsubscribe(topic)
    this.c.pubsub.topicValidators.delete(topic)
    this.c.onFollow?.(topic, false)
  }

  /** Subscribes in batches, yielding between them, so a burst does not stall the event loop. */
  private drain (): void {
    if (this.draining) return
    this.draining = true
    const step = (): void => {
      if (!this.running) {
        this.draining = false
        return
      }
      const batch = this.pending.splice(0, this.subscribeBatch)
      for (const topic of batch) {
        if (!this.joined.has(topic)) continue
        this.c.pubsub.subscribe(topic)
        this.c.onFollow?.(topic, true)
      }
      if (this.pending.length > 0) {
        setImmediate(step)
      } else {
        this.draining = false
      }
    }
    setImmediate(step)
  }

  private pushTo (topic: string, routingKey: Uint8Array, peer: string): void {
    try {
      this.c.push(topic, routingKey, peer)
    } catch (err) {
      this.c.log.error('could not push to %s - %e', topic, err)
    }
  }

  private async validateRecordMessage (peer: PeerId, msg: Message): Promise<TopicValidatorResult> {
    const now = this.c.now()
    // charge the peer that handed us the message and its host, not the author: fresh author
    // keys are free. A message that brings nothing new costs a tenth (relays republish hourly).
    const id = peer.toString()
    const host = this.c.hostOf(peer)
    // take the token before the (async) ingest, or concurrent messages would all pass the check
    const allowed = this.c.budgets.take('gossip', id, host, now)
    if (allowed !== 'ok') {
      this.c.counters.refused(budgetReason(allowed), 'gossip')
      return TopicValidatorResult.Ignore
    }
    let routingKey: Uint8Array
    try {
      routingKey = keyForTopic(msg.topic)
    } catch {
      return TopicValidatorResult.Reject
    }
    try {
      const result = await this.c.ingest.ingest(msg.data, { now, routingKey, source: 'gossip', from: host })
      // a repeat costs less than the token taken: give back the difference
      const refund = 1 - gossipCost(result.status)
      if (refund > 0) this.c.budgets.charge('gossip', id, host, now, -refund)
      return verdict(result.status, result.status === 'refused' ? result.reason : undefined)
    } catch (err) {
      this.c.log.error('ingest failed on %s - %e', msg.topic, err)
      return TopicValidatorResult.Ignore
    }
  }

  private async validateAckMessage (peer: PeerId, msg: Message): Promise<TopicValidatorResult> {
    // relays forward acks here: they spend the relay budget, charged before the signature check
    const allowed = this.c.budgets.take('relay', peer.toString(), this.c.hostOf(peer), this.c.now())
    if (allowed !== 'ok') {
      this.c.counters.refused(budgetReason(allowed), 'gossip')
      return TopicValidatorResult.Ignore
    }
    try {
      const ack = validateAck(msg.data)
      const { deleted, tombstoned } = await this.c.store.applyAck(ack, this.c.now())
      if (deleted + tombstoned === 0) return TopicValidatorResult.Ignore
      this.c.counters.acksApplied++
      this.c.onAck?.(ack.bytes)
      return TopicValidatorResult.Accept
    } catch (err: any) {
      if (err instanceof IptsError) {
        this.c.counters.refused(refusalReason(err), 'gossip')
        return TopicValidatorResult.Reject
      }
      this.c.log.error('ack failed - %e', err)
      return TopicValidatorResult.Ignore
    }
  }
}

/**
 * The gossipsub verdict for an ingest result: Accept forwards, Reject punishes the peer (the
 * record is invalid, or over a limit every relay shares), Ignore drops without blame (stale,
 * duplicate, or a full store or disk, which is our state, not the sender's fault).
 */
export function verdict (status: string, reason?: string): TopicValidatorResult {
  switch (status) {
    case 'stored': return TopicValidatorResult.Accept
    case 'invalid': return TopicValidatorResult.Reject
    case 'refused':
      return reason === 'KeyFullError' || reason === 'StoreFullError' || reason === 'DiskFullError' || reason === 'StoreWriteError'
        ? TopicValidatorResult.Ignore
        : TopicValidatorResult.Reject
    default: return TopicValidatorResult.Ignore
  }
}
