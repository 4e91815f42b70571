/**
 * `npm run bench [-- name...] [--quick]`: runs the benchmarks (all, or the named ones), prints
 * each result as JSON on stdout, then one summary table: every figure with the baseline
 * measured in the same run, the ratio, and the spread over runs (median, min-max), with the
 * machine's load average before and after. bench/RESULTS.md records them with the command.
 *   record     validation rate vs raw Ed25519 verify (bench/record.ts)
 *   ingest     relay ingest per relay CPU-second, direct (custody/sync) and gossip, vs raw verify
 *   inbox      cold time to inbox for 1,000 records (and 1,000 sealed messages through the
 *              client) vs new node + dial + verify; 10k drain time and memory
 *   online     send -> watching inbox through one relay vs raw gossipsub over the same hops
 *   republish  republish bytes per relay per hour per 1,000 records, with and without a listener
 *   store      store put rate and memory vs bytes stored, at 100k records (bench/store.ts for 1M)
 *   sync       reconciliation bytes and rounds for differences 0/10/100/1,000 vs the full list
 *   scale      a relay restarted with 0/10k/100k inboxes: RSS, idle CPU, topics, announcement
 *              bytes to a new client, time to ready; the relay as built beside the pre-scale relay
 *              (`--inboxes 0,10000,100000 --idle 10000`)
 *   web        browser bundle size, and page load to inbox shown for 100 pending messages in
 *              headless Chromium vs the Node client reading them cold (needs chromium)
 * `--quick` runs every bench small and briefly (a smoke run: its figures are not results).
 * A figure outside what is physically possible (ImplausibleFigureError) or any failure makes the
 * run exit non-zero, after the other benches ran.
 */
import { cpus } from 'node:os'
import { run as record } from './record.ts'
import { run as ingest } from './ingest.ts'
import { run as inbox } from './inbox.ts'
import { run as online } from './online.ts'
import { run as republish } from './republish.ts'
import { run as store } from './store.ts'
import { run as sync } from './sync.ts'
import { run as scale } from './scale.ts'
import { run as web } from './web.ts'
import { formatSpread, hasGc, load } from './stats.ts'
import type { SummaryRow } from './stats.ts'

const quick = process.argv.includes('--quick')

const benches: Record<string, () => Promise<{ rows?: SummaryRow[] }>> = {
  record: async () => record(quick ? { records: 1000, rounds: 3 } : {}),
  ingest: async () => ingest(quick ? { records: 1000, runs: 2 } : {}),
  inbox: async () => inbox(quick ? { records: 300, samples: 2, drainRecords: 2000 } : {}),
  online: async () => online(quick ? { samples: 5, warmup: 1 } : {}),
  republish: async () => republish(quick ? { records: 200, tags: 20, cycles: 1, idleMs: 1000 } : {}),
  store: async () => store(quick ? { records: 20_000, runs: 1 } : {}),
  sync: async () => sync(quick ? { cases: [[2000, 10]], repeats: 1 } : {}),
  scale: async () => scale(quick ? ['--inboxes', '0,1000', '--idle', '2000'] : process.argv.slice(2)),
  web: async () => web(quick ? { messages: 20, samples: 2 } : {})
}

// bench names, skipping `--flag value` pairs that the benches read themselves
const args = process.argv.slice(2)
const names = args.filter((a, i) => !a.startsWith('-') && !((args[i - 1]?.startsWith('--') ?? false) && args[i - 1] !== '--quick'))
const selected = names.length > 0 ? names : Object.keys(benches)
for (const name of selected) {
  if (benches[name] == null) {
    console.error(`unknown bench ${name}; one of ${Object.keys(benches).join(', ')}`)
    process.exit(1)
  }
}
if (!hasGc()) {
  console.error('warning: run with --expose-gc (npm run bench does): without it GC is not kept out of the measurements')
}

const machine = `${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), Node ${process.version}`
const loadBefore = load()
console.error(`# ${quick ? 'quick (smoke) run' : 'run'} of ${selected.join(', ')} on ${machine}; load average ${loadBefore.join(' ')}`)
const rows: Array<SummaryRow & { bench: string }> = []
const failures: Array<{ bench: string, error: Error }> = []
const json = (v: unknown): string => JSON.stringify(v, (_, x) => typeof x === 'bigint' ? x.toString() : x, 2)
for (const name of selected) {
  console.error(`# ${name} ... (load average ${load().join(' ')})`)
  const started = performance.now()
  try {
    const result = await benches[name]()
    console.log(json({ bench: name, seconds: Math.round((performance.now() - started) / 100) / 10, result }))
    for (const row of result.rows ?? []) rows.push({ ...row, bench: name })
  } catch (err: any) {
    failures.push({ bench: name, error: err })
    const loud = err?.name === 'ImplausibleFigureError' ? 'IMPLAUSIBLE FIGURE (the measurement is broken)' : 'FAILED'
    console.error(`\n!!! ${name}: ${loud}: ${err?.stack ?? err}\n`)
  }
}
const loadAfter = load()

const lines = [
  '',
  `Summary${quick ? ' (quick smoke run: not results)' : ''}: ${machine}; load average ${loadBefore.join(' ')} before, ${loadAfter.join(' ')} after.`,
  'Figures are median (min-max, runs); baselines were measured in the same run.',
  '',
  '| bench | measure | value | baseline (same run) | ratio | target | note |',
  '| --- | --- | --- | --- | --- | --- | --- |'
]
for (const r of rows) {
  const baseline = r.baseline != null ? `${r.baseline.label}: ${formatSpread(r.baseline.value)} ${r.baseline.unit}` : ''
  lines.push(`| ${r.bench} | ${r.measure} | ${formatSpread(r.value)} ${r.unit} | ${baseline} | ${r.ratio != null ? formatSpread(r.ratio) : ''} | ${r.target} | ${r.note ?? ''} |`)
}
console.log(lines.join('\n'))
if (failures.length > 0) {
  console.error(`\n!!! ${failures.length} bench(es) failed: ${failures.map(f => `${f.bench} (${f.error?.name ?? 'Error'})`).join(', ')}`)
  process.exitCode = 1
}
