/**
 * Sync cost: two relays (real libp2p nodes, TCP on 127.0.0.1, noise, yamux) holding N items of
 * ~300 random bytes each that differ in d (d/2 only on each side) reconcile with
 * `/ipts/sync/1.0.0`. Measures rounds, coded symbols, bytes on the sync stream (length prefixes
 * and messages; item payloads counted apart) and wall time, median of `repeats` runs, and the
 * same sync forced into the full-symbol-list mode as the baseline.
 *
 * Run: `node_modules/.bin/tsc -p . && node_modules/.bin/node --expose-gc dist/bench/sync.js`
 */
import { pathToFileURL } from 'node:url'
import { MemorySource, createSyncNode, fill } from '../test/sync/helpers.ts'
import { assertPlausible, load, rounded, spread } from './stats.ts'
import type { Spread, SummaryRow } from './stats.ts'
import type { SyncInit, SyncStats } from '../src/sync/index.ts'

export interface SyncBenchRow {
  items: number
  difference: number
  rounds: number
  codedSymbols: number
  /** Bytes of the protocol itself: everything on the stream except item payloads. */
  protocolBytes: number
  itemBytes: number
  totalBytes: number
  fullList: boolean
  ms: number
  /** The same reconciliation forced to ship the full symbol list. */
  baselineProtocolBytes: number
  baselineMs: number
  /** spread over the repeats */
  protocolBytesSpread: Spread
  baselineProtocolBytesSpread: Spread
}

export interface SyncBenchOptions {
  /** [items per relay, difference] pairs. */
  cases?: Array<[number, number]>
  repeats?: number
  itemSize?: number
}

/** Bytes of a plain (routing key, signer, sequence) list entry: 44 + 38 + 8. */
const KEY_SIGNER_SEQ_BYTES = 90

interface Measured { stats: SyncStats, ms: number }

async function once (items: number, difference: number, itemSize: number, init: Partial<SyncInit>): Promise<Measured> {
  const a = new MemorySource()
  const b = new MemorySource()
  fill(a, b, items - difference / 2, difference / 2, difference / 2, itemSize)
  const nodeA = await createSyncNode(a, init)
  const nodeB = await createSyncNode(b, init)
  try {
    await nodeA.dial(nodeB.getMultiaddrs()[0])
    // collect the garbage of building the sets now rather than inside the measurement
    ;(globalThis as { gc?: () => void }).gc?.()
    const start = performance.now()
    const stats = await nodeA.services.sync.syncWith(nodeB.peerId, { signal: AbortSignal.timeout(120_000) })
    const ms = performance.now() - start
    if (a.items.size !== items + difference / 2 || b.items.size !== items + difference / 2) {
      throw new Error(`did not converge: ${a.items.size} / ${b.items.size}`)
    }
    return { stats, ms }
  } finally {
    await Promise.all([nodeA.stop(), nodeB.stop()])
  }
}

function median (values: number[]): number {
  const s = [...values].sort((x, y) => x - y)
  return s[Math.floor(s.length / 2)]
}

export async function run (options: SyncBenchOptions = {}): Promise<{ cases: SyncBenchRow[], markdown: string, loadBefore: number[], loadAfter: number[], rows: SummaryRow[] }> {
  const loadBefore = load()
  const cases = options.cases ?? [[20_000, 0], [20_000, 10], [20_000, 100], [20_000, 1000], [100_000, 100]]
  const repeats = options.repeats ?? 3
  const itemSize = options.itemSize ?? 300
  const rows: SyncBenchRow[] = []
  // warm-up: compile the wasm and JIT the paths once, outside the measurements
  await once(1000, 10, itemSize, {})
  for (const [items, difference] of cases) {
    const runs: Measured[] = []
    const baseline: Measured[] = []
    for (let i = 0; i < repeats; i++) {
      runs.push(await once(items, difference, itemSize, {}))
      // maxCodedSymbols 0: the initiator sends its full symbol list straight away
      baseline.push(await once(items, difference, itemSize, { maxCodedSymbols: 0 }))
    }
    const bytes = (m: Measured): number => m.stats.bytesSent + m.stats.bytesReceived
    const itemBytes = (m: Measured): number => m.stats.itemBytesSent + m.stats.itemBytesReceived
    rows.push({
      items,
      difference,
      rounds: median(runs.map(m => m.stats.rounds)),
      codedSymbols: median(runs.map(m => m.stats.codedSymbols)),
      protocolBytes: median(runs.map(m => bytes(m) - itemBytes(m))),
      itemBytes: median(runs.map(itemBytes)),
      totalBytes: median(runs.map(bytes)),
      fullList: runs.some(m => m.stats.fullList),
      ms: median(runs.map(m => m.ms)),
      baselineProtocolBytes: median(baseline.map(m => bytes(m) - itemBytes(m))),
      baselineMs: median(baseline.map(m => m.ms)),
      protocolBytesSpread: spread(runs.map(m => bytes(m) - itemBytes(m))),
      baselineProtocolBytesSpread: spread(baseline.map(m => bytes(m) - itemBytes(m)))
    })
  }
  const markdown = toMarkdown(rows, repeats, itemSize)
  const summary: SummaryRow[] = rows.map(r => ({
    measure: `sync, ${r.items.toLocaleString('en-US')} items per relay differing by ${r.difference.toLocaleString('en-US')}: protocol bytes / full symbol list`,
    value: r.protocolBytesSpread,
    unit: 'B',
    baseline: { label: 'full symbol list', value: r.baselineProtocolBytesSpread, unit: 'B' },
    ratio: rounded({ median: r.protocolBytes / r.baselineProtocolBytes, min: r.protocolBytesSpread.min / r.baselineProtocolBytesSpread.max, max: r.protocolBytesSpread.max / r.baselineProtocolBytesSpread.min, runs: repeats }, 3),
    target: 'bytes in proportion to the difference',
    note: `medians of ${repeats}; ${r.rounds} rounds, ${Math.round(r.ms)} ms (full list ${Math.round(r.baselineMs)} ms)`
  }))
  for (const r of rows) {
    assertPlausible('sync: bytes', [r.protocolBytes, r.baselineProtocolBytes], { min: 1 })
  }
  return { cases: rows, markdown, loadBefore, loadAfter: load(), rows: summary }
}

function toMarkdown (rows: SyncBenchRow[], repeats: number, itemSize: number): string {
  const n = (x: number): string => Math.round(x).toLocaleString('en-US')
  const lines = [
    `Two relays, items of ~${itemSize} B, difference split evenly between them; median of ${repeats} runs.`,
    'Protocol bytes = everything on the sync stream in both directions except item payloads.',
    '',
    '| items per relay | difference | rounds | coded symbols | protocol bytes | item bytes | total bytes | time (ms) | full symbol list: protocol bytes | full list: time (ms) | (key, signer, seq) list bytes |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |'
  ]
  for (const r of rows) {
    lines.push(`| ${n(r.items)} | ${n(r.difference)} | ${r.rounds} | ${n(r.codedSymbols)}${r.fullList ? ' (fell back)' : ''} | ${n(r.protocolBytes)} | ${n(r.itemBytes)} | ${n(r.totalBytes)} | ${n(r.ms)} | ${n(r.baselineProtocolBytes)} | ${n(r.baselineMs)} | ${n(r.items * KEY_SIGNER_SEQ_BYTES)} |`)
  }
  return lines.join('\n')
}

if (process.argv[1] != null && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { markdown } = await run()
  process.stdout.write(markdown + '\n')
}
