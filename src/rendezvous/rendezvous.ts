/**
 * The relay side of the rendezvous: announce this relay as a provider of {@link RENDEZVOUS_CID},
 * look up the other providers, and keep connections to a bounded number of them.
 *
 * Three repeating jobs, each bounded by its own timeout and by the shutdown signal:
 * - provide: every `reprovideInterval`, and as soon as the first DHT peer appears if the node
 *   started alone (a provide with an empty routing table would only wait);
 * - find: every `findInterval`, doubling up to `maxFindInterval` while nothing changes, back to
 *   `findInterval` when a relay appears or is lost; it dials up to `maxRelayConnections` relays
 *   it found and tags them in the peer store so the connection manager prunes them last;
 * - re-dial: a kept relay whose connection drops is re-dialled with a doubling pause, at most
 *   `redialAttempts` times, then given up (`relay:lost`) and its slot refilled by the next find.
 */
import { RendezvousUnavailableError } from '../errors.ts'
import { SafeEventEmitter } from '../events.ts'
import { repeatingTask } from '@libp2p/utils'
import { LRUCache } from 'lru-cache'
import { RENDEZVOUS_CID } from './cid.ts'
import {
  DEFAULT_ALONE_AFTER, DEFAULT_DIAL_TIMEOUT, DEFAULT_FIND_INTERVAL, DEFAULT_FIND_TIMEOUT,
  DEFAULT_MAX_FIND_INTERVAL, DEFAULT_MAX_KNOWN_RELAYS, DEFAULT_MAX_REDIAL_DELAY,
  DEFAULT_MAX_RELAY_CONNECTIONS, DEFAULT_PROVIDE_TIMEOUT, DEFAULT_REDIAL_ATTEMPTS,
  DEFAULT_REDIAL_DELAY, DEFAULT_REPROVIDE_INTERVAL, RELAY_TAG, RELAY_TAG_VALUE
} from './constants.ts'
import { nextFindInterval, pickRelaysToDial, redialDelay } from './schedule.ts'
import { progress } from './types.ts'
import type { RendezvousNode, RendezvousProgressEvents } from './types.ts'
import type { AbortOptions, Logger, PeerId } from '@libp2p/interface'
import type { RepeatingTask } from '@libp2p/utils'

export interface RendezvousInit {
  /** How often this relay re-announces itself as a provider, in ms. @default 600_000 (10 min) */
  reprovideInterval?: number
  /** How long one provide may run, in ms. @default 60_000 */
  provideTimeout?: number
  /** Pause between look-ups of other relays while the set changes, in ms. @default 60_000 (1 min) */
  findInterval?: number
  /** Longest pause between look-ups once the set is stable (the backoff cap), in ms. @default 960_000 (16 min) */
  maxFindInterval?: number
  /** How long one look-up may run, in ms. @default 30_000 */
  findTimeout?: number
  /** How many other relays to keep connections to. @default 8 */
  maxRelayConnections?: number
  /** How long one dial of a relay may take, in ms. @default 10_000 */
  dialTimeout?: number
  /** How many times a dropped relay is re-dialled before it is given up. @default 5 */
  redialAttempts?: number
  /** Pause before the first re-dial, doubling after each failure, in ms. @default 1_000 */
  redialDelay?: number
  /** Longest pause between two re-dials, in ms. @default 60_000 */
  maxRedialDelay?: number
  /** How long after `start()` a node with no DHT peer emits `alone`, in ms. @default 10_000 */
  aloneAfter?: number
  /** How many discovered relay IDs are remembered (`relay:discovered` fires once each). @default 1024 */
  maxKnownRelays?: number
  /** Receives kad-dht query progress and the rendezvous's own progress events. */
  onProgress?(evt: RendezvousProgressEvents): void
}

/** What a round of look-up found. */
export interface FindResult {
  /** Providers of the rendezvous CID other than this node. */
  providers: number
  /** Of those, how many had not been seen before. */
  discovered: number
  /** Relays this node now holds connections to. */
  connected: number
}

export interface RendezvousEvents {
  /** A relay not seen before showed up as a provider of the rendezvous CID. */
  'relay:discovered': CustomEvent<PeerId>
  /** A connection to a kept relay is open (first dial or successful re-dial). */
  'relay:connected': CustomEvent<PeerId>
  /** A kept relay's last connection closed; a re-dial is scheduled. */
  'relay:disconnected': CustomEvent<PeerId>
  /** A kept relay could not be re-dialled within `redialAttempts`; its slot is free again. */
  'relay:lost': CustomEvent<PeerId>
  /** The node has no DHT peer (and no relay): nobody to announce to or ask. It keeps waiting. */
  alone: CustomEvent<void>
  'provide:start': CustomEvent<void>
  /** A provide finished; `error` is set when it failed or timed out. */
  'provide:end': CustomEvent<{ error?: Error }>
  'find:start': CustomEvent<void>
  'find:end': CustomEvent<FindResult>
}

/** The parts of kad-dht's routing table this module watches (`peer:add` is not in its typings). */
interface ObservableRoutingTable {
  readonly size: number
  addEventListener(type: 'peer:add' | 'peer:remove', listener: (evt: Event) => void): void
  removeEventListener(type: 'peer:add' | 'peer:remove', listener: (evt: Event) => void): void
}

interface KeptRelay {
  readonly id: PeerId
  /** Failed re-dials since the connection dropped. */
  attempts: number
  connected: boolean
  timer?: ReturnType<typeof setTimeout>
}

/**
 * Relay-side rendezvous. `start()` and `stop()` are idempotent; `stop()` before `start()` is
 * harmless. The node must run kad-dht as `services.dht` (in server mode, to be found).
 */
export class Rendezvous extends SafeEventEmitter<RendezvousEvents> {
  private readonly node: RendezvousNode
  private readonly log: Logger
  private readonly routingTable?: ObservableRoutingTable
  private readonly reprovideInterval: number
  private readonly provideTimeout: number
  private readonly findInterval: number
  private readonly maxFindInterval: number
  private readonly findTimeout: number
  private readonly maxRelayConnections: number
  private readonly dialTimeout: number
  private readonly redialAttempts: number
  private readonly redialDelay: number
  private readonly maxRedialDelay: number
  private readonly aloneAfter: number
  private readonly onProgress?: (evt: RendezvousProgressEvents) => void
  private readonly known: LRUCache<string, PeerId>
  private readonly kept = new Map<string, KeptRelay>()
  private readonly inflight = new Set<Promise<unknown>>()
  private controller?: AbortController
  private provideTask?: RepeatingTask
  private findTask?: RepeatingTask
  private aloneTimer?: ReturnType<typeof setTimeout>
  private currentFindInterval: number
  /** The last provide was skipped (no DHT peer) or failed: retry when a DHT peer appears. */
  private providePending = true
  /** Something changed since the last look-up (a relay dropped or was lost). */
  private changed = false
  /** `aloneAfter` has passed since start, so being alone is worth an event. */
  private graceOver = false
  /** An `alone` event was emitted and no DHT peer has appeared since. */
  private saidAlone = false

  constructor (node: RendezvousNode, init: RendezvousInit = {}) {
    super()
    const dht = node.services.dht
    if (dht == null) {
      throw new RendezvousUnavailableError('the node has no DHT service (create it with dht: "server")')
    }
    this.node = node
    this.log = node.logger.forComponent('ipts:rendezvous')
    this.routingTable = observableRoutingTable(dht)
    this.reprovideInterval = init.reprovideInterval ?? DEFAULT_REPROVIDE_INTERVAL
    this.provideTimeout = init.provideTimeout ?? DEFAULT_PROVIDE_TIMEOUT
    this.findInterval = init.findInterval ?? DEFAULT_FIND_INTERVAL
    this.maxFindInterval = init.maxFindInterval ?? DEFAULT_MAX_FIND_INTERVAL
    this.findTimeout = init.findTimeout ?? DEFAULT_FIND_TIMEOUT
    this.maxRelayConnections = init.maxRelayConnections ?? DEFAULT_MAX_RELAY_CONNECTIONS
    this.dialTimeout = init.dialTimeout ?? DEFAULT_DIAL_TIMEOUT
    this.redialAttempts = init.redialAttempts ?? DEFAULT_REDIAL_ATTEMPTS
    this.redialDelay = init.redialDelay ?? DEFAULT_REDIAL_DELAY
    this.maxRedialDelay = init.maxRedialDelay ?? DEFAULT_MAX_REDIAL_DELAY
    this.aloneAfter = init.aloneAfter ?? DEFAULT_ALONE_AFTER
    this.onProgress = init.onProgress
    this.known = new LRUCache({ max: init.maxKnownRelays ?? DEFAULT_MAX_KNOWN_RELAYS })
    this.currentFindInterval = this.findInterval
  }

  isStarted (): boolean {
    return this.controller != null
  }

  start (): void {
    if (this.controller != null) return
    this.controller = new AbortController()
    this.providePending = true
    this.changed = false
    this.graceOver = false
    this.saidAlone = false
    this.currentFindInterval = this.findInterval

    this.node.addEventListener('peer:disconnect', this.onPeerDisconnect)
    this.routingTable?.addEventListener('peer:add', this.onDhtPeerAdded)
    this.routingTable?.addEventListener('peer:remove', this.onDhtPeerRemoved)

    this.provideTask = repeatingTask(async (options) => { await this.track(this.provide(options)) },
      this.reprovideInterval, { runImmediately: true, timeout: this.provideTimeout })
    this.findTask = repeatingTask(async (options) => { await this.track(this.find(options)) },
      this.currentFindInterval, { runImmediately: true, timeout: this.findTimeout })
    this.provideTask.start()
    this.findTask.start()
    this.aloneTimer = setTimeout(() => {
      this.aloneTimer = undefined
      this.graceOver = true
      this.checkAlone()
    }, this.aloneAfter)
  }

  async stop (): Promise<void> {
    const controller = this.controller
    if (controller == null) return
    this.controller = undefined
    controller.abort()
    this.provideTask?.stop()
    this.findTask?.stop()
    this.provideTask = undefined
    this.findTask = undefined
    clearTimeout(this.aloneTimer)
    this.aloneTimer = undefined
    this.node.removeEventListener('peer:disconnect', this.onPeerDisconnect)
    this.routingTable?.removeEventListener('peer:add', this.onDhtPeerAdded)
    this.routingTable?.removeEventListener('peer:remove', this.onDhtPeerRemoved)

    const kept = [...this.kept.values()]
    this.kept.clear()
    for (const relay of kept) clearTimeout(relay.timer)
    await Promise.allSettled([...this.inflight])
    await Promise.allSettled(kept.map(async relay => { await this.untag(relay.id) }))
    try {
      // stop announcing: the DHT's own re-provider would otherwise keep our record alive
      await this.node.services.dht?.cancelReprovide(RENDEZVOUS_CID, { signal: AbortSignal.timeout(this.dialTimeout) })
    } catch (err) {
      this.log.error('could not cancel the re-provide of the rendezvous CID - %e', err)
    }
  }

  /**
   * True while the node runs with no DHT peer and no relay connection: there is nobody to
   * announce to or ask. A relay started with no bootstrap address stays so until someone dials it.
   */
  alone (): boolean {
    return this.controller != null && this.dhtPeers() === 0 && this.relays().length === 0
  }

  /** Relays this node currently holds a connection to. */
  relays (): PeerId[] {
    return [...this.kept.values()].filter(relay => relay.connected).map(relay => relay.id)
  }

  /** Relays discovered as providers since start (the most recent `maxKnownRelays`). */
  discovered (): PeerId[] {
    return [...this.known.values()]
  }

  /** Run a look-up now rather than at the next interval (ignored while one runs). */
  findNow (): void {
    this.findTask?.run()
  }

  // --- jobs ------------------------------------------------------------------------------------

  private async provide (options: AbortOptions = {}): Promise<void> {
    if (this.controller == null || options.signal?.aborted === true) return
    if (this.dhtPeers() === 0) {
      // kad-dht pauses queries until its routing table has a peer: do not wait on it here,
      // the routing table's `peer:add` re-runs this job
      this.providePending = true
      this.checkAlone()
      return
    }
    this.providePending = false
    this.safeDispatchEvent('provide:start')
    try {
      await this.node.contentRouting.provide(RENDEZVOUS_CID, { signal: options.signal, onProgress: this.onProgress })
      this.log('provided the rendezvous CID')
      this.safeDispatchEvent('provide:end', { detail: {} })
    } catch (err: any) {
      this.providePending = true
      this.log.error('could not provide the rendezvous CID - %e', err)
      this.safeDispatchEvent('provide:end', { detail: { error: err } })
    }
  }

  private async find (options: AbortOptions = {}): Promise<void> {
    if (this.controller == null || options.signal?.aborted === true) return
    if (this.dhtPeers() === 0) {
      this.checkAlone()
      return
    }
    this.safeDispatchEvent('find:start')
    const changedBefore = this.changed
    this.changed = false
    let providers = 0
    let discovered = 0
    const candidates: PeerId[] = []
    try {
      for await (const peer of this.node.contentRouting.findProviders(RENDEZVOUS_CID, { signal: options.signal, onProgress: this.onProgress })) {
        if (peer.id.equals(this.node.peerId)) continue
        providers++
        this.onProgress?.(progress('rendezvous:provider', peer.id))
        const key = peer.id.toString()
        if (!this.known.has(key)) {
          discovered++
          this.known.set(key, peer.id)
          this.safeDispatchEvent('relay:discovered', { detail: peer.id })
        }
        if (!this.kept.has(key)) candidates.push(peer.id)
      }
    } catch (err) {
      // a timed-out look-up still yielded usable providers; only shutdown ends the round
      if (this.controller == null) return
      this.log('rendezvous look-up ended early - %e', err)
    }

    const slots = this.maxRelayConnections - this.kept.size
    const toDial = pickRelaysToDial(candidates, slots, Math.random)
    await Promise.all(toDial.map(async id => { await this.adopt(id) }))
    if (this.controller == null) return

    const connected = this.relays().length
    // relays that were found but did not answer are not a change: they are tried again next round
    const stable = discovered === 0 && !changedBefore && !this.changed
    this.currentFindInterval = nextFindInterval(this.currentFindInterval, stable, this.findInterval, this.maxFindInterval)
    this.findTask?.setInterval(this.currentFindInterval)
    this.safeDispatchEvent('find:end', { detail: { providers, discovered, connected } })
    this.checkAlone()
  }

  /** Dial a newly found relay and keep it. */
  private async adopt (id: PeerId): Promise<void> {
    const shutdown = this.controller?.signal
    if (shutdown == null) return
    this.onProgress?.(progress('rendezvous:dial', id))
    try {
      await this.node.dial(id, { signal: AbortSignal.any([shutdown, AbortSignal.timeout(this.dialTimeout)]) })
    } catch (err: any) {
      this.log('could not dial relay %p - %e', id, err)
      this.onProgress?.(progress('rendezvous:dial-failed', { peer: id, error: err }))
      return
    }
    if (this.controller == null || this.kept.has(id.toString())) return
    this.kept.set(id.toString(), { id, attempts: 0, connected: true })
    await this.tag(id)
    this.onProgress?.(progress('rendezvous:connected', id))
    this.safeDispatchEvent('relay:connected', { detail: id })
  }

  private scheduleRedial (relay: KeptRelay): void {
    if (this.controller == null) return
    relay.attempts++
    if (relay.attempts > this.redialAttempts) {
      this.kept.delete(relay.id.toString())
      this.changed = true
      this.log('giving up on relay %p after %d re-dials', relay.id, this.redialAttempts)
      void this.track(this.untag(relay.id))
      this.safeDispatchEvent('relay:lost', { detail: relay.id })
      this.findTask?.setInterval(this.findInterval)
      this.findTask?.run()
      return
    }
    const delay = redialDelay(relay.attempts, this.redialDelay, this.maxRedialDelay)
    relay.timer = setTimeout(() => {
      relay.timer = undefined
      void this.track(this.redial(relay))
    }, delay)
  }

  private async redial (relay: KeptRelay): Promise<void> {
    const shutdown = this.controller?.signal
    if (shutdown == null || this.kept.get(relay.id.toString()) !== relay) return
    try {
      await this.node.dial(relay.id, { signal: AbortSignal.any([shutdown, AbortSignal.timeout(this.dialTimeout)]) })
    } catch (err) {
      this.log('re-dial %d of relay %p failed - %e', relay.attempts, relay.id, err)
      this.scheduleRedial(relay)
      return
    }
    if (this.controller == null) return
    relay.attempts = 0
    relay.connected = true
    this.safeDispatchEvent('relay:connected', { detail: relay.id })
  }

  // --- listeners ---------------------------------------------------------------------------------

  private readonly onPeerDisconnect = (evt: CustomEvent<PeerId>): void => {
    const relay = this.kept.get(evt.detail.toString())
    if (relay == null || !relay.connected || relay.timer != null) return
    relay.connected = false
    this.changed = true
    this.safeDispatchEvent('relay:disconnected', { detail: relay.id })
    this.scheduleRedial(relay)
  }

  private readonly onDhtPeerAdded = (): void => {
    this.saidAlone = false
    if (this.providePending) this.provideTask?.run()
    if (this.kept.size >= this.maxRelayConnections) return
    if (this.dhtPeers() <= 1) {
      // the first DHT peer: there was nobody to ask until now, so ask at once
      this.findTask?.run()
    } else if (this.currentFindInterval !== this.findInterval) {
      // a new DHT peer may know relays we do not: drop the backoff. Not a look-up per peer:
      // routing tables churn, and on the public DHT that would be one query per arrival.
      this.currentFindInterval = this.findInterval
      this.findTask?.setInterval(this.findInterval)
    }
  }

  private readonly onDhtPeerRemoved = (): void => {
    this.checkAlone()
  }

  // --- helpers -----------------------------------------------------------------------------------

  private checkAlone (): void {
    if (!this.graceOver || this.saidAlone || !this.alone()) return
    this.saidAlone = true
    this.log('no DHT peer and no relay: running alone until a peer connects')
    this.safeDispatchEvent('alone')
  }

  private dhtPeers (): number {
    return this.routingTable?.size ?? this.node.getPeers().length
  }

  private async tag (id: PeerId): Promise<void> {
    try {
      await this.node.peerStore.merge(id, { tags: { [RELAY_TAG]: { value: RELAY_TAG_VALUE } } })
    } catch (err) {
      this.log.error('could not tag relay %p - %e', id, err)
    }
  }

  private async untag (id: PeerId): Promise<void> {
    try {
      await this.node.peerStore.merge(id, { tags: { [RELAY_TAG]: undefined } })
    } catch (err) {
      this.log.error('could not untag relay %p - %e', id, err)
    }
  }

  private async track<T> (promise: Promise<T>): Promise<T> {
    this.inflight.add(promise)
    try {
      return await promise
    } finally {
      this.inflight.delete(promise)
    }
  }

  protected onListenerError (type: string, err: unknown): void {
    this.log.error('%s listener failed - %e', type, err)
  }
}

/** kad-dht's routing table (public as `SingleKadDHT.routingTable`), if the service exposes it. */
function observableRoutingTable (dht: object): ObservableRoutingTable | undefined {
  const table: unknown = (dht as { routingTable?: unknown }).routingTable
  if (table == null || typeof table !== 'object') return undefined
  if (!('size' in table) || !('addEventListener' in table) || !('removeEventListener' in table)) return undefined
  return table as ObservableRoutingTable
}
