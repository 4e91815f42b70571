/**
 * Runs one system through one schedule, round by round, and summarizes what happened.
 *
 * A round: (1) relays and users change state as the schedule says, (2) the round's messages are
 * sent, (3) the network gets the rest of `roundMs`, (4) every online user polls. Deliveries that
 * arrive at any moment (gossip) count for the round in progress. Every network call in the
 * systems has its own timeout; the round itself is not cut short, so a slow round stretches.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { Tracker } from './tracker.ts'
import { countWireBytes, mapLimit, sleep } from './util.ts'
import { deriveKeys, errorName } from './systems/common.ts'
import { IptsSystem } from './systems/ipts.ts'
import { PubsubSystem } from './systems/pubsub.ts'
import { DhtSystem } from './systems/dht.ts'
import type { SimConfig, SystemName } from './config.ts'
import type { Schedule } from './schedule.ts'
import type { RunSummary } from './tracker.ts'
import type { SimSystem, SystemContext } from './systems/types.ts'

/** Node starts and stops at once during a round's transitions. */
const TRANSITION_CONCURRENCY = 12
/** Sends and polls at once. */
const ACTION_CONCURRENCY = 16

export interface RunResult {
  system: SystemName
  churn: number
  summary: RunSummary
}

function createSystem (name: SystemName, ctx: SystemContext): SimSystem {
  switch (name) {
    case 'ipts': return new IptsSystem(ctx)
    case 'ipns-pubsub': return new PubsubSystem(ctx)
    case 'dht-put': return new DhtSystem(ctx)
  }
}

export async function runSystem (name: SystemName, config: SimConfig, schedule: Schedule, progress: (line: string) => void): Promise<RunResult> {
  const started = Date.now()
  const wire = countWireBytes()
  const tracker = new Tracker(schedule)
  const dir = await mkdtemp(join(tmpdir(), `ipts-sim-${name}-`))
  const ctx: SystemContext = {
    config,
    schedule,
    tracker,
    userKeys: await deriveKeys(config.seed, 'users', config.users),
    relayKeys: await deriveKeys(config.seed, 'relays', config.relays),
    dir
  }
  const system = createSystem(name, ctx)
  const label = `[${name} churn=${schedule.churn}]`
  // every node of the run shares this thread: a long event-loop delay means timeouts measure the
  // machine rather than the protocol
  const loop = monitorEventLoopDelay({ resolution: 20 })
  loop.enable()
  let rssPeak = process.memoryUsage().rss
  let heapPeak = process.memoryUsage().heapUsed
  const relayUp = new Array<boolean>(config.relays).fill(true)
  const online = new Array<boolean>(config.users).fill(false)
  const sendsByRound = new Map<number, typeof schedule.sends>()
  for (const s of schedule.sends) sendsByRound.set(s.round, [...(sendsByRound.get(s.round) ?? []), s])

  try {
    await system.start()
    const wireAtStart = wire.read()
    progress(`${label} started ${config.relays} relays in ${Date.now() - started} ms`)
    for (let round = 0; round < schedule.rounds; round++) {
      const roundStart = Date.now()
      tracker.round = round

      // (1) transitions: relays first (a restarted relay is there for this round's sends)
      const relayChanges = schedule.relayUp[round].map((up, i) => up !== relayUp[i] ? i : -1).filter(i => i >= 0)
      for (const r of await mapLimit(relayChanges, TRANSITION_CONCURRENCY, async i => {
        relayUp[i] = schedule.relayUp[round][i]
        await (relayUp[i] ? system.relayUp(i) : system.relayDown(i))
      })) {
        if (r instanceof Error) tracker.error(`relay-transition:${errorName(r)}`)
      }
      const userChanges = schedule.online[round].map((on, u) => on !== online[u] ? u : -1).filter(u => u >= 0)
      for (const r of await mapLimit(userChanges, TRANSITION_CONCURRENCY, async u => {
        online[u] = schedule.online[round][u]
        await (online[u] ? system.userOnline(u) : system.userOffline(u))
      })) {
        if (r instanceof Error) tracker.error(`user-transition:${errorName(r)}`)
      }

      const transitionMs = Date.now() - roundStart

      // (2) sends
      const sendStart = Date.now()
      const sends = sendsByRound.get(round) ?? []
      for (const r of await mapLimit(sends, ACTION_CONCURRENCY, async s => { await system.send(s) })) {
        if (r instanceof Error) tracker.error(`send:${errorName(r)}`)
      }

      const sendMs = Date.now() - sendStart

      // (3) the network's time
      await sleep(roundStart + config.roundMs - Date.now())

      // (4) polls
      const pollStart = Date.now()
      const polling = online.map((on, u) => on ? u : -1).filter(u => u >= 0)
      for (const r of await mapLimit(polling, ACTION_CONCURRENCY, async u => { await system.poll(u, round) })) {
        if (r instanceof Error) tracker.error(`poll:${errorName(r)}`)
      }

      const pollMs = Date.now() - pollStart
      const memory = process.memoryUsage()
      rssPeak = Math.max(rssPeak, memory.rss)
      heapPeak = Math.max(heapPeak, memory.heapUsed)
      const row = tracker.endRound({
        round,
        online: polling.length,
        relaysUp: relayUp.filter(Boolean).length,
        sent: sends.length,
        ms: Date.now() - roundStart
      })
      const sentSoFar = schedule.sends.filter(s => s.round <= round).length
      progress(`${label} round ${round + 1}/${schedule.rounds} online ${row.online}/${config.users} relays ${row.relaysUp}/${config.relays} sent ${sends.length} delivered ${row.delivered}/${sentSoFar} (${sentSoFar === 0 ? '-' : (100 * row.delivered / sentSoFar).toFixed(1) + '%'}) ${row.ms} ms (churn ${transitionMs}, send ${sendMs}, poll ${pollMs})`)
    }
    // one more round's worth of time for acknowledgements and deletions in flight
    await sleep(config.roundMs)
    const storage = await system.storage()
    return {
      system: name,
      churn: schedule.churn,
      summary: tracker.summarize(schedule, {
        wireBytes: wire.read() - wireAtStart,
        deletions: system.deletions,
        storage,
        rssPeakMB: Math.round(rssPeak / 1e6),
        heapPeakMB: Math.round(heapPeak / 1e6),
        wallMs: Date.now() - started,
        loopDelayMs: { p50: Math.round(loop.percentile(50) / 1e6), p99: Math.round(loop.percentile(99) / 1e6), max: Math.round(loop.max / 1e6) },
        custodyTarget: name === 'ipts' ? config.custody : undefined
      })
    }
  } finally {
    loop.disable()
    await system.stop().catch(() => {})
    await rm(dir, { recursive: true, force: true }).catch(() => {})
  }
}
