/**
 * The relay's side of relay sync: its store as a `SyncSource`. Items received from a peer go
 * through the same ingest path as gossip and custody (records) or the same ack check
 * (acknowledgements), so sync never lets in what a topic would refuse.
 */
import { IptsError } from '../errors.ts'
import { validateAck } from '../record/index.ts'
import { refusalReason } from './refusals.ts'
import { decodeItem, encodeItem } from '../sync/index.ts'
import type { Counters } from './counters.ts'
import type { Ingest } from './ingest.ts'
import type { RecordStore } from './store.ts'
import type { SyncSource } from '../sync/index.ts'

export interface RelaySyncSourceComponents {
  store: RecordStore
  ingest: Ingest
  counters: Counters
  now(): number
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

  async accept (itemBytes: Uint8Array): Promise<'stored' | 'ignored' | 'refused'> {
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
        const result = await this.c.ingest.ingest(item.record, { now: this.c.now(), routingKey: item.routingKey, source: 'sync' })
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
        const { deleted, tombstoned } = await this.c.store.applyAck(ack, this.c.now())
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
