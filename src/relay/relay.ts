/**
 * The relay service: a type-1 peer that keeps tagged and named records alive. It runs inside a
 * libp2p node that has gossipsub and fetch (see `createNode`), and wires together the store,
 * the single ingest path, the follower (type-1 subscriptions), the republisher, the relay
 * stream protocol, the fetch lookup for `/ipns/` keys and the expiry purge.
 */
import { pbStream } from '@libp2p/utils'
import { SafeEventEmitter } from '../events.ts'
import { RecordValidator, topicForKey } from '../record/index.ts'
import { RelayRequest, RelayResponse } from '../pb/relay.ts'
import { minute, second } from '../constants.ts'
import { Budgets } from './budget.ts'
import { StreamStalledError } from '../errors.ts'
import { Counters } from './counters.ts'
import { DEFAULT_STALL_TIMEOUT, LIFETIME_SLACK, MAX_INBOX_DRAIN_TIME } from './constants.ts'
import { sendFlushed } from './flush.ts'
import { ACK_TOPIC, Follower } from './follower.ts'
import { Feed } from './feed.ts'
import { hostKey } from './host.ts'
import { handlerFor } from './handlers/index.ts'
import { InboxBudget } from './inbox-budget.ts'
import { Ingest } from './ingest.ts'
import { Policy } from './policy.ts'
import { MAX_REQUEST_BYTES, RELAY_PROTOCOL } from './protocol.ts'
import { Republisher } from './republisher.ts'
import { RecordStore } from './store.ts'
import { Rendezvous } from '../rendezvous/index.ts'
import { sync } from '../sync/index.ts'
import { RelaySyncSource } from './sync-source.ts'
import type { Sync, SyncInit } from '../sync/index.ts'
import type { RendezvousInit } from '../rendezvous/index.ts'
import type { BudgetInit } from './budget.ts'
import type { IngestSource } from './ingest.ts'
import type { PolicyInit } from './policy.ts'
import type { RepublisherInit } from './republisher.ts'
import type { FollowerInit } from './follower.ts'
import type { HandlerContext } from './handlers/index.ts'
import type { InboxInit, InboxStats } from './inbox-budget.ts'
import type { IptsNode } from '../node.ts'
import type { IptsRecord } from '../record/index.ts'
import type { RecentRefusal } from './counters.ts'
import type { RefusalReason } from './refusals.ts'
import type { Connection, Logger, Metrics, PeerId, Stream } from '@libp2p/interface'

export interface RelayInit extends PolicyInit, BudgetInit {
  /** Directory of the relay's LevelDB store. */
  path: string
  /** Republish and push budget. */
  republish?: RepublisherInit
  /** How often expired records and tombstones are purged, ms. @default 1 minute */
  purgeInterval?: number
  /** Inbound relay-protocol streams per connection. @default 32 */
  maxInboundStreams?: number
  /** Time allowed to read a request, ms. @default 10 seconds */
  requestTimeout?: number
  /**
   * Record topics followed for connected peers: caps per host and in all, and the grace period
   * after the last interested peer leaves (the per-peer cap is `maxTopicsPerPeer`).
   */
  follow?: Omit<FollowerInit, 'maxTopicsPerPeer'>
  /** Time a relay stream may make no write progress (the peer reads nothing) before it is aborted, ms. @default 30 seconds */
  stallTimeout?: number
  /** What inbox drains may hold at once (streams and page bytes, per peer, per IP, in all). */
  inbox?: InboxInit
  /** fsync every store write before it is confirmed (custody, sync, gossip): survives power loss, slower. @default false */
  syncWrites?: boolean
  /** Relay-to-relay sync (sessions on connect and every 10 minutes by default). */
  sync?: Omit<SyncInit, 'source'>
  /** Rendezvous schedule (used when the node runs the DHT). */
  rendezvous?: RendezvousInit
  /** The clock, injectable for tests. @default Date.now */
  now?(): number
}

export interface RelayEvents {
  'record:stored': CustomEvent<{ record: IptsRecord, source: IngestSource }>
  'ack:applied': CustomEvent<{ ack: Uint8Array }>
  'purge': CustomEvent<{ records: number, tombstones: number }>
  /** The relay started (`following: true`) or stopped following a record topic. */
  'topic:follow': CustomEvent<{ topic: string, following: boolean }>
}

/** A limit in force, how close the relay is to it, and how often it refused something. */
export interface RelayLimit {
  /** the option (and config.json key) that sets it */
  name: string
  value: number
  unit: 'bytes' | 'ms' | 'records' | 'topics' | 'publishes/min' | 'requests/min' | 'items/min'
  /** the amount the limit caps, now (limits on totals only) */
  used?: number
  /** the refusal the limit causes */
  reason: RefusalReason
  /** refusals under `reason` since start */
  refused: number
}

export interface RelayStatus {
  peerId: string
  /** addresses the node listens on, with /p2p/ */
  addrs: string[]
  /** seconds since `start()` */
  uptime: number
  records: number
  bytes: number
  keys: number
  tombstones: number
  topics: number
  connections: number
  /** Inbox drains served now, the page bytes they hold, and requests waiting for room. */
  inbox: InboxStats
  /** Other relays this relay keeps connections to (through the rendezvous). */
  relays: string[]
  /** True when no other relay or DHT peer is known. */
  alone: boolean
  /** every limit in force, with use and refusals */
  limits: RelayLimit[]
  /** the last refusals, newest first (at most 100) */
  recentRefusals: RecentRefusal[]
  counters: Record<string, unknown>
}

export class Relay extends SafeEventEmitter<RelayEvents> {
  readonly node: IptsNode
  readonly store: RecordStore
  readonly policy: Policy
  /** Per-peer and per-host ingest budgets (custody, acks, relay peers; gossip calls them too). */
  readonly budgets: Budgets
  readonly counters: Counters
  readonly validator = new RecordValidator()
  readonly ingest: Ingest
  readonly follower: Follower
  readonly feed: Feed
  readonly republisher: Republisher
  readonly rendezvous?: Rendezvous
  readonly sync: Sync
  readonly inbox: InboxBudget
  private readonly init: RelayInit
  private readonly log: Logger
  private readonly now: () => number
  private purgeTimer?: ReturnType<typeof setInterval>
  private running = false
  private startedAt?: number

  constructor (node: IptsNode, init: RelayInit) {
    super()
    this.node = node
    this.init = init
    this.now = init.now ?? Date.now
    this.log = node.logger.forComponent('ipts:relay')
    this.counters = new Counters({ now: this.now })
    this.policy = new Policy(init)
    this.budgets = new Budgets(init)
    this.store = new RecordStore({
      path: init.path,
      maxRecordsPerKey: this.policy.maxRecordsPerKey,
      maxRecords: this.policy.maxRecords,
      maxBytes: this.policy.maxBytes,
      maxAckBytes: this.policy.maxAckBytes,
      // a tombstone must outlive every record it refuses, and no accepted record lives longer
      maxTombstoneLifetime: this.policy.maxLifetime + LIFETIME_SLACK,
      log: node.logger.forComponent('ipts:relay:store'),
      sync: init.syncWrites ?? false
    })
    this.inbox = new InboxBudget(init.inbox)
    this.ingest = new Ingest({
      validator: this.validator,
      policy: this.policy,
      store: this.store,
      counters: this.counters,
      onStored: (record, source) => { this.onStored(record, source) }
    })
    const hostOf = (peer: PeerId): string => hostKey(node.getConnections(peer)[0]?.remoteAddr)
    this.republisher = new Republisher({
      pubsub: node.services.pubsub,
      store: this.store,
      counters: this.counters,
      log: node.logger.forComponent('ipts:relay:republisher'),
      now: this.now,
      followed: () => this.follower.followed()
    }, init.republish)
    this.follower = new Follower({
      pubsub: node.services.pubsub,
      events: node,
      ingest: this.ingest,
      policy: this.policy,
      budgets: this.budgets,
      store: this.store,
      counters: this.counters,
      log: node.logger.forComponent('ipts:relay:follower'),
      now: this.now,
      hostOf,
      push: (topic, key, peer) => { this.republisher.push(topic, key, peer) },
      onAck: (ack) => { this.safeDispatch('ack:applied', { ack }) },
      onFollow: (topic, following) => { this.safeDispatch('topic:follow', { topic, following }) }
    }, { ...init.follow, maxTopicsPerPeer: this.policy.maxTopicsPerPeer })
    this.feed = new Feed({
      pubsub: node.services.feed,
      ingest: this.ingest,
      budgets: this.budgets,
      hostOf,
      counters: this.counters,
      log: node.logger.forComponent('ipts:relay:feed'),
      now: this.now
    })
    const source = new RelaySyncSource({
      store: this.store,
      ingest: this.ingest,
      counters: this.counters,
      budgets: this.budgets,
      now: this.now,
      hostOf,
      onAck: (ack) => { this.safeDispatch('ack:applied', { ack }) }
    })
    this.sync = sync({ ...init.sync, source })({
      registrar: node,
      connectionManager: { openConnection: async (peer, options) => node.dial(peer, options), getConnections: (peer) => node.getConnections(peer) },
      peerStore: node.peerStore,
      logger: node.logger,
      peerId: node.peerId,
      metrics: node.metrics
    })
    if (node.services.dht != null) {
      this.rendezvous = new Rendezvous(node, init.rendezvous)
    }
    this.handleStream = this.handleStream.bind(this)
    this.lookupName = this.lookupName.bind(this)
    if (node.metrics != null) this.registerMetrics(node.metrics)
  }

  async start (): Promise<void> {
    if (this.running) return
    this.running = true
    this.startedAt = this.now()
    await this.store.open()
    // no topic is rejoined here: the relay follows a record topic again when a peer subscribes
    this.follower.start()
    this.feed.start()
    this.republisher.start()
    await this.node.handle(RELAY_PROTOCOL, this.handleStream, {
      maxInboundStreams: this.init.maxInboundStreams ?? 32
    })
    this.node.services.fetch.registerLookupFunction('/ipns/', this.lookupName)
    await this.sync.start()
    this.purgeTimer = setInterval(() => { void this.purge() }, this.init.purgeInterval ?? minute)
    this.purgeTimer.unref()
    this.rendezvous?.start()
  }

  async stop (): Promise<void> {
    if (!this.running) return
    this.running = false
    clearInterval(this.purgeTimer)
    await this.rendezvous?.stop()
    await this.sync.stop()
    this.node.services.fetch.unregisterLookupFunction('/ipns/', this.lookupName)
    await this.node.unhandle(RELAY_PROTOCOL)
    this.republisher.stop()
    this.feed.stop()
    this.follower.stop()
    await this.store.close()
  }

  /** Purge expired records and tombstones now. */
  async purge (): Promise<void> {
    try {
      const result = await this.store.purgeExpired(this.now())
      this.safeDispatch('purge', { records: result.records, tombstones: result.tombstones })
    } catch (err) {
      this.log.error('purge failed - %e', err)
    }
  }

  status (): RelayStatus {
    const stats = this.store.stats()
    const p = this.policy
    const b = this.budgets
    const limit = (name: string, value: number, unit: RelayLimit['unit'], reason: RefusalReason, used?: number): RelayLimit =>
      ({ name, value, unit, ...(used != null ? { used } : {}), reason, refused: this.counters.refusedCount(reason) })
    return {
      peerId: this.node.peerId.toString(),
      addrs: this.node.getMultiaddrs().map(String),
      uptime: this.startedAt == null ? 0 : Math.max(0, Math.floor((this.now() - this.startedAt) / 1000)),
      ...stats,
      topics: this.follower.topics(),
      connections: this.node.getConnections().length,
      inbox: this.inbox.stats(),
      relays: this.rendezvous?.relays().map(p => p.toString()) ?? [],
      alone: this.rendezvous?.alone() ?? this.node.getConnections().length === 0,
      limits: [
        limit('maxRecords', p.maxRecords, 'records', 'StoreFullError', stats.records),
        limit('maxBytes', p.maxBytes, 'bytes', 'StoreFullError', stats.bytes),
        limit('maxRecordsPerKey', p.maxRecordsPerKey, 'records', 'KeyFullError'),
        limit('maxRecordSize', p.maxRecordSize, 'bytes', 'RecordTooLargeError'),
        limit('maxLifetime', p.maxLifetime, 'ms', 'LifetimeTooLongError'),
        limit('maxAckBytes', p.maxAckBytes, 'bytes', 'AckStateFullError', stats.ackStateBytes),
        limit('maxPublishesPerPeerPerMinute', b.limits('gossip').peer, 'publishes/min', 'RateLimitedError'),
        limit('maxPublishesPerIpPerMinute', b.limits('gossip').ip, 'publishes/min', 'HostRateLimitedError'),
        limit('maxPutsPerPeerPerMinute', b.limits('put').peer, 'requests/min', 'RateLimitedError'),
        limit('maxPutsPerIpPerMinute', b.limits('put').ip, 'requests/min', 'HostRateLimitedError'),
        limit('maxAcksPerPeerPerMinute', b.limits('ack').peer, 'requests/min', 'RateLimitedError'),
        limit('maxAcksPerIpPerMinute', b.limits('ack').ip, 'requests/min', 'HostRateLimitedError'),
        limit('maxRelayItemsPerPeerPerMinute', b.limits('relay').peer, 'items/min', 'RateLimitedError'),
        limit('maxRelayItemsPerIpPerMinute', b.limits('relay').ip, 'items/min', 'HostRateLimitedError'),
        limit('maxTopicsPerPeer', p.maxTopicsPerPeer, 'topics', 'TooManyTopicsError'),
        limit('maxTopicsPerHost', this.follower.limits.maxTopicsPerHost, 'topics', 'HostTooManyTopicsError'),
        limit('maxTopics', this.follower.limits.maxTopics, 'topics', 'TopicsFullError', this.follower.topics())
      ],
      recentRefusals: this.counters.recentRefusals(),
      counters: this.counters.toJSON()
    }
  }

  /**
   * Registers the relay's counters and gauges with libp2p's metrics (as kad-dht does with
   * `components.metrics`); gauges are read when metrics are collected.
   */
  private registerMetrics (metrics: Metrics): void {
    this.counters.register(metrics)
    const gauge = (name: string, help: string, calculate: () => number): void => {
      metrics.registerMetric(name, { help, calculate })
    }
    gauge('ipts_store_records', 'Records held', () => this.store.stats().records)
    gauge('ipts_store_bytes', 'Record bytes held (sum of record sizes)', () => this.store.stats().bytes)
    gauge('ipts_store_keys', 'Routing keys (receivers\' inboxes and names) with records held', () => this.store.stats().keys)
    gauge('ipts_store_tombstones', 'Tombstones held (acknowledged sequences)', () => this.store.stats().tombstones)
    gauge('ipts_topics', 'Topics followed', () => this.follower.topics())
    gauge('ipts_relays_connected', 'Other relays this relay holds a connection to', () => this.rendezvous?.relays().length ?? 0)
    gauge('ipts_uptime_seconds', 'Seconds since the relay started', () => this.startedAt == null ? 0 : (this.now() - this.startedAt) / 1000)
    gauge('ipts_inbox_streams', 'Inbox drains being served', () => this.inbox.stats().streams)
    gauge('ipts_inbox_bytes', 'Record bytes of inbox pages held (read, not yet taken by readers)', () => this.inbox.stats().bytes)
    gauge('ipts_inbox_waiting', 'Inbox drains and pages waiting for room', () => this.inbox.stats().waiting)
  }

  /** Forward an applied ack to the other relays. */
  private forwardAck (ack: Uint8Array): void {
    this.node.services.pubsub.publish(ACK_TOPIC, ack).catch((err: Error) => {
      this.log.trace('could not forward ack - %e', err)
    })
    this.safeDispatch('ack:applied', { ack })
  }

  private onStored (record: IptsRecord, source: IngestSource): void {
    // a record taken in from a client goes to the other relays at once; sync is the repair path
    // and a feed arrival is forwarded by gossipsub itself
    if (source === 'gossip' || source === 'custody') this.feed.publish(record)
    // gossip on the record topic already reached that topic's subscribers; other arrivals are
    // published there once when someone connected here listens (the receiver online now)
    const topic = topicForKey(record.routingKey)
    if (source !== 'gossip' && this.follower.has(topic)) {
      this.node.services.pubsub.publish(topic, record.bytes).catch((err: Error) => {
        this.log.trace('could not publish - %e', err)
      })
    }
    // a CustomEvent per stored record cost ~4% of custody ingest (bench profile); the CLI relay
    // does not listen, so none is built unless someone does
    if (this.listenerCount('record:stored') > 0) this.safeDispatch('record:stored', { record, source })
  }

  private async lookupName (key: Uint8Array): Promise<Uint8Array | undefined> {
    return this.store.getLatestForKey(key, this.now())
  }

  private async handleStream (stream: Stream, connection: Connection): Promise<void> {
    const signal = AbortSignal.timeout(this.init.requestTimeout ?? 10 * second)
    const stallTimeout = this.init.stallTimeout ?? DEFAULT_STALL_TIMEOUT
    // nothing but the request is read: a bigger buffer would only hold what a peer pushes
    const pb = pbStream(stream, { maxDataLength: MAX_REQUEST_BYTES, maxBufferSize: MAX_REQUEST_BYTES + 16 })
    try {
      const request = await pb.read(RelayRequest, { signal })
      const handler = handlerFor(request.type)
      const context: HandlerContext = {
        store: this.store,
        ingest: this.ingest,
        counters: this.counters,
        budgets: this.budgets,
        log: this.log,
        now: this.now,
        remotePeer: connection.remotePeer,
        remoteHost: hostKey(connection.remoteAddr),
        inbox: this.inbox,
        stallTimeout,
        onAck: (ack) => { this.forwardAck(ack) }
      }
      // a long inbox drain may take longer than reading a request: give it its own bound
      const replySignal = AbortSignal.timeout(MAX_INBOX_DRAIN_TIME)
      await handler(request, context, async (response, options) => {
        // each response waits until the reader took it, so a stream holds at most one
        await sendFlushed(stream, RelayResponse.encode(response), { stallTimeout, signal: options?.signal })
      }, { signal: replySignal })
      await stream.close({ signal: AbortSignal.any([replySignal, AbortSignal.timeout(stallTimeout)]) })
    } catch (err: any) {
      this.log('relay stream from %p failed - %e', connection.remotePeer, err)
      stream.abort(err)
      if (err instanceof StreamStalledError) {
        // what the muxer already took may sit in the connection's buffer until it closes, and a
        // peer that reads nothing could add a page per new stream: it loses the connection
        this.counters.streamsStalled++
        connection.abort(err)
      } else {
        this.counters.streamErrors++
      }
    }
  }

  private safeDispatch<K extends keyof RelayEvents> (type: K, detail: RelayEvents[K]['detail']): void {
    this.dispatchEvent(new CustomEvent(type, { detail }))
  }

  protected onListenerError (type: string, err: unknown): void {
    this.log.error('%s listener failed - %e', type, err)
  }
}
