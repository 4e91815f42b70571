/**
 * The relay's side of relay sync: its store as a `SyncSource`. Items received from a peer are
 * charged to that peer's `relay` budget (per peer and per address: a sync peer is a relay, with
 * a larger budget than a client), then go through the same ingest path as gossip and custody
 * (records, counted against the sync peer's address for eviction) or the same ack check
 * (acknowledgements), so sync never lets in what a topic would refuse. An item over budget is
 * refused: sync skips it for `skipTtl` and asks again in a later session.
 */
import { IptsError } from '../errors.ts'
import { validateAck } from '../record/index.ts'
import { refusalReason } from './refusals.ts'
import { decodeItem, encodeItem } from '../sync/index.ts'
import { budgetReason } from './budget.ts'
import type { Budgets } from './budget.ts'
import type { Counters } from './counters.ts'
import type { Ingest } from './ingest.ts'
import type { RecordStore } from './store.ts'
import type { SyncSource } from '../sync/index.ts'
import type { PeerId } from '@libp2p/interface'

export interface RelaySyncSourceComponents {
  store: RecordStore
  ingest: Ingest
  counters: Counters
  budgets: Budgets
  now(): number
  /** The host (`hostKey`) a connected peer connects from. */
  hostOf(peer: PeerId): string
  /** An ack arrived through sync and deleted or tombstoned something. */
  onAck(ackBytes: Uint8Array): void
}

export class RelaySyncSource implements SyncSource {
  private readonly c: RelaySyncSourceComponents

  constructor (components: RelaySyncSourceComponents) {
    this.c = components
  }

  symbols (): Iterable<bigint> {
    return this.c.store.symbols()
  }

  itemCount (): number {
    return this.c.store.stats().symbols
  }

  async getItem (symbol: bigint): Promise<Uint8Array | undefined> {
    const item = await this.c.store.getBySymbol(symbol)
    if (item == null) return undefined
    return item.kind === 'record'
      ? encodeItem({ kind: 'record', routingKey: item.routingKey, record: item.bytes })
      : encodeItem({ kind: 'ack', ack: item.bytes })
  }

  async accept (itemBytes: Uint8Array, from: PeerId): Promise<'stored' | 'ignored' | 'refused'> {
    const now = this.c.now()
    const host = this.c.hostOf(from)
    const verdict = this.c.budgets.take('relay', from.toString(), host, now)
    if (verdict !== 'ok') {
      this.c.counters.refused(budgetReason(verdict), 'sync')
      return 'refused'
    }
    let item
    try {
      item = decodeItem(itemBytes)
    } catch (err: any) {
      if (err instanceof IptsError) {
        this.c.counters.refused(refusalReason(err), 'sync')
        return 'refused'
      }
      throw err
    }
    switch (item.kind) {
      case 'record': {
        const result = await this.c.ingest.ingest(item.record, { now, routingKey: item.routingKey, source: 'sync', from: host })
        if (result.status === 'stored') return 'stored'
        if (result.status === 'invalid' || result.status === 'refused') return 'refused'
        return 'ignored'
      }
      case 'ack': {
        let ack
        try {
          ack = validateAck(item.ack)
        } catch (err: any) {
          if (err instanceof IptsError) {
            this.c.counters.refused(refusalReason(err), 'sync')
            return 'refused'
          }
          throw err
        }
        const { deleted, tombstoned, refused } = await this.c.store.applyAck(ack, now)
        if (refused > 0) this.c.counters.refused('AckStateFullError', 'sync')
        if (deleted + tombstoned === 0) return 'ignored'
        this.c.counters.acksApplied++
        this.c.onAck(ack.bytes)
        return 'stored'
      }
      default:
        return 'ignored'
    }
  }
}
