/**
 * What `ipts relay` logs while it runs: peers and relays joining and leaving, sync sessions,
 * purges, and, at most once per `summaryInterval`, the limits hit, the invalid items refused and
 * the evictions since the last line (a hostile peer cannot flood the log: one line per kind per
 * interval, whatever the rate).
 */
import { REFUSALS } from '../relay/refusals.ts'
import type { EventLog } from './log.ts'
import type { RelayHandle } from '../relay/index.ts'
import type { RefusalReason } from '../relay/refusals.ts'
import type { EvictedEvent } from '../relay/store.ts'
import type { SyncStats } from '../sync/index.ts'
import type { PeerId } from '@libp2p/interface'

/** Shortest time between two summary lines of one kind, ms. */
export const LOG_SUMMARY_INTERVAL = 10_000
/** How often refusals and evictions are checked, ms (the first of a quiet spell is logged this soon). */
const CHECK_INTERVAL = 1000

export interface WatchOptions {
  /** @default LOG_SUMMARY_INTERVAL */
  summaryInterval?: number
}

/** Logs the relay's events until the returned function is called. */
export function watchRelay (handle: RelayHandle, log: EventLog, options: WatchOptions = {}): () => void {
  const { node, relay } = handle
  const summaryInterval = options.summaryInterval ?? LOG_SUMMARY_INTERVAL
  const undo: Array<() => void> = []
  const on = <T>(target: EventTarget | undefined, type: string, fn: (detail: T) => void): void => {
    if (target == null) return
    const listener = (evt: Event): void => {
      try {
        fn((evt as CustomEvent<T>).detail)
      } catch {
        // a log line is never worth a relay
      }
    }
    target.addEventListener(type, listener)
    undo.push(() => { target.removeEventListener(type, listener) })
  }

  // peers that connected while the relay started, before anyone listened
  for (const peer of new Set(node.getConnections().map(c => c.remotePeer.toString()))) {
    log.info('peer:joined', 'peer joined', { peer, connections: node.getConnections().length })
  }
  on<PeerId>(node, 'peer:connect', peer => {
    log.info('peer:joined', 'peer joined', { peer: peer.toString(), connections: node.getConnections().length })
  })
  on<PeerId>(node, 'peer:disconnect', peer => {
    log.info('peer:left', 'peer left', { peer: peer.toString(), connections: node.getConnections().length })
  })
  on<PeerId>(relay.rendezvous, 'relay:connected', peer => {
    log.info('relay:joined', 'relay joined', { relay: peer.toString(), relays: relay.rendezvous?.relays().length })
  })
  on<PeerId>(relay.rendezvous, 'relay:disconnected', peer => {
    log.info('relay:left', 'relay left', { relay: peer.toString(), relays: relay.rendezvous?.relays().length })
  })
  on<{ peer: PeerId, role: string, stats: SyncStats }>(relay.sync, 'sync:end', ({ peer, role, stats }) => {
    log.info('sync:end', 'sync session done', {
      peer: peer.toString(),
      role,
      rounds: stats.rounds,
      bytesSent: stats.bytesSent,
      bytesReceived: stats.bytesReceived,
      itemsSent: stats.itemsSent,
      stored: stats.stored,
      ignored: stats.ignored,
      refused: stats.refused
    })
  })
  on<{ peer: PeerId, role: string, error: Error }>(relay.sync, 'sync:error', ({ peer, role, error }) => {
    log.warn('sync:error', 'sync session failed', { peer: peer.toString(), role, error: `${error.name}: ${error.message}` })
  })
  on<{ topic: string, following: boolean }>(relay, 'topic:follow', ({ following }) => {
    // debug only: the topic names a receiver; the count is what an operator watches
    log.debug(following ? 'topic:follow' : 'topic:leave', following ? 'following a record topic' : 'left a record topic', { topics: relay.follower.topics() })
  })
  on<{ records: number, tombstones: number }>(relay, 'purge', ({ records, tombstones }) => {
    log.log(records + tombstones > 0 ? 'info' : 'debug', 'purge', 'purged expired records and tombstones', { records, tombstones })
  })

  let evictedRecords = 0
  let evictedBytes = 0
  let evictedKeys = 0
  on<EvictedEvent>(relay.store, 'evicted', ({ records, bytes }) => {
    evictedKeys++
    evictedRecords += records
    evictedBytes += bytes
  })

  let seen = new Map(relay.counters.refusedByReason)
  let lastRefusals = -Infinity
  let lastEvictions = -Infinity
  const check = (): void => {
    const now = Date.now()
    if (now - lastRefusals >= summaryInterval && relay.counters.refusedTotal() > sum(seen)) {
      lastRefusals = now
      const current = new Map(relay.counters.refusedByReason)
      const limits: string[] = []
      const invalid: string[] = []
      for (const [reason, n] of current) {
        const delta = n - (seen.get(reason) ?? 0)
        if (delta <= 0) continue
        if (REFUSALS[reason].kind === 'limit') limits.push(`${reason} ${delta}`)
        else invalid.push(`${reason} ${delta}`)
      }
      seen = current
      if (limits.length > 0) {
        log.warn('limit:hit', 'limits hit', { refused: limits.join(', '), limits: limitsOf(handle, current) })
      }
      if (invalid.length > 0) {
        log.info('refused:invalid', 'invalid items refused', { refused: invalid.join(', ') })
      }
    }
    if (now - lastEvictions >= summaryInterval && evictedKeys > 0) {
      lastEvictions = now
      log.info('evicted', 'evicted the coldest receivers to stay within maxRecords and maxBytes', {
        keys: evictedKeys, records: evictedRecords, bytes: evictedBytes
      })
      evictedKeys = 0
      evictedRecords = 0
      evictedBytes = 0
    }
  }
  const timer = setInterval(check, CHECK_INTERVAL)
  timer.unref()
  undo.push(() => { clearInterval(timer) })

  return () => {
    for (const fn of undo.splice(0)) fn()
  }
}

function sum (counts: Map<RefusalReason, number>): number {
  let total = 0
  for (const n of counts.values()) total += n
  return total
}

/** The limits behind the reasons hit: `maxRecordsPerKey=2`. */
function limitsOf (handle: RelayHandle, hit: Map<RefusalReason, number>): string {
  return handle.relay.status().limits
    .filter(l => hit.has(l.reason))
    .map(l => `${l.name}=${l.value}`)
    .join(', ')
}
