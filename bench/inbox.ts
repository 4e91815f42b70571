/**
 * Time to inbox: a receiver starting cold gets N pending records from a relay.
 * Target (BRIEF): within twice the floor set by one dial plus verifying those N records on the
 * receiver, both measured in the same run.
 *
 * The relay runs in a child process (relay-host.ts, with the flags `ipts relay` uses), filled
 * before any clock starts. Floor and measurement cover matched windows: both start before the
 * receiver's libp2p node is created (with the same options: an Ed25519 identity, listening
 * nowhere, as a client's node) and end when the last record is verified (or yielded); neither
 * includes stopping the node. Floor = new node + one dial to the relay + verifying the same
 * records with a new validator (every signer first-seen, as for the receiver). Floor and
 * measurement samples alternate, the same number of each, and the ratio is the median of the
 * measurements over the median of the floors (per-pair ratios give the extremes). The
 * receiver's CPU time (this process; the relay runs in another) is reported beside it: it does
 * not swing with the machine's load as wall time does.
 * - cold receiver: new node, dial, `INBOX` drain in pages of 256, verify each record;
 * - client: `createClient().inbox()` from cold (state in a temp repo, as `ipts inbox` keeps it)
 *   on records sealed as `ipts send` makes them: verify, open, dedupe.
 * Also the drain of a 10,000-record inbox: time, receiver heap growth, and the relay's peak heap
 * and RSS above its own baseline, taken after the fill and a forced GC, so the fill's garbage
 * is not counted.
 *
 * Run: npm run bench -- inbox   (or: node --expose-gc dist/bench/inbox.js [samples])
 */
import { fileURLToPath } from 'node:url'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { multiaddr } from '@multiformats/multiaddr'
import { pbStream } from '@libp2p/utils'
import { privateKeyFromProtobuf } from '@libp2p/crypto/keys'
import { RecordValidator, tagRoutingKey } from '../src/record/index.ts'
import { createNode } from '../src/node.ts'
import { RelayRequest, RelayResponse } from '../src/pb/relay.ts'
import { MAX_RESPONSE_BYTES, RELAY_PROTOCOL } from '../src/relay/protocol.ts'
import { createClient } from '../src/client/index.ts'
import { RelayProcess } from './relay-process.ts'
import { profiled } from './cpu-profile.ts'
import { assertPlausible, cpuSecondsSince, gc, load, rounded, spread } from './stats.ts'
import type { Spread, SummaryRow } from './stats.ts'
import type { Held } from './relay-host.ts'
import type { PrivateKey } from '@libp2p/interface'

export interface InboxBenchOptions {
  /** records in the time-to-inbox inboxes. @default 1000 */
  records?: number
  /** samples of floor and of measurement each. @default 5 */
  samples?: number
  /** records in the drain-memory inbox. @default 10_000 */
  drainRecords?: number
}

/**
 * The measurement does the floor's work and more, so its median sits above the floor's; on a
 * loaded machine wall-clock noise can still put it a little below (the row then says so). Half
 * the floor means the measurement skipped work: the bench fails.
 */
const MIN_RATIO = 0.5

interface Inbox { host: RelayProcess, key: PrivateKey, routingKey: Uint8Array, records: Uint8Array[] }

async function filledRelay (count: number, sealed: boolean, returnRecords: boolean): Promise<Inbox> {
  const host = await RelayProcess.start({ relay: { maxRecordsPerKey: count } })
  try {
    const filled = await host.request<{ tagKeys: Uint8Array[], records: Held[] }>('fill', { count, tags: 1, sealed, returnRecords })
    const key = privateKeyFromProtobuf(filled.tagKeys[0])
    return { host, key, routingKey: tagRoutingKey(key.publicKey.toMultihash().bytes), records: filled.records.map(r => r.bytes) }
  } catch (err) {
    await host.stop()
    throw err
  }
}

/** The floor: a new node, one dial to the relay, verifying the inbox's records. */
async function floor (inbox: Inbox): Promise<{ ms: number, cpuMs: number, dialMs: number, verifyMs: number }> {
  return profiled('inbox-floor', async () => floorOnce(inbox))
}

async function floorOnce (inbox: Inbox): Promise<{ ms: number, cpuMs: number, dialMs: number, verifyMs: number }> {
  gc()
  const cpu = process.cpuUsage()
  const start = performance.now()
  const node = await createNode({ privateKey: inbox.key, listen: [] })
  try {
    const dialStart = performance.now()
    await node.dial(multiaddr(inbox.host.addr))
    const verifyStart = performance.now()
    const validator = new RecordValidator()
    const now = Date.now()
    for (const bytes of inbox.records) validator.validate(bytes, { now, routingKey: inbox.routingKey })
    const end = performance.now()
    return { ms: end - start, cpuMs: cpuSecondsSince(cpu) * 1000, dialMs: verifyStart - dialStart, verifyMs: end - verifyStart }
  } finally {
    await node.stop()
  }
}

/** One cold receiver: new node, dial, drain with INBOX, verify every record. */
async function drain (inbox: Inbox): Promise<{ ms: number, cpuMs: number, records: number, peakHeap: number }> {
  gc()
  let peakHeap = process.memoryUsage().heapUsed
  const cpu = process.cpuUsage()
  const start = performance.now()
  const node = await createNode({ privateKey: inbox.key, listen: [] })
  try {
    const validator = new RecordValidator()
    const stream = await node.dialProtocol(multiaddr(inbox.host.addr), RELAY_PROTOCOL)
    const pb = pbStream(stream, { maxDataLength: MAX_RESPONSE_BYTES })
    await pb.write({ type: RelayRequest.Type.INBOX, key: inbox.routingKey, signer: new Uint8Array(), pageSize: 256 }, RelayRequest)
    let records = 0
    while (true) {
      const page = await pb.read(RelayResponse)
      const now = Date.now()
      for (const bytes of page.records) {
        validator.validate(bytes, { now, routingKey: inbox.routingKey })
        records++
      }
      peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed)
      if (page.done) break
    }
    const ms = performance.now() - start
    const cpuMs = cpuSecondsSince(cpu) * 1000
    await stream.close()
    return { ms, cpuMs, records, peakHeap }
  } finally {
    await node.stop()
  }
}

/** The whole client: `createClient().inbox()` from cold, verifying and opening every message. */
async function clientInbox (inbox: Inbox): Promise<{ ms: number, cpuMs: number, messages: number }> {
  return profiled('inbox-client', async () => clientInboxOnce(inbox))
}

async function clientInboxOnce (inbox: Inbox): Promise<{ ms: number, cpuMs: number, messages: number }> {
  const repo = await mkdtemp(join(tmpdir(), 'ipts-bench-client-'))
  try {
    gc()
    const cpu = process.cpuUsage()
    const start = performance.now()
    const client = await createClient({ privateKey: inbox.key, repo, relays: [inbox.host.addr] })
    let messages = 0
    try {
      for await (const message of client.inbox()) {
        if (message.text != null) messages++
      }
      return { ms: performance.now() - start, cpuMs: cpuSecondsSince(cpu) * 1000, messages }
    } finally {
      await client.stop()
    }
  } finally {
    await rm(repo, { recursive: true, force: true })
  }
}

interface Paired {
  floor: Spread
  measured: Spread
  ratio: Spread
  pairRatios: number[]
  dialMs: Spread
  verifyMs: Spread
  /** the receiver process's CPU (the relay runs elsewhere): measurement / floor, load-proof */
  floorCpuMs: Spread
  measuredCpuMs: Spread
  cpuRatio: number
}

/** Alternating samples of the floor and of `measure`, `samples` of each. */
async function paired (inbox: Inbox, samples: number, measure: () => Promise<{ ms: number, cpuMs: number }>): Promise<Paired> {
  const floors: Array<{ ms: number, cpuMs: number, dialMs: number, verifyMs: number }> = []
  const measured: Array<{ ms: number, cpuMs: number }> = []
  // one of each first, unrecorded: JIT and the relay's first reads
  await floor(inbox)
  await measure()
  for (let i = 0; i < samples; i++) {
    floors.push(await floor(inbox))
    measured.push(await measure())
  }
  const f = spread(floors.map(x => x.ms))
  const m = spread(measured.map(x => x.ms))
  const pairRatios = measured.map((x, i) => x.ms / floors[i].ms)
  const pr = spread(pairRatios)
  const fc = spread(floors.map(x => x.cpuMs))
  const mc = spread(measured.map(x => x.cpuMs))
  return {
    floor: rounded(f, 1),
    measured: rounded(m, 1),
    // the ratio of the medians; its extremes from the per-pair ratios
    ratio: rounded({ median: m.median / f.median, min: pr.min, max: pr.max, runs: samples }),
    pairRatios,
    dialMs: rounded(spread(floors.map(x => x.dialMs)), 1),
    verifyMs: rounded(spread(floors.map(x => x.verifyMs)), 1),
    floorCpuMs: rounded(fc, 1),
    measuredCpuMs: rounded(mc, 1),
    cpuRatio: Math.round(mc.median / fc.median * 100) / 100
  }
}

/** What a row says beside its figures: the receiver's CPU ratio, and noise when it shows. */
function pairedNote (p: Paired): string {
  const cpu = `receiver CPU ${p.measuredCpuMs.median} ms / floor ${p.floorCpuMs.median} ms = ${p.cpuRatio}`
  return p.ratio.median < 1 ? `${cpu}; below 1: wall-clock noise on a loaded machine exceeds the difference` : cpu
}

export interface InboxBenchResult {
  records: number
  samples: number
  loadBefore: number[]
  loadAfter: number[]
  coldReceiver: Paired & { target: string }
  clientSealed: Paired & { messages: number, target: string }
  drain: { records: number, ms: number, receiverHeapGrowthMiB: number, relayBaseline: { rssMiB: number, heapMiB: number }, relayPeakRssGrowthMiB: number, relayPeakHeapGrowthMiB: number }
  rows: SummaryRow[]
}

export async function run (options: InboxBenchOptions = {}): Promise<InboxBenchResult> {
  const n = options.records ?? 1000
  const samples = options.samples ?? 5
  const drainRecords = options.drainRecords ?? 10_000
  const loadBefore = load()
  const mib = (b: number): number => Math.round(b / 1048576 * 10) / 10

  let coldReceiver: Paired
  {
    const inbox = await filledRelay(n, false, true)
    try {
      coldReceiver = await paired(inbox, samples, async () => {
        const r = await drain(inbox)
        if (r.records !== n) throw new Error(`drained ${r.records} of ${n}`)
        return r
      })
    } finally {
      await inbox.host.stop()
    }
  }
  let clientSealed: Paired
  let messages = 0
  {
    const inbox = await filledRelay(n, true, true)
    try {
      clientSealed = await paired(inbox, samples, async () => {
        const r = await clientInbox(inbox)
        messages = r.messages
        if (r.messages !== n) throw new Error(`client read ${r.messages} of ${n}`)
        return r
      })
    } finally {
      await inbox.host.stop()
    }
  }
  let drainResult: InboxBenchResult['drain']
  {
    const inbox = await filledRelay(drainRecords, false, false)
    try {
      // the relay's baseline after its fill and a forced GC: the fill's garbage is not the drain's
      const base = await inbox.host.request<{ rss: number, heapUsed: number }>('memory-baseline')
      gc()
      const before = process.memoryUsage().heapUsed
      const r = await drain(inbox)
      const peak = await inbox.host.request<{ peakRss: number, peakHeap: number }>('memory-peak')
      if (r.records !== drainRecords) throw new Error(`drained ${r.records} of ${drainRecords}`)
      drainResult = {
        records: r.records,
        ms: Math.round(r.ms),
        receiverHeapGrowthMiB: mib(r.peakHeap - before),
        relayBaseline: { rssMiB: mib(base.rss), heapMiB: mib(base.heapUsed) },
        relayPeakRssGrowthMiB: mib(peak.peakRss - base.rss),
        relayPeakHeapGrowthMiB: mib(peak.peakHeap - base.heapUsed)
      }
    } finally {
      await inbox.host.stop()
    }
  }

  const result: InboxBenchResult = {
    records: n,
    samples,
    loadBefore,
    loadAfter: load(),
    coldReceiver: { ...coldReceiver, target: '<= 2' },
    clientSealed: { ...clientSealed, messages, target: '<= 2' },
    drain: drainResult,
    rows: [
      {
        measure: `cold receiver, ${n.toLocaleString('en-US')} records (INBOX drain + verify) / (dial + verify)`,
        value: coldReceiver.measured,
        unit: 'ms',
        baseline: { label: 'new node + dial + verify', value: coldReceiver.floor, unit: 'ms' },
        ratio: coldReceiver.ratio,
        target: '<= 2',
        note: pairedNote(coldReceiver)
      },
      {
        measure: `cold client inbox, ${n.toLocaleString('en-US')} sealed messages / (dial + verify)`,
        value: clientSealed.measured,
        unit: 'ms',
        baseline: { label: 'new node + dial + verify', value: clientSealed.floor, unit: 'ms' },
        ratio: clientSealed.ratio,
        target: '<= 2',
        note: pairedNote(clientSealed)
      }
    ]
  }
  for (const [label, p] of [['cold receiver', coldReceiver], ['client', clientSealed]] as const) {
    assertPlausible(`${label}: floor and measurement, ms`, [p.floor.min, p.measured.min], { min: 0.001 })
    assertPlausible(`${label}: median / floor, wall clock and receiver CPU`, [p.ratio.median, p.cpuRatio], { min: MIN_RATIO, why: 'the measurement does the floor\'s work and more: half of it means work was skipped' })
  }
  assertPlausible('drain: relay baseline RSS above its heap', drainResult.relayBaseline.rssMiB - drainResult.relayBaseline.heapMiB, { min: 0, why: 'RSS holds the heap' })
  return result
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(JSON.stringify(await run({ samples: Number(process.argv[2] ?? 5) }), null, 2))
}
