/**
 * The relay's record store: put rate, memory against bytes stored, reopen (index rebuild) time
 * and random get rate, at 100k records (and 1M: pass the count).
 *
 * Records: 64 real tagged records (one signer, 64 tags) are signed once; the N stored records
 * are copies with the tag (routing key), signer and 4 bytes of the record patched by index, so
 * every record has its own slot and its own sync symbol. The store does not validate (the
 * ingest path does), so signing and verifying are not measured. Records are made on the fly
 * in groups of `concurrency`, so the bench itself holds none of them.
 *
 * Puts go `concurrency` at a time (as an ingest path's pending validations do), into tags of
 * `recordsPerKey` records each (10: a receiver with ten pending senders; 1 is the worst case
 * for memory, a key per record).
 *
 * Memory is measured after a forced GC (run with `--expose-gc`), against the process before the
 * store was opened: RSS (includes LevelDB's caches: 8 MiB block cache, 4 MiB write buffer,
 * open table files), and the JS side (heap used + array buffers, where the index lives).
 *
 * Run: `node_modules/.bin/tsc -p . && node_modules/.bin/node --expose-gc dist/bench/store.js [records] [recordsPerKey]`
 *
 * Results (this 2-core machine, shared with other work, Node 24; "young gen" is the V8 new
 * space the run grew to, `--max-semi-space-size=16` caps it at 32):
 *
 * | records | per key | V8 flags | puts/s | stored MiB | disk MiB | index MiB (B/rec) | anon RSS Δ idle MiB | reopen s | gets/s |
 * | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
 * | 100,000 | 10 | default (young gen 64) | 20,565 | 23.9 | 43.1 | 3.0 (31) | 73.2 | 0.8 | 34,764 |
 * | 100,000 | 1 | default (young gen 64) | 15,798 | 23.9 | 49.3 | 15.3 (160) | 85.2 | 0.7 | 14,677 |
 * | 1,000,000 | 10 | default (young gen 128) | 17,722 | 239.4 | 429.7 | 29.3 (31) | 180.0 | 8.3 | 29,940 |
 * | 100,000 | 10 | semi-space 16 | 21,395 | 23.9 | 49.6 | 3.0 (31) | 41.3 | 0.6 | 40,397 |
 * | 1,000,000 | 10 | semi-space 16 | 18,227 | 239.4 | 430.3 | 29.3 (31) | 74.8 | 6.5 | 26,576 |
 *
 * What it justified: the index kept in memory is 31 bytes per record (a 64-bit symbol in a flat
 * open-addressing table, plus a per-key summary), so from 100k to 1M records anonymous RSS grows
 * 39 bytes per record with the young generation capped (124 with V8's defaults, where the young
 * generation itself doubles to 128 MiB under this put rate), against 251 bytes of record and
 * ~450 on disk. The fixed ~40 MiB is LevelDB's caches and V8. Puts go through group commit (one
 * `getMany` and one batch for every put waiting), which moved the rate from ~4,000/s (a read and
 * a batch per put) to the figures above. Reopen rebuilds the index from the expiry index only.
 */
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import v8 from 'node:v8'
import { createTaggedRecord } from '../src/record/index.ts'
import { RecordStore } from '../src/relay/store.ts'
import { makeKeys, mh, tempDir } from '../test/utils/store-fixtures.ts'
import type { IptsRecord } from '../src/record/index.ts'

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

function gc (): void {
  (globalThis as { gc?: () => void }).gc?.()
}

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

export async function run (options: StoreBenchOptions = {}): Promise<StoreBenchResult> {
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
    const cpu0 = process.cpuUsage()
    const t0 = performance.now()
    let recordBytes = 0
    for (let i = 0; i < n; i += concurrency) {
      const group: IptsRecord[] = []
      for (let j = i; j < Math.min(n, i + concurrency); j++) group.push(make(j))
      const target = store
      const results = await Promise.all(group.map(async r => target.put(r, NOW)))
      for (const [k, r] of results.entries()) {
        if (r.status !== 'stored') throw new Error(`put ${i + k}: ${r.status}`)
        recordBytes += group[k].bytes.length
      }
    }
    const wall = performance.now() - t0
    const cpu = process.cpuUsage(cpu0)
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

    const gets = options.gets ?? 20_000
    let x = 0x2545f491
    const t2 = performance.now()
    for (let i = 0; i < gets; i += concurrency) {
      await Promise.all(Array.from({ length: Math.min(concurrency, gets - i) }, async () => {
        x ^= x << 13
        x ^= x >>> 17
        x ^= x << 5
        const r = make((x >>> 0) % n)
        if (await reopened.get(r.routingKey, r.signer, NOW) == null) throw new Error('get missed')
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
      putsPerCpuSec: Math.round(n / ((cpu.user + cpu.system) / 1e6)),
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
  const result = await run({ records: Number(process.argv[2] ?? 100_000), recordsPerKey: Number(process.argv[3] ?? 10) })
  console.log(JSON.stringify(result))
  console.log(table([result]))
}
