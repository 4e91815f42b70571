/**
 * Sync test and bench harness: an in-memory `SyncSource` over a Map, random record items, and
 * real libp2p nodes (TCP on 127.0.0.1, noise, yamux, identify) running the sync service.
 */
import { randomBytes } from 'node:crypto'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import { tcp } from '@libp2p/tcp'
import { createLibp2p } from 'libp2p'
import { encodeItem, symbolOf, sync } from '../../src/sync/index.ts'
import { symbolHash } from '../../src/sync/peel.ts'
import type { CodedSymbol } from '../../src/sync/peel.ts'
import type { Sync, SyncInit, SyncSource } from '../../src/sync/index.ts'
import type { Libp2p, PeerId, PrivateKey } from '@libp2p/interface'

type Verdict = 'stored' | 'ignored' | 'refused'

/** A Map of items by symbol; `accept` stores what `verdict` allows. */
export class MemorySource implements SyncSource {
  readonly items = new Map<bigint, Uint8Array>()
  /** Decides each accepted item; stores it when the answer is `stored`. */
  verdict: (item: Uint8Array) => Verdict = () => 'stored'
  /** Every `accept` call, in order. */
  readonly accepted: Array<{ item: Uint8Array, from: PeerId, verdict: Verdict }> = []
  /** Replaces `getItem` when set (to stall or fail it in tests). */
  getItemHook?: (symbol: bigint) => Promise<Uint8Array | undefined>

  add (item: Uint8Array): bigint {
    const symbol = symbolOf(item)
    this.items.set(symbol, item)
    return symbol
  }

  symbols (): Iterable<bigint> {
    return this.items.keys()
  }

  itemCount (): number {
    return this.items.size
  }

  async getItem (symbol: bigint): Promise<Uint8Array | undefined> {
    if (this.getItemHook != null) return this.getItemHook(symbol)
    return this.items.get(symbol)
  }

  async accept (item: Uint8Array, from: PeerId): Promise<Verdict> {
    let verdict = this.verdict(item)
    if (verdict === 'stored' && this.items.has(symbolOf(item))) verdict = 'ignored'
    if (verdict === 'stored') this.add(item)
    this.accepted.push({ item, from, verdict })
    return verdict
  }

  /** Symbols, sorted, for comparing two sources. */
  sorted (): bigint[] {
    return [...this.items.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
  }
}

/** A random record item of about `size` bytes under a random `/ipts/` routing key. */
export function randomItem (size = 300): Uint8Array<ArrayBuffer> {
  const routingKey = new Uint8Array([...Buffer.from('/ipts/'), ...randomBytes(38)])
  return encodeItem({ kind: 'record', routingKey, record: randomBytes(Math.max(1, size - 3 - routingKey.byteLength)) })
}

/** Fill sources so they share `common` items and each holds its own `onlyA` / `onlyB` more. */
export function fill (a: MemorySource, b: MemorySource, common: number, onlyA: number, onlyB: number, size = 300): void {
  for (let i = 0; i < common; i++) {
    const item = randomItem(size)
    a.add(item)
    b.add(item)
  }
  for (let i = 0; i < onlyA; i++) a.add(randomItem(size))
  for (let i = 0; i < onlyB; i++) b.add(randomItem(size))
}

export type SyncNode = Libp2p<{ identify: unknown, sync: Sync }>

/** A libp2p node on 127.0.0.1 running sync over `source` (no schedule unless asked). */
export async function createSyncNode (source: SyncSource, init: Partial<SyncInit> = {}, privateKey?: PrivateKey): Promise<SyncNode> {
  return createLibp2p({
    privateKey,
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionManager: { inboundConnectionThreshold: 1000 },
    services: {
      identify: identify(),
      sync: sync({ syncOnConnect: false, interval: 0, ...init, source })
    }
  })
}

/** A plain node (identify only), for speaking the protocol by hand. */
export async function createPlainNode (privateKey?: PrivateKey): Promise<Libp2p<{ identify: unknown }>> {
  return createLibp2p({
    privateKey,
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionManager: { inboundConnectionThreshold: 1000 },
    services: { identify: identify() }
  })
}

/** Resolves with the detail of the next `type` event that `accept` likes. */
export async function nextEvent<T> (target: EventTarget, type: string, accept: (detail: T) => boolean = () => true): Promise<T> {
  return new Promise(resolve => {
    const listener = (evt: Event): void => {
      const detail = (evt as CustomEvent<T>).detail
      if (!accept(detail)) return
      target.removeEventListener(type, listener)
      resolve(detail)
    }
    target.addEventListener(type, listener)
  })
}

/**
 * Issue 9's batch: 16 empty coded symbols but the second, which holds `symbol` alone. Fed to the
 * wasm decoder it peeled that symbol back and forth until the wasm memory ran out.
 */
export function craftedBatch (symbol: bigint): CodedSymbol[] {
  const batch = Array.from({ length: 16 }, () => ({ symbol: 0n, hash: 0n, count: 0n }))
  batch[1] = { symbol, hash: symbolHash(symbol), count: 1n }
  return batch
}

/** Cell-wise sum of two coded symbol runs (what a peer holding both sets would send). */
export function addCells (a: CodedSymbol[], b: CodedSymbol[]): CodedSymbol[] {
  return a.map((c, i) => ({ symbol: c.symbol ^ b[i].symbol, hash: c.hash ^ b[i].hash, count: c.count + b[i].count }))
}
