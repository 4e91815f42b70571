/**
 * `npm run bench -- scale [--inboxes 0,10000,100000] [--idle 10000]`: a relay restarted holding
 * N inboxes (N records, each to a different receiver), the relay as built (`interest`) beside
 * today's relay before the scale change reproduced in the same run (`legacy`: one topic per
 * stored key, every subscription announced to every peer).
 *
 * Per N and mode, the relay runs in its own process (bench/scale-relay.ts) and we report:
 * - readyMs: process start to the relay answering (restart time to ready); legacy also reports
 *   subscribedMs, when its last stored topic was subscribed;
 * - rss, heap and topics joined, and idle CPU (% of one core, process.cpuUsage over `--idle` ms
 *   with no traffic), after a newly connected client came and went;
 * - announceBytes: subscription-announcement bytes the relay sent a newly connected
 *   default-config gossipsub client (counted as encoded, whether or not the client could decode
 *   them: a default peer rejects an RPC of more than 5,000 subscriptions whole).
 * Targets (BRIEF): at 100,000 inboxes RSS <= 400 MB, idle CPU <= 2%, announceBytes <= 4 KB,
 * ready <= 3 s.
 */
import { fork } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir, loadavg } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { multiaddr } from '@multiformats/multiaddr'
import { defaultPeer, fillInboxes } from '../test/utils/scale.ts'
import { spread } from './stats.ts'
import type { SummaryRow } from './stats.ts'

interface Row {
  inboxes: number
  mode: 'interest' | 'legacy'
  readyMs: number
  subscribedMs: number
  rssMB: number
  heapMB: number
  topics: number
  idleCpuPercent: number
  announceBytes: number
}

const MB = 1024 * 1024

export async function run (argv: string[] = process.argv.slice(2)): Promise<{ rows: SummaryRow[], [key: string]: unknown }> {
  const inboxesArg = flag(argv, '--inboxes') ?? '0,10000,100000'
  const idleMs = Number(flag(argv, '--idle') ?? 10_000)
  const sizes = inboxesArg.split(',').map(Number)
  const rows: Row[] = []
  for (const inboxes of sizes) {
    const repo = await mkdtemp(join(tmpdir(), 'ipts-bench-scale-'))
    try {
      const t0 = performance.now()
      await fillInboxes(repo, inboxes)
      console.error(`# scale: ${inboxes} inboxes filled in ${Math.round(performance.now() - t0)} ms`)
      for (const mode of ['interest', 'legacy'] as const) {
        const row = await measure(repo, inboxes, mode, idleMs)
        console.error(`# scale: ${JSON.stringify(row)}`)
        rows.push(row)
      }
    } finally {
      await rm(repo, { recursive: true, force: true })
    }
  }
  // the summary table's rows: the relay as built, its baseline the pre-scale relay in the same run
  const summary: SummaryRow[] = []
  for (const inboxes of sizes) {
    const a = rows.find(r => r.inboxes === inboxes && r.mode === 'interest')
    const b = rows.find(r => r.inboxes === inboxes && r.mode === 'legacy')
    if (a == null || b == null) continue
    const n = inboxes.toLocaleString('en')
    const row = (measure: string, unit: string, mine: number, theirs: number, target: string): SummaryRow => ({
      measure: `${measure}, ${n} inboxes`,
      value: spread([mine]),
      unit,
      baseline: { label: 'pre-scale relay', value: spread([theirs]), unit },
      ratio: spread([mine / Math.max(0.01, theirs)]),
      target
    })
    const big = inboxes >= 100_000
    summary.push(
      row('relay RSS', 'MB', a.rssMB, b.rssMB, big ? '<= 400 MB' : ''),
      row('idle CPU', '%', a.idleCpuPercent, b.idleCpuPercent, big ? '<= 2%' : ''),
      row('announcements to a new client', 'B', a.announceBytes, b.announceBytes, big ? '<= 4 KB' : ''),
      row('ready after restart', 'ms', a.readyMs, b.subscribedMs, big ? '<= 3 s' : '')
    )
  }
  return {
    load: loadavg().map(l => Math.round(l * 100) / 100),
    detail: rows,
    rows: summary,
    ratios: sizes.map(inboxes => {
      const a = rows.find(r => r.inboxes === inboxes && r.mode === 'interest')
      const b = rows.find(r => r.inboxes === inboxes && r.mode === 'legacy')
      if (a == null || b == null) return undefined
      return {
        inboxes,
        rss: round(a.rssMB / b.rssMB),
        idleCpu: round(a.idleCpuPercent / Math.max(0.01, b.idleCpuPercent)),
        announceBytes: round(a.announceBytes / Math.max(1, b.announceBytes))
      }
    })
  }
}

async function measure (repo: string, inboxes: number, mode: 'interest' | 'legacy', idleMs: number): Promise<Row> {
  const child = fork(fileURLToPath(new URL('./scale-relay.js', import.meta.url)), [repo, mode], {
    execArgv: ['--max-semi-space-size=16'],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc']
  })
  const messages: any[] = []
  const waiters: Array<(msg: any) => void> = []
  child.on('message', msg => {
    const waiter = waiters.shift()
    if (waiter != null) waiter(msg)
    else messages.push(msg)
  })
  const next = async (ms = 600_000): Promise<any> => {
    const queued = messages.shift()
    if (queued != null) return queued
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => { reject(new Error('relay child did not answer')) }, ms)
      waiters.push(msg => { clearTimeout(timer); resolve(msg) })
    })
  }
  try {
    const ready = await next()
    // a newly connected default-config client: what does it get told?
    const client = await defaultPeer()
    await client.dial(multiaddr(ready.addrs[0]))
    const relayId = ready.peerId
    // every announcement is sent on connect (legacy) or on subscription (interest): wait until
    // the client knows the relay topics, then a little more for a large list to arrive
    const deadline = Date.now() + 30_000
    while (Date.now() < deadline && !client.services.pubsub.getSubscribers('/ipts/acks/1.0.0').some(p => p.toString() === relayId)) {
      await new Promise(resolve => setTimeout(resolve, 50))
    }
    await new Promise(resolve => setTimeout(resolve, 1000))
    child.send({ cmd: 'sent', peer: client.peerId.toString() })
    const sent = await next()
    await client.stop()
    child.send({ cmd: 'idle', ms: idleMs })
    const idle = await next(idleMs + 60_000)
    child.send({ cmd: 'stop' })
    return {
      inboxes,
      mode,
      readyMs: Math.round(ready.readyMs),
      subscribedMs: Math.round(ready.subscribedMs),
      rssMB: round(idle.rss / MB),
      heapMB: round(idle.heap / MB),
      topics: idle.topics,
      idleCpuPercent: round(idle.cpuPercent),
      announceBytes: sent.bytes
    }
  } finally {
    await new Promise<void>(resolve => {
      if (child.exitCode != null) { resolve(); return }
      const timer = setTimeout(() => { child.kill('SIGKILL') }, 10_000)
      child.once('exit', () => { clearTimeout(timer); resolve() })
    })
  }
}

function flag (argv: string[], name: string): string | undefined {
  const i = argv.indexOf(name)
  return i >= 0 ? argv[i + 1] : undefined
}

function round (n: number): number {
  return Math.round(n * 100) / 100
}
