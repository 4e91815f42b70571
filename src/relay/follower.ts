/**
 * Type-1 behaviour: whenever a connected peer subscribes to a `/record/` topic that decodes to an
 * `/ipns/` or `/ipts/` key, the relay subscribes too and validates every message on it. When a
 * peer joins a topic the relay holds records for, the relay pushes them so listeners that do not
 * fetch still get them.
 */
import { TopicValidatorResult } from '@libp2p/gossipsub'
import { isRecordTopic, keyForTopic, topicForKey, validateAck } from '../record/index.ts'
import { IptsError } from '../errors.ts'
import type { Ingest } from './ingest.ts'
import type { Counters } from './counters.ts'
import type { Policy } from './policy.ts'
import type { RecordStore } from './store.ts'
import type { GossipSub, Message, SubscriptionChangeData } from '@libp2p/gossipsub'
import type { Logger, PeerId } from '@libp2p/interface'

/** The relay-wide topic on which acknowledgements travel between relays. */
export const ACK_TOPIC = '/ipts/acks/1.0.0'

export interface FollowerComponents {
  pubsub: GossipSub
  ingest: Ingest
  policy: Policy
  store: RecordStore
  counters: Counters
  log: Logger
  now(): number
  /** Publish records to a topic, paced (the republisher owns the budget). */
  push(topic: string, routingKey: Uint8Array): void
  /** Called after an ack arriving on the acks topic was applied (gossip forwards it). */
  onAck?(ackBytes: Uint8Array): void
}

export interface FollowerInit {
  /** Topics subscribed per batch when many arrive at once (start-up, a peer's burst). @default 500 */
  subscribeBatch?: number
}

export class Follower {
  private readonly c: FollowerComponents
  private readonly subscribeBatch: number
  /** Topics joined and how many peers (by our count) asked for them. */
  private readonly joined = new Set<string>()
  /** Topics each peer made us join, for the per-peer cap. */
  private readonly joinedBy = new Map<string, number>()
  private readonly pending: string[] = []
  private draining = false
  private running = false

  constructor (components: FollowerComponents, init: FollowerInit = {}) {
    this.c = components
    this.subscribeBatch = init.subscribeBatch ?? 500
    this.onSubscriptionChange = this.onSubscriptionChange.bind(this)
    this.validateRecordMessage = this.validateRecordMessage.bind(this)
    this.validateAckMessage = this.validateAckMessage.bind(this)
  }

  start (): void {
    if (this.running) return
    this.running = true
    this.c.pubsub.addEventListener('subscription-change', this.onSubscriptionChange)
    this.c.pubsub.topicValidators.set(ACK_TOPIC, this.validateAckMessage)
    this.c.pubsub.subscribe(ACK_TOPIC)
  }

  stop (): void {
    if (!this.running) return
    this.running = false
    this.c.pubsub.removeEventListener('subscription-change', this.onSubscriptionChange)
    for (const topic of this.joined) {
      this.c.pubsub.topicValidators.delete(topic)
    }
    this.c.pubsub.topicValidators.delete(ACK_TOPIC)
    this.joined.clear()
    this.pending.length = 0
  }

  /** Topics currently joined. */
  topics (): number {
    return this.joined.size
  }

  has (topic: string): boolean {
    return this.joined.has(topic)
  }

  /** Join the topic of a routing key (a record arrived by custody or sync, or on restart). */
  joinKey (routingKey: Uint8Array): void {
    this.join(topicForKey(routingKey))
  }

  /** Leave a topic whose records are all gone. */
  leave (topic: string): void {
    if (!this.joined.delete(topic)) return
    this.c.pubsub.unsubscribe(topic)
    this.c.pubsub.topicValidators.delete(topic)
  }

  private join (topic: string): void {
    if (this.joined.has(topic)) return
    this.joined.add(topic)
    this.c.pubsub.topicValidators.set(topic, this.validateRecordMessage)
    this.pending.push(topic)
    this.drain()
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
        if (this.joined.has(topic)) this.c.pubsub.subscribe(topic)
      }
      if (this.pending.length > 0) {
        setImmediate(step)
      } else {
        this.draining = false
      }
    }
    setImmediate(step)
  }

  private onSubscriptionChange (evt: CustomEvent<SubscriptionChangeData>): void {
    const { peerId, subscriptions } = evt.detail
    const peer = peerId.toString()
    for (const { topic, subscribe } of subscriptions) {
      if (!subscribe || !isRecordTopic(topic)) continue
      if (this.joined.has(topic)) {
        // a late subscriber: give it what we hold
        this.pushTo(topic)
        continue
      }
      const count = this.joinedBy.get(peer) ?? 0
      if (!this.c.policy.allowTopic(peer, count)) {
        this.c.counters.refused('topics-per-peer')
        continue
      }
      this.joinedBy.set(peer, count + 1)
      this.join(topic)
    }
  }

  private pushTo (topic: string): void {
    try {
      this.c.push(topic, keyForTopic(topic))
    } catch (err) {
      this.c.log.error('could not push to %s - %e', topic, err)
    }
  }

  private async validateRecordMessage (peer: PeerId, msg: Message): Promise<TopicValidatorResult> {
    const now = this.c.now()
    const origin = msg.type === 'signed' ? msg.from.toString() : peer.toString()
    if (!this.c.policy.allowPublish(origin, now)) {
      this.c.counters.refused('rate')
      return TopicValidatorResult.Ignore
    }
    let routingKey: Uint8Array
    try {
      routingKey = keyForTopic(msg.topic)
    } catch {
      return TopicValidatorResult.Reject
    }
    try {
      const result = await this.c.ingest.ingest(msg.data, { now, routingKey, source: 'gossip' })
      switch (result.status) {
        case 'stored': return TopicValidatorResult.Accept
        case 'invalid': return TopicValidatorResult.Reject
        case 'refused':
          // lifetime or size over our policy is the sender's fault; a full store is ours
          return result.reason === 'key-full' || result.reason === 'store-full'
            ? TopicValidatorResult.Ignore
            : TopicValidatorResult.Reject
        default: return TopicValidatorResult.Ignore
      }
    } catch (err) {
      this.c.log.error('ingest failed on %s - %e', msg.topic, err)
      return TopicValidatorResult.Ignore
    }
  }

  private async validateAckMessage (_peer: PeerId, msg: Message): Promise<TopicValidatorResult> {
    try {
      const ack = validateAck(msg.data)
      const { deleted, tombstoned } = await this.c.store.applyAck(ack, this.c.now())
      if (deleted + tombstoned === 0) return TopicValidatorResult.Ignore
      this.c.counters.acksApplied++
      this.c.onAck?.(ack.bytes)
      return TopicValidatorResult.Accept
    } catch (err: any) {
      if (err instanceof IptsError) {
        this.c.counters.refused(`invalid:${err.name}`)
        return TopicValidatorResult.Reject
      }
      this.c.log.error('ack failed - %e', err)
      return TopicValidatorResult.Ignore
    }
  }
}
