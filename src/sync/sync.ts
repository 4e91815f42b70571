/**
 * The sync service: answers `/ipts/sync/1.0.0` streams, starts sessions on request, on connect
 * and on a schedule, and reports each session as events.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { NotStartedError, setMaxListeners } from '@libp2p/interface'
import {
  DEFAULT_IDLE_TIMEOUT, DEFAULT_INITIAL_BATCH, DEFAULT_MAX_BATCH, DEFAULT_MAX_CODED_SYMBOLS,
  DEFAULT_MAX_INBOUND_SESSIONS, DEFAULT_MAX_ITEMS, DEFAULT_MAX_LIST_SYMBOLS, DEFAULT_MAX_OUTBOUND_SESSIONS,
  DEFAULT_PREEMPT_IDLE, DEFAULT_SKIP_CACHE_SIZE, DEFAULT_SKIP_TTL, DEFAULT_SYNC_INTERVAL, DEFAULT_SYNC_TIMEOUT,
  MAX_CODED_BATCH, SYNC_PROTOCOL
} from './constants.ts'
import { SyncChannel } from './channel.ts'
import { runInitiator } from './initiator.ts'
import { runResponder } from './responder.ts'
import { loadRiblt } from './riblt.ts'
import { SkipList, emptyStats } from './transfer.ts'
import { SyncBusyError, SyncStalledError } from '../errors.ts'
import { SafeEventEmitter } from '../events.ts'
import type { Session } from './transfer.ts'
import type { Sync, SyncEvents, SyncInit, SyncOptions, SyncSource, SyncStats } from './types.ts'
import type { ComponentLogger, Connection, CounterGroup, Counter, Logger, Metrics, PeerId, PeerStore, Stream } from '@libp2p/interface'
import type { ConnectionManager, Registrar } from '@libp2p/interface-internal'

export interface SyncComponents {
  registrar: Pick<Registrar, 'handle' | 'unhandle' | 'register' | 'unregister'>
  connectionManager: Pick<ConnectionManager, 'openConnection' | 'getConnections'>
  peerStore: Pick<PeerStore, 'get'>
  logger: ComponentLogger
  peerId: PeerId
  metrics?: Metrics
}

interface SyncMetrics {
  sessions: CounterGroup
  errors: CounterGroup
  rounds: Counter
  bytes: CounterGroup
  items: CounterGroup
}

/** libp2p service factory: `services: { sync: sync({ source }) }`, or call it with components. */
export function sync (init: SyncInit): (components: SyncComponents) => Sync {
  return (components) => new SyncService(components, init)
}

/** A session being answered, by the peer it answers. */
interface InboundSlot {
  /** Aborts the session (preemption). */
  controller: AbortController
  channel: SyncChannel
}

/** A session's channel, signal and idle timer; `close` clears the timer. */
interface Running {
  session: Session
  controller: AbortController
  close(): void
}

export class SyncService extends SafeEventEmitter<SyncEvents> implements Sync {
  readonly [Symbol.toStringTag] = '@ipts/sync'
  private readonly components: SyncComponents
  private readonly source: SyncSource
  private readonly log: Logger
  private readonly skip: SkipList
  private readonly initialBatch: number
  private readonly maxBatch: number
  private readonly maxCodedSymbols: number
  private readonly maxListSymbols: number
  private readonly maxItems: number
  private readonly timeout: number
  private readonly idleTimeout: number
  private readonly preemptIdle: number
  private readonly maxInboundSessions: number
  private readonly maxOutboundSessions: number
  private readonly interval: number
  private readonly syncOnConnect: boolean
  private shutdown?: AbortController
  private topologyId?: string
  private timer?: ReturnType<typeof setTimeout>
  /** Sessions being answered, at most one per peer, by peer ID string. */
  private readonly inbound = new Map<string, InboundSlot>()
  /** Inbound sessions waiting for a slot. */
  private waiting = 0
  /** Connected peers that speak sync, by peer ID string. */
  private readonly peers = new Map<string, PeerId>()
  /** Scheduled sessions running, by peer ID string. */
  private readonly running = new Map<string, Promise<void>>()
  /** Scheduled sessions waiting for a free slot. */
  private readonly pending = new Map<string, PeerId>()
  private readonly metrics?: SyncMetrics

  constructor (components: SyncComponents, init: SyncInit) {
    super()
    this.components = components
    this.source = init.source
    this.log = components.logger.forComponent('ipts:sync')
    this.initialBatch = Math.max(1, Math.min(init.initialBatch ?? DEFAULT_INITIAL_BATCH, MAX_CODED_BATCH))
    this.maxBatch = Math.max(this.initialBatch, Math.min(init.maxBatch ?? DEFAULT_MAX_BATCH, MAX_CODED_BATCH))
    this.maxCodedSymbols = init.maxCodedSymbols ?? DEFAULT_MAX_CODED_SYMBOLS
    this.maxListSymbols = init.maxListSymbols ?? DEFAULT_MAX_LIST_SYMBOLS
    this.maxItems = init.maxItems ?? DEFAULT_MAX_ITEMS
    this.timeout = init.timeout ?? DEFAULT_SYNC_TIMEOUT
    this.idleTimeout = init.idleTimeout ?? DEFAULT_IDLE_TIMEOUT
    this.preemptIdle = init.preemptIdle ?? DEFAULT_PREEMPT_IDLE
    this.maxInboundSessions = init.maxInboundSessions ?? DEFAULT_MAX_INBOUND_SESSIONS
    this.maxOutboundSessions = init.maxOutboundSessions ?? DEFAULT_MAX_OUTBOUND_SESSIONS
    this.interval = init.interval ?? DEFAULT_SYNC_INTERVAL
    this.syncOnConnect = init.syncOnConnect ?? true
    this.skip = new SkipList(init.skipCacheSize ?? DEFAULT_SKIP_CACHE_SIZE, init.skipTtl ?? DEFAULT_SKIP_TTL)
    this.handleStream = this.handleStream.bind(this)
    const metrics = components.metrics
    if (metrics != null) {
      this.metrics = {
        sessions: metrics.registerCounterGroup('ipts_sync_sessions_total', { label: 'role', help: 'Sync sessions completed, by this side\'s role' }),
        errors: metrics.registerCounterGroup('ipts_sync_session_errors_total', { label: 'role', help: 'Sync sessions that failed, by this side\'s role' }),
        rounds: metrics.registerCounter('ipts_sync_rounds_total', { help: 'Sync rounds (coded batches and item transfers)' }),
        bytes: metrics.registerCounterGroup('ipts_sync_bytes_total', { label: 'direction', help: 'Sync bytes, sent and received' }),
        items: metrics.registerCounterGroup('ipts_sync_items_total', { label: 'outcome', help: 'Sync items sent, and received items stored, ignored or refused' })
      }
      // every label from the start, at 0
      this.metrics.sessions.increment({ initiator: 0, responder: 0 })
      this.metrics.errors.increment({ initiator: 0, responder: 0 })
      this.metrics.rounds.increment(0)
      this.metrics.bytes.increment({ sent: 0, received: 0 })
      this.metrics.items.increment({ sent: 0, stored: 0, ignored: 0, refused: 0 })
    }
  }

  async start (): Promise<void> {
    if (this.shutdown != null) return
    await loadRiblt()
    const shutdown = new AbortController()
    setMaxListeners(Infinity, shutdown.signal)
    this.shutdown = shutdown
    await this.components.registrar.handle(SYNC_PROTOCOL, this.handleStream, {
      maxInboundStreams: this.maxInboundSessions,
      maxOutboundStreams: this.maxOutboundSessions
    })
    this.topologyId = await this.components.registrar.register(SYNC_PROTOCOL, {
      onConnect: (peer) => { this.onPeer(peer) },
      onDisconnect: (peer) => {
        this.log.trace('%p gone', peer)
        this.peers.delete(peer.toString())
        this.pending.delete(peer.toString())
      }
    })
    // The registrar tells a topology only of peers identified after it registers. A relay starts
    // its node (and dials its bootstrap peers) before this service, so a peer identified in
    // between would never be synced with by this side.
    await this.addConnectedPeers(shutdown.signal)
    this.armTimer()
  }

  /** A connected peer speaks sync: remember it, and schedule a session the first time. */
  private onPeer (peer: PeerId): void {
    // identify can report the same peer again (a second connection, a protocol push)
    const known = this.peers.has(peer.toString())
    this.peers.set(peer.toString(), peer)
    this.log.trace('%p speaks sync (known %s, we initiate %s)', peer, known, this.initiates(peer))
    if (this.syncOnConnect && !known) this.schedule(peer)
  }

  /** Every peer already connected whose identified protocols include sync. */
  private async addConnectedPeers (signal: AbortSignal): Promise<void> {
    const seen = new Set<string>()
    for (const connection of this.components.connectionManager.getConnections()) {
      const peer = connection.remotePeer
      if (seen.has(peer.toString()) || connection.status !== 'open' || connection.limits != null) continue
      seen.add(peer.toString())
      try {
        const { protocols } = await this.components.peerStore.get(peer, { signal })
        if (protocols.includes(SYNC_PROTOCOL)) this.onPeer(peer)
      } catch (err: any) {
        // not identified yet: the registrar reports it when identify completes
        this.log.trace('no protocols known for connected peer %p - %e', peer, err)
      }
    }
  }

  async stop (): Promise<void> {
    const shutdown = this.shutdown
    if (shutdown == null) return
    this.shutdown = undefined
    clearTimeout(this.timer)
    this.timer = undefined
    this.pending.clear()
    if (this.topologyId != null) {
      this.components.registrar.unregister(this.topologyId)
      this.topologyId = undefined
    }
    await this.components.registrar.unhandle(SYNC_PROTOCOL)
    shutdown.abort(new NotStartedError('sync stopped'))
    await Promise.allSettled(this.running.values())
    this.peers.clear()
  }

  async syncWith (target: PeerId | Connection, options: SyncOptions = {}): Promise<SyncStats> {
    const shutdown = this.shutdown
    if (shutdown == null) {
      throw new NotStartedError('sync is not started')
    }
    const outer = AbortSignal.any([options.signal ?? AbortSignal.timeout(this.timeout), shutdown.signal])
    setMaxListeners(Infinity, outer)
    outer.throwIfAborted()
    const connection = isConnection(target)
      ? target
      : await this.components.connectionManager.openConnection(target, { signal: outer })
    const peer = connection.remotePeer
    this.log.trace('opening a sync stream to %p', connection.remotePeer)
    const stream = await connection.newStream(SYNC_PROTOCOL, { signal: outer })
    this.log.trace('opened a sync stream to %p', connection.remotePeer)
    const { session, close } = this.session(stream, peer, 'initiator', outer)
    const signal = session.signal
    this.safeDispatch('sync:start', { peer, role: 'initiator' })
    try {
      await runInitiator(session, {
        initialBatch: this.initialBatch,
        maxBatch: this.maxBatch,
        maxCodedSymbols: this.maxCodedSymbols,
        maxListSymbols: this.maxListSymbols
      })
      await stream.close({ signal })
    } catch (err: any) {
      close()
      stream.abort(err)
      this.finish(session, false)
      this.log('sync with %p failed - %e', peer, err)
      this.safeDispatch('sync:error', { peer, role: 'initiator', error: err })
      throw err
    }
    close()
    this.finish(session, true)
    this.log('synced with %p: %d rounds, %d B out, %d B in, %d coded, %d items in, %d out',
      peer, session.stats.rounds, session.stats.bytesSent, session.stats.bytesReceived,
      session.stats.codedSymbols, session.stats.itemsReceived, session.stats.itemsSent)
    this.safeDispatch('sync:end', { peer, role: 'initiator', stats: session.stats })
    return session.stats
  }

  private async handleStream (stream: Stream, connection: Connection): Promise<void> {
    const shutdown = this.shutdown
    const peer = connection.remotePeer
    if (shutdown == null) {
      stream.abort(new NotStartedError('sync is not started'))
      return
    }
    const key = peer.toString()
    let refusal: Error | undefined
    try {
      await this.acquireSlot(key, shutdown.signal)
    } catch (err: any) {
      refusal = err
    }
    if (refusal != null) {
      stream.abort(refusal)
      this.safeDispatch('sync:error', { peer, role: 'responder', error: refusal })
      return
    }
    const outer = AbortSignal.any([AbortSignal.timeout(this.timeout), shutdown.signal])
    setMaxListeners(Infinity, outer)
    const { session, controller, close } = this.session(stream, peer, 'responder', outer)
    const slot: InboundSlot = { controller, channel: session.channel }
    this.inbound.set(key, slot)
    this.safeDispatch('sync:start', { peer, role: 'responder' })
    try {
      await runResponder(session, { maxCodedSymbols: this.maxCodedSymbols, maxListSymbols: this.maxListSymbols })
      await stream.close({ signal: session.signal })
      close()
      this.finish(session, true)
      this.safeDispatch('sync:end', { peer, role: 'responder', stats: session.stats })
    } catch (err: any) {
      close()
      stream.abort(err)
      this.finish(session, false)
      this.log('answering sync from %p failed - %e', peer, err)
      this.safeDispatch('sync:error', { peer, role: 'responder', error: err })
    } finally {
      if (this.inbound.get(key) === slot) this.inbound.delete(key)
    }
  }

  /**
   * Make room for a session from `key`, or throw `SyncBusyError`: one session per peer, and at
   * most `maxInboundSessions`. When all are taken, the idlest answered session is preempted once
   * it has been idle for `preemptIdle`; a newcomer waits up to that long for it (at most
   * `maxInboundSessions` newcomers wait at once), then gives up.
   */
  private async acquireSlot (key: string, signal: AbortSignal): Promise<void> {
    const busy = (): SyncBusyError | undefined => {
      if (this.inbound.has(key)) return new SyncBusyError('already answering a sync session from this peer')
      return undefined
    }
    let err = busy()
    if (err != null) throw err
    if (this.inbound.size < this.maxInboundSessions || this.preemptIdlest()) return
    if (!Number.isFinite(this.preemptIdle) || this.waiting >= this.maxInboundSessions) {
      throw new SyncBusyError(`already answering ${this.inbound.size} sync sessions, and ${this.waiting} wait`)
    }
    this.waiting++
    try {
      const deadline = performance.now() + this.preemptIdle
      while (true) {
        // the idlest session becomes preemptible after this long
        let soonest = this.preemptIdle
        for (const slot of this.inbound.values()) {
          soonest = Math.min(soonest, this.preemptIdle - (performance.now() - slot.channel.lastProgress))
        }
        const wait = Math.max(1, Math.min(soonest, deadline - performance.now()))
        await sleep(wait, undefined, { signal })
        err = busy()
        if (err != null) throw err
        if (this.inbound.size < this.maxInboundSessions || this.preemptIdlest()) return
        if (performance.now() >= deadline) {
          throw new SyncBusyError(`already answering ${this.inbound.size} sync sessions, none idle for ${this.preemptIdle} ms`)
        }
      }
    } finally {
      this.waiting--
    }
  }

  /**
   * Every inbound slot is taken: abort the answered session idle longest if it has been idle for
   * `preemptIdle`, and free its slot now. Returns whether a slot was freed.
   */
  private preemptIdlest (): boolean {
    let idlest: [string, InboundSlot] | undefined
    for (const entry of this.inbound) {
      if (idlest == null || entry[1].channel.lastProgress < idlest[1].channel.lastProgress) idlest = entry
    }
    if (idlest == null) return false
    const idle = performance.now() - idlest[1].channel.lastProgress
    if (idle < this.preemptIdle) return false
    this.inbound.delete(idlest[0])
    idlest[1].controller.abort(new SyncStalledError(`idle for ${Math.round(idle)} ms while another peer waited for a sync slot`))
    return true
  }

  /**
   * A session over `stream`: its signal aborts with `outer`, on preemption (the returned
   * controller) and after `idleTimeout` without progress. Call `close` when it ends.
   */
  private session (stream: Stream, peer: PeerId, role: SyncStats['role'], outer: AbortSignal): Running {
    const controller = new AbortController()
    const signal = AbortSignal.any([outer, controller.signal])
    setMaxListeners(Infinity, signal)
    const idle = setTimeout(() => {
      controller.abort(new SyncStalledError(`no progress for ${this.idleTimeout} ms`))
    }, this.idleTimeout)
    idle.unref()
    const channel = new SyncChannel(stream, () => { idle.refresh() })
    return {
      session: {
        source: this.source,
        peer,
        channel,
        stats: emptyStats(role),
        skip: this.skip,
        maxItems: this.maxItems,
        signal,
        log: this.log
      },
      controller,
      close: () => { clearTimeout(idle) }
    }
  }

  private finish (session: Session, ok: boolean): void {
    const stats = session.stats
    stats.bytesSent = session.channel.bytesSent
    stats.bytesReceived = session.channel.bytesReceived
    if (this.metrics == null) return
    const sessions = ok ? this.metrics.sessions : this.metrics.errors
    sessions.increment({ [stats.role]: true })
    this.metrics.rounds.increment(stats.rounds)
    this.metrics.bytes.increment({ sent: stats.bytesSent, received: stats.bytesReceived })
    this.metrics.items.increment({ sent: stats.itemsSent, stored: stats.stored, ignored: stats.ignored, refused: stats.refused })
  }

  /** Of two peers only the one with the smaller peer ID string starts scheduled sessions. */
  private initiates (peer: PeerId): boolean {
    return this.components.peerId.toString() < peer.toString()
  }

  /** Queue a scheduled session with `peer`, unless one is running or queued already. */
  private schedule (peer: PeerId): void {
    const key = peer.toString()
    if (this.shutdown == null || !this.initiates(peer) || this.running.has(key)) return
    this.pending.set(key, peer)
    this.drain()
  }

  private drain (): void {
    while (this.shutdown != null && this.running.size < this.maxOutboundSessions && this.pending.size > 0) {
      const [key, peer] = this.pending.entries().next().value as [string, PeerId]
      this.pending.delete(key)
      const run = this.syncWith(peer)
        .then(() => {}, (err) => { this.log('scheduled sync with %p failed - %e', peer, err) })
        .finally(() => {
          this.running.delete(key)
          this.drain()
        })
      this.running.set(key, run)
    }
  }

  private armTimer (): void {
    if (this.interval <= 0 || this.shutdown == null) return
    this.timer = setTimeout(() => {
      for (const peer of this.peers.values()) {
        this.schedule(peer)
      }
      this.armTimer()
    }, this.interval)
  }

  private safeDispatch<K extends keyof SyncEvents> (type: K, detail: SyncEvents[K]['detail']): void {
    this.safeDispatchEvent(type, { detail })
  }

  protected onListenerError (type: string, err: unknown): void {
    this.log.error('%s listener failed - %e', type, err)
  }
}

function isConnection (target: PeerId | Connection): target is Connection {
  return typeof (target as Connection).newStream === 'function'
}
