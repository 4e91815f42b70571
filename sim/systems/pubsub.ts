/**
 * Baseline A, plain IPNS over pubsub without relays (what Helia and Kubo do today).
 *
 * Each user publishes one standard IPNS record under its own name; its value carries the
 * messages it sent, to every contact (a name is one record). Users subscribe to their own name's
 * topic and to each contact's, keep the latest record of every name they follow (on disk, so it
 * survives going offline), answer libp2p fetch for it, and publish it again when a peer
 * subscribes to its topic (the router spec's persistence). So a message reaches its receiver only
 * if the receiver is online at the same time as the sender or as another follower of the
 * sender's name that already holds the record.
 *
 * Discovery is an oracle, generous to this baseline: a user coming online is connected to the
 * owner of every name it follows (when online) and to one other online follower of that name, as
 * if it had found topic peers through the DHT for free. The sim does not charge for that search.
 */
import { createNode } from '../../src/node.ts'
import { RecordValidator, createPlainRecord, nameRoutingKey, topicForKey } from '../../src/record/index.ts'
import { createRng } from '../rng.ts'
import { decodeValue, encodeValue } from '../payload.ts'
import { mapLimit } from '../util.ts'
import { Directory, Outboxes, RECORD_LIFETIME, errorName, Ports } from './common.ts'
import type { IptsNode } from '../../src/node.ts'
import type { Send } from '../schedule.ts'
import type { Storage } from '../tracker.ts'
import type { SimSystem, SystemContext } from './types.ts'
import type { Message, SubscriptionChangeData } from '@libp2p/gossipsub'

/** Other online followers of a name a newcomer is connected to, besides the name's owner. */
const EXTRA_PEERS_PER_NAME = 1
/** A held record is published again on a topic at most this often, ms. */
const REBROADCAST_COOLDOWN = 1000
const DIAL_TIMEOUT = 10_000
const FETCH_TIMEOUT = 5_000

interface Held {
  bytes: Uint8Array
  sequence: bigint
}

export class PubsubSystem implements SimSystem {
  readonly name = 'ipns-pubsub' as const
  readonly deletions = false
  private readonly ctx: SystemContext
  private readonly nodes: Array<IptsNode | undefined>
  private readonly directory: Directory
  private readonly outboxes: Outboxes
  private readonly validator = new RecordValidator()
  private readonly ports = new Ports()
  private readonly rng
  /** held[u]: name owner -> latest record u holds (kept while u is offline: its disk). */
  private readonly held: Array<Map<number, Held>>
  /** Names each user follows: its own and its contacts'. */
  private readonly follows: number[][]
  private readonly lastRebroadcast: Array<Map<number, number>>

  constructor (ctx: SystemContext) {
    this.ctx = ctx
    this.nodes = new Array(ctx.config.users).fill(undefined)
    this.directory = new Directory(ctx.userKeys)
    this.outboxes = new Outboxes(ctx.config.seed, ctx.config.messageBytes)
    this.rng = createRng(ctx.config.seed, `pubsub:${ctx.schedule.churn}`)
    this.held = Array.from({ length: ctx.config.users }, () => new Map())
    this.follows = ctx.schedule.contacts.map((c, u) => [u, ...c])
    this.lastRebroadcast = Array.from({ length: ctx.config.users }, () => new Map())
  }

  async start (): Promise<void> {}
  async relayUp (): Promise<void> {}
  async relayDown (): Promise<void> {}

  private topicOf (owner: number): string {
    return topicForKey(nameRoutingKey(this.directory.multihashes[owner]))
  }

  private ownerOfTopic = new Map<string, number>()

  async userOnline (u: number): Promise<void> {
    if (this.nodes[u] != null) return
    const node = await this.ports.start(`user-${u}`, async listen => createNode({ privateKey: this.ctx.userKeys[u], listen: [listen], maxConnections: 64 }))
    this.nodes[u] = node
    node.services.fetch.registerLookupFunction('/ipns/', async (key) => {
      const owner = this.directory.userOf(key.subarray(6))
      return owner == null ? undefined : this.held[u].get(owner)?.bytes
    })
    node.services.pubsub.addEventListener('message', (evt: CustomEvent<Message>) => {
      const owner = this.ownerOfTopic.get(evt.detail.topic)
      if (owner == null) return
      this.ctx.tracker.count('gossip-records-received')
      this.accept(u, owner, evt.detail.data)
    })
    node.services.pubsub.addEventListener('subscription-change', (evt: CustomEvent<SubscriptionChangeData>) => {
      for (const { topic, subscribe } of evt.detail.subscriptions) {
        const owner = this.ownerOfTopic.get(topic)
        if (subscribe && owner != null) this.rebroadcast(u, owner)
      }
    })
    for (const owner of this.follows[u]) {
      const topic = this.topicOf(owner)
      this.ownerOfTopic.set(topic, owner)
      node.services.pubsub.subscribe(topic)
    }

    // the discovery oracle: the owner of each followed name, and another online follower of it
    const peers = new Set<number>()
    for (const owner of this.follows[u]) {
      if (owner !== u && this.nodes[owner] != null) peers.add(owner)
      const others = this.rng.shuffled(this.followersOnline(owner).filter(v => v !== u && v !== owner))
      for (const v of others.slice(0, EXTRA_PEERS_PER_NAME)) peers.add(v)
    }
    await mapLimit([...peers], 4, async v => {
      const target = this.nodes[v]
      if (target == null) return
      this.ctx.tracker.count('dials')
      await node.dial(target.getMultiaddrs()[0], { signal: AbortSignal.timeout(DIAL_TIMEOUT) })
    })

    // resolve each followed name once from connected followers (the router's fetch persistence)
    await mapLimit(this.follows[u].filter(o => o !== u), 4, async owner => {
      const holders = [owner, ...this.followersOnline(owner)].filter(v => v !== u && peers.has(v))
      for (const v of [...new Set(holders)].slice(0, 2)) {
        const peer = this.nodes[v]?.peerId
        if (peer == null) continue
        try {
          this.ctx.tracker.count('fetches')
          const bytes = await node.services.fetch.fetch(peer, nameRoutingKey(this.directory.multihashes[owner]), { signal: AbortSignal.timeout(FETCH_TIMEOUT) })
          if (bytes != null) this.accept(u, owner, bytes)
        } catch {
          this.ctx.tracker.count('fetch-failures')
        }
      }
    })
  }

  private followersOnline (owner: number): number[] {
    const out: number[] = []
    for (const v of this.ctx.schedule.contacts[owner]) {
      if (this.nodes[v] != null) out.push(v)
    }
    return out
  }

  async userOffline (u: number): Promise<void> {
    const node = this.nodes[u]
    if (node == null) return
    this.nodes[u] = undefined
    await node.stop()
  }

  /** Keeps the record if it is newer, and delivers what it carries for `u`. */
  private accept (u: number, owner: number, bytes: Uint8Array): void {
    try {
      const record = this.validator.validate(bytes, { now: Date.now(), routingKey: nameRoutingKey(this.directory.multihashes[owner]) })
      const held = this.held[u].get(owner)
      if (held == null || held.sequence < record.sequence) this.held[u].set(owner, { bytes, sequence: record.sequence })
      for (const m of decodeValue(record.value)) {
        if (m.to === u) this.ctx.tracker.deliver(m.id, u)
      }
    } catch (err) {
      this.ctx.tracker.error(`invalid-record:${errorName(err)}`)
    }
  }

  private rebroadcast (u: number, owner: number): void {
    const node = this.nodes[u]
    const held = this.held[u].get(owner)
    if (node == null || held == null) return
    const now = Date.now()
    if (now - (this.lastRebroadcast[u].get(owner) ?? 0) < REBROADCAST_COOLDOWN) return
    this.lastRebroadcast[u].set(owner, now)
    this.ctx.tracker.count('rebroadcasts')
    node.services.pubsub.publish(this.topicOf(owner), held.bytes).catch(() => {
      this.ctx.tracker.count('publish-failures')
    })
  }

  async send (s: Send): Promise<void> {
    const node = this.nodes[s.from]
    if (node == null) throw new Error(`sender ${s.from} is offline`)
    const box = `${s.from}`
    const messages = this.outboxes.add(box, this.outboxes.message(s))
    const record = await createPlainRecord(this.ctx.userKeys[s.from], {
      value: encodeValue(messages),
      sequence: this.outboxes.nextSequence(box),
      lifetime: RECORD_LIFETIME,
      now: Date.now()
    })
    this.held[s.from].set(s.from, { bytes: record.bytes, sequence: record.sequence })
    this.ctx.tracker.sent(s.id)
    this.ctx.tracker.count('publishes')
    this.lastRebroadcast[s.from].set(s.from, Date.now())
    await node.services.pubsub.publish(this.topicOf(s.from), record.bytes).catch(() => {
      this.ctx.tracker.count('publish-failures')
    })
  }

  /** Nothing to do: records arrive by gossip, and by fetch on arrival. */
  async poll (): Promise<void> {}

  async storage (): Promise<Storage> {
    const storage: Storage = { recordsHeld: 0, recordBytes: 0, staleRecords: 0 }
    const now = Date.now()
    for (const held of this.held) {
      for (const [owner, h] of held) {
        storage.recordsHeld++
        storage.recordBytes += h.bytes.byteLength
        const record = this.validator.validate(h.bytes, { now, routingKey: nameRoutingKey(this.directory.multihashes[owner]) })
        if (decodeValue(record.value).every(m => this.ctx.tracker.isDelivered(m.id))) storage.staleRecords = (storage.staleRecords ?? 0) + 1
      }
    }
    return storage
  }

  async stop (): Promise<void> {
    await mapLimit(this.nodes.map((_, u) => u), 16, async u => this.userOffline(u))
  }
}
