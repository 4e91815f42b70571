/**
 * `npm run bench [-- name...]`: runs the benchmarks (all, or the named ones) and prints each
 * result as JSON. Every figure is a ratio against, or sits beside, a baseline measured in the
 * same run; bench/RESULTS.md records the figures with the command that made them.
 *   record  validation rate vs raw Ed25519 verify (bench/record.ts)
 *   ingest  relay ingest, direct (custody/sync) and through gossipsub, vs raw verify
 *   inbox   time to inbox for 1,000 records vs the dial+verify floor; 10k drain time and memory
 *   store   store put rate and memory vs bytes stored, at 100k records (`store --records 1000000`)
 *   sync    reconciliation bytes and rounds for differences 0/10/100/1,000 vs the full list
 *   scale   a relay restarted with 0/10k/100k inboxes: RSS, idle CPU, topics, announcement bytes
 *           to a new client, time to ready; the relay as built beside the pre-scale relay
 */
import { run as record } from './record.ts'
import { run as ingest } from './ingest.ts'
import { run as inbox } from './inbox.ts'
import { run as store } from './store.ts'
import { run as sync } from './sync.ts'
import { run as scale } from './scale.ts'

const benches: Record<string, () => Promise<unknown>> = {
  record: async () => record(),
  ingest: async () => ingest(),
  inbox: async () => inbox(),
  store: async () => store(),
  sync: async () => sync(),
  scale: async () => scale()
}

// bench names, skipping `--flag value` pairs that the benches read themselves
const args = process.argv.slice(2)
const names = args.filter((a, i) => !a.startsWith('-') && !(args[i - 1]?.startsWith('--') ?? false))
const selected = names.length > 0 ? names : Object.keys(benches)
for (const name of selected) {
  const bench = benches[name]
  if (bench == null) {
    console.error(`unknown bench ${name}; one of ${Object.keys(benches).join(', ')}`)
    process.exit(1)
  }
  console.error(`# ${name} ...`)
  const started = performance.now()
  const result = await bench()
  console.log(JSON.stringify({ bench: name, seconds: Math.round((performance.now() - started) / 100) / 10, result }, (_, v) => typeof v === 'bigint' ? v.toString() : v, 2))
}
