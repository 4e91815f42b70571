/**
 * The relay's record store: put rate, memory against bytes stored, reopen (index rebuild) time
 * and random get rate, at 100k records (and 1M: pass the count).
 *
 * Records: 64 real tagged records (one signer, 64 tags) are signed once; the N stored records
 * are copies with the tag (routing key), signer and 4 bytes of the record patched by index, so
 * every record has its own slot and its own sync symbol. The store does not validate (the
 * ingest path does), so signing and verifying are not measured.
 *
 * Puts go `concurrency` at a time (as an ingest path's pending validations do), into tags of
 * `recordsPerKey` records each (10: a receiver with ten pending senders; 1 is the worst case
 * for memory, a key per record).
 *
 * Memory is measured after a forced GC (run with `--expose-gc`), against the process before the
 * store was opened: RSS (includes LevelDB's caches: 8 MiB block cache, 4 MiB write buffer,
 * open table files), and the JS side (heap used + array buffers, where the index lives).
 *
 * Records are built before the clock runs: each group of `concurrency` records is built, then
 * its puts are timed (wall clock and process CPU, summed over the groups). Building is outside
 * the clock; its garbage is short-lived, as a relay's received records are (building all N
 * first, or in large batches, promotes them to the old generation and grows RSS by far more
 * than the store does). The random gets' targets are drawn before their clock starts too. Each run uses a new store in a new
 * process (with the V8 flags `ipts relay` runs with unless told otherwise), so every run's
 * memory starts from the same state; `runs` runs give the median and extremes.
 *
 * Results and the decisions they justified: bench/RESULTS.md ("Store").
 *
 * Run: `node_modules/.bin/tsc -p . && node_modules/.bin/node dist/bench/store.js [records] [recordsPerKey] [runs]`
 */
import { execFileSync, spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import v8 from 'node:v8'
import { createTaggedRecord } from '../src/record/index.ts'
import { RecordStore } from '../src/relay/store.ts'
import { makeKeys, mh, tempDir } from '../test/utils/store-fixtures.ts'
import { RELAY_FLAGS } from './relay-process.ts'
import { assertPlausible, cpuSecondsSince, gc, load, rounded, spread } from './stats.ts'
import type { IptsRecord } from '../src/record/index.ts'
import type { Spread, SummaryRow } from './stats.ts'

export interface StoreBenchOptions {
  /** records stored. @default 100_000 */
  records?: number
  /** records per routing key (tag). @default 10 */
  recordsPerKey?: number
  /** puts in flight. @default 256 */
  concurrency?: number
  /** random gets measured after the puts. @default 20_000 */
  gets?: number
}

export interface StoreBenchResult {
  records: number
  recordsPerKey: number
  keys: number
  /** mean record size, bytes */
  recordBytes: number
  /** puts per wall-clock second */
  putsPerSec: number
  /** puts per CPU-second of this process (all threads, LevelDB's included) */
  putsPerCpuSec: number
  /** sum of record sizes held (`stats().bytes`) */
  storedBytes: number
  /** LevelDB directory size after the run */
  diskBytes: number
  /** in-memory index (`stats().indexBytes`) */
  indexBytes: number
  /** heap used + array buffers after GC, against before the store opened */
  jsDelta: number
  /** RSS right after the puts, against before the store opened */
  rssDelta: number
  /** after 3 s idle: anonymous RSS (heap, malloc) and file pages mapped (LevelDB's tables) */
  anonDelta: number
  fileDelta: number
  /** young-generation size V8 grew to during the puts, MiB */
  newSpaceMiB: number
  /** after close and reopen: time to rebuild the index, and memory then */
  reopenMs: number
  reopenAnonDelta: number
  /** random gets per wall-clock second (after reopen) */
  getsPerSec: number
}

const NOW = 1_700_000_000_000
const TEMPLATES = 64
/** Bound on one run (1M records take ~2 minutes here). */
const CHILD_TIMEOUT = 20 * 60_000

/** RSS split from /proc (Linux): anonymous memory, and file pages mapped (LevelDB mmaps its tables). */
function rssParts (): { anon: number, file: number } {
  try {
    const status = readFileSync('/proc/self/status', 'utf8')
    const kb = (name: string): number => Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN) * 1024
    return { anon: kb('RssAnon'), file: kb('RssFile') + kb('RssShmem') }
  } catch {
    return { anon: NaN, file: NaN }
  }
}

function memory (label?: string): { rss: number, anon: number, file: number, js: number, newSpaceMiB: number } {
  gc()
  gc()
  const m = process.memoryUsage()
  const parts = rssParts()
  const newSpace = v8.getHeapSpaceStatistics().find(s => s.space_name === 'new_space')?.space_size ?? 0
  if (process.env.STORE_BENCH_DEBUG != null && label != null) console.error(label, JSON.stringify({ ...m, ...parts, newSpace }))
  return { rss: m.rss, ...parts, js: m.heapUsed + m.arrayBuffers, newSpaceMiB: Math.round(newSpace / 2 ** 20) }
}

function patch32 (bytes: Uint8Array, at: number, value: number): void {
  bytes[at] = value >>> 24
  bytes[at + 1] = (value >>> 16) & 0xff
  bytes[at + 2] = (value >>> 8) & 0xff
  bytes[at + 3] = value & 0xff
}

export async function runOnce (options: StoreBenchOptions = {}): Promise<StoreBenchResult> {
  const n = options.records ?? 100_000
  const perKey = options.recordsPerKey ?? 10
  const concurrency = options.concurrency ?? 256
  const [signer, ...tags] = await makeKeys(1 + TEMPLATES)
  const templates: IptsRecord[] = []
  for (const tag of tags) {
    templates.push(await createTaggedRecord(signer, { tag: mh(tag), value: '/ipfs/bafkqaaa', sequence: 1, now: NOW, lifetime: 30 * 86_400_000 }))
  }
  const make = (i: number): IptsRecord => {
    const t = templates[i % TEMPLATES]
    const routingKey = templates[0].routingKey.slice()
    patch32(routingKey, routingKey.length - 4, Math.floor(i / perKey))
    const signerBytes = t.signer.slice()
    patch32(signerBytes, signerBytes.length - 4, i % perKey)
    const bytes = t.bytes.slice()
    patch32(bytes, bytes.length - 4, i)
    return { ...t, routingKey, signer: signerBytes, tag: routingKey.subarray(6), bytes }
  }

  const dir = await tempDir('ipts-store-bench-')
  try {
    const before = memory('before')
    let store: RecordStore | undefined = new RecordStore({ path: dir.path, maxRecords: n, maxBytes: n * 1024, maxRecordsPerKey: perKey })
    await store.open()
    let wall = 0
    let cpuSeconds = 0
    let recordBytes = 0
    for (let from = 0; from < n; from += concurrency) {
      // each group is built before its clock starts; its garbage dies young, as a relay's
      // received records do
      const group: IptsRecord[] = []
      for (let i = from; i < Math.min(n, from + concurrency); i++) group.push(make(i))
      for (const r of group) recordBytes += r.bytes.length
      const target = store
      const cpu0 = process.cpuUsage()
      const t0 = performance.now()
      const results = await Promise.all(group.map(async r => target.put(r, NOW)))
      wall += performance.now() - t0
      cpuSeconds += cpuSecondsSince(cpu0)
      for (const [k, r] of results.entries()) {
        if (r.status !== 'stored') throw new Error(`put ${from + k}: ${r.status}`)
      }
    }
    const stats = store.stats()
    if (stats.records !== n) throw new Error(`stored ${stats.records} of ${n}`)
    const after = memory('after puts')
    // idle a moment: V8 returns young-generation and free old-space pages when allocation stops
    await new Promise(resolve => setTimeout(resolve, 3000))
    const settled = memory('after puts, idle 3 s')
    await store.close()
    store = undefined // its index must not count in the reopened store's memory

    const t1 = performance.now()
    const reopened = new RecordStore({ path: dir.path, maxRecords: n, maxBytes: n * 1024, maxRecordsPerKey: perKey })
    await reopened.open()
    const reopenMs = performance.now() - t1
    const afterReopen = memory('after reopen')
    if (reopened.stats().records !== n) throw new Error('reopen lost records')

    // the gets' targets, drawn before the clock
    const gets = options.gets ?? 20_000
    let x = 0x2545f491
    const targets: Array<{ routingKey: Uint8Array, signer: Uint8Array }> = []
    for (let i = 0; i < gets; i++) {
      x ^= x << 13
      x ^= x >>> 17
      x ^= x << 5
      const r = make((x >>> 0) % n)
      targets.push({ routingKey: r.routingKey, signer: r.signer })
    }
    gc('minor')
    const t2 = performance.now()
    for (let i = 0; i < gets; i += concurrency) {
      await Promise.all(targets.slice(i, i + concurrency).map(async (t) => {
        if (await reopened.get(t.routingKey, t.signer, NOW) == null) throw new Error('get missed')
      }))
    }
    const getsPerSec = gets / (performance.now() - t2) * 1000
    const diskBytes = Number(execFileSync('du', ['-sb', dir.path]).toString().split('\t')[0])
    await reopened.close()

    return {
      records: n,
      recordsPerKey: perKey,
      keys: stats.keys,
      recordBytes: Math.round(recordBytes / n),
      putsPerSec: Math.round(n / wall * 1000),
      putsPerCpuSec: Math.round(n / cpuSeconds),
      storedBytes: stats.bytes,
      diskBytes,
      indexBytes: stats.indexBytes,
      jsDelta: after.js - before.js,
      rssDelta: after.rss - before.rss,
      anonDelta: settled.anon - before.anon,
      fileDelta: settled.file - before.file,
      newSpaceMiB: after.newSpaceMiB,
      reopenMs: Math.round(reopenMs),
      reopenAnonDelta: afterReopen.anon - before.anon,
      getsPerSec: Math.round(getsPerSec)
    }
  } finally {
    await dir.remove()
  }
}

export interface StoreBenchSummary {
  /** V8 flags of the runs' processes */
  v8Flags: string[]
  runs: StoreBenchResult[]
  loadBefore: number[]
  loadAfter: number[]
  putsPerSec: Spread
  putsPerCpuSec: Spread
  /** anonymous RSS growth after the puts and 3 s idle, bytes per record */
  anonBytesPerRecord: Spread
  reopenMs: Spread
  getsPerSec: Spread
  markdown: string
  rows: SummaryRow[]
}

/** One run in a new process, so every run's memory starts from the same state. */
async function runInChild (options: StoreBenchOptions, flags: string[]): Promise<StoreBenchResult> {
  const child = spawn(process.execPath, [...flags, fileURLToPath(import.meta.url), '--one', JSON.stringify(options)], { stdio: ['ignore', 'pipe', 'inherit'] })
  let out = ''
  child.stdout.on('data', (chunk: Buffer) => { out += chunk.toString() })
  const timer = setTimeout(() => { child.kill('SIGKILL') }, CHILD_TIMEOUT)
  const code = await new Promise<number | null>(resolve => child.on('close', resolve))
  clearTimeout(timer)
  if (code !== 0) throw new Error(`store bench run exited with ${code}`)
  return JSON.parse(out.trim().split('\n').at(-1) ?? '')
}

/**
 * `runs` runs (3 by default), each on a new store in a new process started with `v8Flags`
 * (by default the flags `ipts relay` runs with, and --expose-gc), summarised.
 */
export async function run (options: StoreBenchOptions & { runs?: number, v8Flags?: string[] } = {}): Promise<StoreBenchSummary> {
  const loadBefore = load()
  const runs: StoreBenchResult[] = []
  const { runs: count, v8Flags, ...one } = options
  for (let i = 0; i < (count ?? 3); i++) {
    runs.push(await runInChild(one, v8Flags ?? RELAY_FLAGS))
  }
  const s = (f: (r: StoreBenchResult) => number, digits = 0): Spread => rounded(spread(runs.map(f)), digits)
  const summary: StoreBenchSummary = {
    v8Flags: v8Flags ?? RELAY_FLAGS,
    runs,
    loadBefore,
    loadAfter: load(),
    putsPerSec: s(r => r.putsPerSec),
    putsPerCpuSec: s(r => r.putsPerCpuSec),
    anonBytesPerRecord: s(r => r.anonDelta / r.records),
    reopenMs: s(r => r.reopenMs),
    getsPerSec: s(r => r.getsPerSec),
    markdown: table(runs),
    rows: []
  }
  summary.rows = [{
    measure: `store puts, ${runs[0].records.toLocaleString('en-US')} records of ${runs[0].recordBytes} B`,
    value: summary.putsPerSec,
    unit: 'puts/s',
    target: '(no regression)',
    note: `${summary.putsPerCpuSec.median} puts/CPU-s; anon RSS growth ${(summary.anonBytesPerRecord.median * runs[0].records / 2 ** 20).toFixed(1)} MiB for ${(runs[0].storedBytes / 2 ** 20).toFixed(1)} MiB of records (fixed costs included); reopen ${summary.reopenMs.median} ms; gets ${summary.getsPerSec.median}/s`
  }]
  for (const r of runs) {
    assertPlausible('store: puts/s, gets/s', [r.putsPerSec, r.putsPerCpuSec, r.getsPerSec], { min: 1 })
    assertPlausible('store: index bytes', r.indexBytes, { min: 1, max: r.storedBytes, why: 'the index holds a symbol per record, not the records' })
  }
  return summary
}

/** One markdown row per result: memory per record, and against the bytes stored. */
export function table (results: StoreBenchResult[]): string {
  const mb = (b: number): string => (b / 2 ** 20).toFixed(1)
  const rows = [
    '| records | per key | record B | puts/s | puts/CPU-s | stored MiB | disk MiB | index MiB (B/rec) | JS Δ MiB | RSS Δ MiB (V8 young gen) | anon Δ idle MiB (% of stored) | file Δ MiB | reopen s | reopen anon Δ MiB | gets/s |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |'
  ]
  for (const r of results) {
    rows.push(`| ${r.records} | ${r.recordsPerKey} | ${r.recordBytes} | ${r.putsPerSec} | ${r.putsPerCpuSec} | ${mb(r.storedBytes)} | ${mb(r.diskBytes)} | ` +
      `${mb(r.indexBytes)} (${Math.round(r.indexBytes / r.records)}) | ${mb(r.jsDelta)} | ${mb(r.rssDelta)} (${r.newSpaceMiB}) | ` +
      `${mb(r.anonDelta)} (${Math.round(100 * r.anonDelta / r.storedBytes)}%) | ${mb(r.fileDelta)} | ${(r.reopenMs / 1000).toFixed(1)} | ${mb(r.reopenAnonDelta)} | ${r.getsPerSec} |`)
  }
  return rows.join('\n')
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (process.argv[2] === '--one') {
    // one run, in this process (started by run())
    console.log(JSON.stringify(await runOnce(JSON.parse(process.argv[3]))))
  } else {
    const result = await run({ records: Number(process.argv[2] ?? 100_000), recordsPerKey: Number(process.argv[3] ?? 10), runs: Number(process.argv[4] ?? 3) })
    console.log(JSON.stringify({ ...result, markdown: undefined }))
    console.log(result.markdown)
  }
}
