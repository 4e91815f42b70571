/**
 * Relay-to-relay propagation in real time, at a cost that does not grow with the number of tags:
 * one gossipsub topic that every relay joins, `/ipts/relay/records/1.0.0`, carrying each record a
 * relay takes in from a client (gossip on a record topic, or custody) as a sync item frame
 * (`0x01 | u16be(len(routingKey)) | routingKey | record`, the same framing as relay sync).
 *
 * The topic lives on the relay node's second gossipsub (`services.feed`, FEED_PROTOCOL in
 * src/node.ts), a mesh of relays only whose messages carry no gossipsub signature: every record
 * is signed by its author and validated here, so the message signature was a second check per
 * record that proved only which relay forwarded it (the connection already says that).
 *
 * A record arriving on the feed goes through the one ingest path (source `feed`); gossipsub
 * forwards it to the rest of the relay mesh only when it was stored here (Accept). Stale and
 * duplicate records are Ignored, so a record floods the relays once. Records that arrive by sync
 * are not put on the feed: sync is the repair path, and the feed would echo every repair.
 */
import { TopicValidatorResult } from '@libp2p/gossipsub'
import { IptsError } from '../errors.ts'
import { decodeItem, encodeItem } from '../sync/index.ts'
import { verdict } from './follower.ts'
import { budgetReason } from './budget.ts'
import { subscriberCount } from './announce.ts'
import { refusalReason } from './refusals.ts'
import type { Ingest } from './ingest.ts'
import type { Counters } from './counters.ts'
import type { Budgets } from './budget.ts'
import type { IptsRecord } from '../record/index.ts'
import type { GossipSub, Message } from '@libp2p/gossipsub'
import type { Logger, PeerId } from '@libp2p/interface'

/** The topic every relay joins to hand new records to the other relays. */
export const FEED_TOPIC = '/ipts/relay/records/1.0.0'

export interface FeedComponents {
  /** The feed's gossipsub (`node.services.feed`); without one the relay has no feed, only sync. */
  pubsub?: GossipSub
  ingest: Ingest
  /** Per-peer and per-host budgets (the `relay` kind). */
  budgets: Budgets
  /** The host (IP address) a peer is connected from. */
  hostOf(peer: PeerId): string
  counters: Counters
  log: Logger
  now(): number
}

export class Feed {
  private readonly c: FeedComponents
  private running = false

  constructor (components: FeedComponents) {
    this.c = components
    this.validate = this.validate.bind(this)
  }

  start (): void {
    if (this.running) return
    const pubsub = this.c.pubsub
    if (pubsub == null) {
      this.c.log('no feed gossipsub on this node (createNode({ relay: true }) makes one): records reach other relays by sync only')
      return
    }
    this.running = true
    pubsub.topicValidators.set(FEED_TOPIC, this.validate)
    pubsub.subscribe(FEED_TOPIC)
  }

  stop (): void {
    const pubsub = this.c.pubsub
    if (!this.running || pubsub == null) return
    this.running = false
    pubsub.topicValidators.delete(FEED_TOPIC)
    try {
      pubsub.unsubscribe(FEED_TOPIC)
    } catch {
      // gossipsub already stopped
    }
  }

  /** Hand a record this relay just took in from a client to the other relays. */
  publish (record: IptsRecord): void {
    const pubsub = this.c.pubsub
    if (!this.running || pubsub == null) return
    // no other relay listening: building a message nobody receives costs for nothing
    if (subscriberCount(pubsub, FEED_TOPIC) === 0) return
    let item: Uint8Array
    try {
      item = encodeItem({ kind: 'record', routingKey: record.routingKey, record: record.bytes })
    } catch (err) {
      this.c.log.error('could not frame a record for the feed - %e', err)
      return
    }
    pubsub.publish(FEED_TOPIC, item).then(() => {
      this.c.counters.fed++
    }, (err: Error) => {
      this.c.log.trace('could not publish on the feed - %e', err)
    })
  }

  private async validate (peer: PeerId, msg: Message): Promise<TopicValidatorResult> {
    const now = this.c.now()
    // relays hand each other every new record here: the relay budget, per peer and per host,
    // charged before any signature check
    const host = this.c.hostOf(peer)
    const allowed = this.c.budgets.take('relay', peer.toString(), host, now)
    if (allowed !== 'ok') {
      this.c.counters.refused(budgetReason(allowed), 'feed')
      return TopicValidatorResult.Ignore
    }
    let item
    try {
      item = decodeItem(msg.data)
    } catch (err: any) {
      if (err instanceof IptsError) {
        this.c.counters.refused(refusalReason(err), 'feed')
        return TopicValidatorResult.Reject
      }
      throw err
    }
    if (item.kind !== 'record') {
      this.c.counters.refused('InvalidSyncItemError', 'feed')
      return TopicValidatorResult.Reject
    }
    try {
      const result = await this.c.ingest.ingest(item.record, { now, routingKey: item.routingKey, source: 'feed', from: host })
      return verdict(result.status, result.status === 'refused' ? result.reason : undefined)
    } catch (err) {
      this.c.log.error('ingest failed on the feed - %e', err)
      return TopicValidatorResult.Ignore
    }
  }
}
