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
 * A feed message carries a batch: 1 to FEED_MAX_ITEMS entries `uvarint(len(item)) | item`.
 * Records a relay stores in one turn of its event loop (the store commits puts in groups) leave
 * in one message at the next turn, so a burst costs one gossipsub message, one noise frame and
 * one yamux frame per batch instead of per record, and a lone record waits for nothing.
 *
 * Each record of a message goes through the one ingest path (source `feed`); gossipsub forwards
 * the message to the rest of the relay mesh only when something in it was stored here (Accept).
 * A message whose records were all stale or duplicate is Ignored, so a batch floods the relays
 * once; one malformed entry or invalid record Rejects the whole message (no honest relay sends
 * one). Records that arrive by sync are not put on the feed: sync is the repair path, and the
 * feed would echo every repair.
 */
import { TopicValidatorResult } from '@libp2p/gossipsub'
import { decode as decodeVarint, encode as encodeVarint, encodingLength } from 'uint8-varint'
import { InvalidSyncItemError, IptsError } from '../errors.ts'
import { decodeItem, encodeItem } from '../sync/index.ts'
import { MAX_SYNC_ITEM_SIZE } from '../sync/constants.ts'
import { budgetReason } from './budget.ts'
import { FEED_FLUSH_BYTES, FEED_MAX_ITEMS } from './constants.ts'
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

export { FEED_MAX_ITEMS, FEED_FLUSH_BYTES }

/** Frame items (sync item frames) as one feed message. */
export function encodeFeedMessage (items: Uint8Array[]): Uint8Array {
  if (items.length === 0 || items.length > FEED_MAX_ITEMS) {
    throw new InvalidSyncItemError(`a feed message carries 1 to ${FEED_MAX_ITEMS} items, not ${items.length}`)
  }
  let length = 0
  for (const item of items) length += encodingLength(item.byteLength) + item.byteLength
  const out = new Uint8Array(length)
  let offset = 0
  for (const item of items) {
    encodeVarint(item.byteLength, out, offset)
    offset += encodingLength(item.byteLength)
    out.set(item, offset)
    offset += item.byteLength
  }
  return out
}

/**
 * The item frames of a feed message, as views into `bytes`. Throws `InvalidSyncItemError` when
 * a length runs past the end, an entry is empty or exceeds MAX_SYNC_ITEM_SIZE, or there are no
 * entries or more than FEED_MAX_ITEMS.
 */
export function decodeFeedMessage (bytes: Uint8Array): Uint8Array[] {
  const items: Uint8Array[] = []
  let offset = 0
  while (offset < bytes.byteLength) {
    if (items.length === FEED_MAX_ITEMS) {
      throw new InvalidSyncItemError(`a feed message carries at most ${FEED_MAX_ITEMS} items`)
    }
    let length: number
    try {
      length = decodeVarint(bytes, offset)
    } catch {
      throw new InvalidSyncItemError('feed entry length is not a varint')
    }
    offset += encodingLength(length)
    if (length === 0 || length > MAX_SYNC_ITEM_SIZE || offset + length > bytes.byteLength) {
      throw new InvalidSyncItemError(`feed entry of ${length} bytes is empty, too large or truncated`)
    }
    items.push(bytes.subarray(offset, offset + length))
    offset += length
  }
  if (items.length === 0) {
    throw new InvalidSyncItemError('empty feed message')
  }
  return items
}

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
  /** Item frames waiting for the end of this turn of the event loop. */
  private batch: Uint8Array[] = []
  private batchBytes = 0
  private flushing?: ReturnType<typeof setImmediate>

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
    clearImmediate(this.flushing)
    this.flushing = undefined
    this.batch = []
    this.batchBytes = 0
    pubsub.topicValidators.delete(FEED_TOPIC)
    try {
      pubsub.unsubscribe(FEED_TOPIC)
    } catch {
      // gossipsub already stopped
    }
  }

  /**
   * Hand a record this relay just took in from a client to the other relays: it leaves with the
   * other records stored in this turn of the event loop, in one message.
   */
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
    this.batch.push(item)
    this.batchBytes += item.byteLength
    if (this.batch.length >= FEED_MAX_ITEMS || this.batchBytes >= FEED_FLUSH_BYTES) {
      this.flush()
    } else {
      this.flushing ??= setImmediate(() => { this.flush() })
    }
  }

  /** Send what is waiting as one message. */
  private flush (): void {
    clearImmediate(this.flushing)
    this.flushing = undefined
    const items = this.batch
    this.batch = []
    this.batchBytes = 0
    const pubsub = this.c.pubsub
    if (items.length === 0 || !this.running || pubsub == null) return
    pubsub.publish(FEED_TOPIC, encodeFeedMessage(items)).then(() => {
      this.c.counters.fed += items.length
    }, (err: Error) => {
      this.c.log.trace('could not publish on the feed - %e', err)
    })
  }

  private async validate (peer: PeerId, msg: Message): Promise<TopicValidatorResult> {
    const now = this.c.now()
    let entries: Uint8Array[]
    try {
      entries = decodeFeedMessage(msg.data)
    } catch (err: any) {
      if (err instanceof IptsError) {
        this.c.counters.refused(refusalReason(err), 'feed')
        return TopicValidatorResult.Reject
      }
      throw err
    }
    // relays hand each other every new record here: the relay budget, per peer and per host,
    // charged one item per record before any signature check
    const host = this.c.hostOf(peer)
    const allowed = this.c.budgets.take('relay', peer.toString(), host, now, entries.length)
    if (allowed !== 'ok') {
      this.c.counters.refused(budgetReason(allowed), 'feed')
      return TopicValidatorResult.Ignore
    }
    const items = []
    for (const entry of entries) {
      let item
      try {
        item = decodeItem(entry)
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
      items.push(item)
    }
    // one batch: the store commits its puts together
    const statuses = await Promise.all(items.map(async item => {
      try {
        return (await this.c.ingest.ingest(item.record, { now, routingKey: item.routingKey, source: 'feed', from: host })).status
      } catch (err) {
        this.c.log.error('ingest failed on the feed - %e', err)
        return 'failed'
      }
    }))
    // an invalid record is the sending relay's fault; a record this relay's policy refuses (a
    // longer lifetime than it takes, a full store) is not: other relays may take it
    if (statuses.includes('invalid')) return TopicValidatorResult.Reject
    return statuses.includes('stored') ? TopicValidatorResult.Accept : TopicValidatorResult.Ignore
  }
}
