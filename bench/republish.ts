/**
 * Republish bandwidth: the bytes a relay's gossipsub sends for one republish cycle, per relay,
 * per hour, per 1,000 records held, with a listener and with nobody listening.
 *
 * Relay R (child process, with the node's metrics on, src/metrics.ts: gossipsub's
 * `gossipsub_rpc_sent_bytes_total` counts every RPC it writes to every peer, so fan-out,
 * framing and control messages are in the figure) holds `records` records from
 * distinct signers over `tags` receivers. A second relay R2 is connected to it, as relays are
 * to each other. Phases, in order:
 * 1. nobody listening: only R2 is connected;
 * 2. a listener: a plain node (not a relay) subscribes to every one of those topics, as
 *    receivers watching their inbox do; R's pushes to it on subscription are waited out and
 *    reported apart;
 * 3. nobody listening again: the listener has stopped (measured at once, within the relay's
 *    follow grace period, so the topics may still be followed: what counts is what is sent).
 * In each phase R runs `cycles` republish cycles (started by hand, each measured from its start
 * until its last queued record is out), and is also watched idle for `idleMs` (heartbeats,
 * gossip, no cycle). The bench relay republishes at 1,000 records/s instead of the default 20
 * so that a cycle takes seconds; the bytes do not depend on the pace, and the interval stays at
 * the default hour, so one cycle is one hour's republish traffic.
 *
 * Run: npm run bench -- republish   (or: node --expose-gc dist/bench/republish.js [records])
 */
import { fileURLToPath } from 'node:url'
import { privateKeyFromProtobuf } from '@libp2p/crypto/keys'
import { multiaddr } from '@multiformats/multiaddr'
import { hour } from '../src/constants.ts'
import { createNode } from '../src/node.ts'
import { tagRoutingKey, topicForKey } from '../src/record/index.ts'
import { RelayProcess } from './relay-process.ts'
import { assertPlausible, ImplausibleFigureError, load, pause, rounded, spread, until } from './stats.ts'
import type { Spread, SummaryRow } from './stats.ts'
import type { Held } from './relay-host.ts'

export interface RepublishBenchOptions {
  /** records held by the measured relay. @default 1000 */
  records?: number
  /** receivers (topics) they are spread over. @default 100 */
  tags?: number
  /** republish cycles measured per phase. @default 3 */
  cycles?: number
  /** idle window per phase, ms. @default 3000 */
  idleMs?: number
}

const INTERVAL = hour
const RATE = 1000
/** Quiet this long = the publish queue is empty (the republisher ticks every 100 ms). */
const CYCLE_SETTLE_MS = 600
/** Quiet this long = subscriptions exchanged and meshes formed (a heartbeat is 1 s). */
const PHASE_SETTLE_MS = 1200

interface Cycle { cycleRecords: number, republished: number, rpcBytes: number, rpcMessages: number, ms: number }
interface Status { records: number, topics: number, connections: number, pushed: number, republished: number, rpcBytes: number }

export interface PhaseResult {
  /** R's topics and what it republished per cycle */
  topics: number
  republishedPerCycle: Spread
  /** gossipsub bytes R sent per cycle */
  bytesPerCycle: Spread
  /** per relay, per hour (one cycle an hour), per 1,000 records held */
  bytesPerHourPer1000: Spread
  /** bytes R sent in an idle window, scaled to an hour */
  idleBytesPerHour: number
}

export interface RepublishBenchResult {
  records: number
  tags: number
  cycles: number
  loadBefore: number[]
  loadAfter: number[]
  nobodyBefore: PhaseResult
  listener: PhaseResult & { pushBytes: number, pushed: number }
  nobodyAfter: PhaseResult
  rows: SummaryRow[]
}

export async function run (options: RepublishBenchOptions = {}): Promise<RepublishBenchResult> {
  const records = options.records ?? 1000
  const tags = options.tags ?? 100
  const cycles = options.cycles ?? 3
  const idleMs = options.idleMs ?? 3000
  const loadBefore = load()
  const relayInit = { maxRecordsPerKey: records, republish: { rate: RATE, interval: INTERVAL } }
  const r = await RelayProcess.start({ gossipBytes: true, relay: relayInit })
  let r2: RelayProcess | undefined
  let listener: Awaited<ReturnType<typeof createNode>> | undefined
  try {
    const filled = await r.request<{ tagKeys: Uint8Array[], records: Held[] }>('fill', { count: records, tags })
    const topics = filled.tagKeys.map(k => topicForKey(tagRoutingKey(privateKeyFromProtobuf(k).publicKey.toMultihash().bytes)))
    r2 = await RelayProcess.start({ relay: relayInit })
    await r2.request('dial', { addr: r.addr })
    const status = async (): Promise<Status> => r.request<Status>('status')
    const settled = async (): Promise<void> => {
      // subscriptions exchanged and meshes formed: R's bytes stop moving for a heartbeat or two
      let last = -1
      await until('the relays to settle', async () => {
        const now = (await status()).rpcBytes
        const same = now === last
        last = now
        return same
      }, 60_000, PHASE_SETTLE_MS)
    }
    const phase = async (): Promise<PhaseResult> => {
      await settled()
      const measured: Cycle[] = []
      for (let i = 0; i < cycles; i++) {
        measured.push(await r.request<Cycle>('republish', { settleMs: CYCLE_SETTLE_MS, timeoutMs: 120_000 }))
      }
      const idle0 = (await status()).rpcBytes
      await pause(idleMs)
      const idle1 = (await status()).rpcBytes
      const perCycle = spread(measured.map(c => c.rpcBytes))
      return {
        topics: (await status()).topics,
        republishedPerCycle: spread(measured.map(c => c.republished)),
        bytesPerCycle: perCycle,
        bytesPerHourPer1000: rounded(spread(measured.map(c => c.rpcBytes * (hour / INTERVAL) / (records / 1000))), 0),
        idleBytesPerHour: Math.round((idle1 - idle0) * hour / idleMs)
      }
    }

    const nobodyBefore = await phase()

    listener = await createNode()
    await listener.dial(multiaddr(r.addr))
    const pushed0 = await status()
    for (const t of topics) listener.services.pubsub.subscribe(t)
    const l = listener
    await until('R to be subscribed to every topic the listener follows', () => topics.every(t => l.services.pubsub.getSubscribers(t).length > 0), 60_000)
    await settled()
    const pushed1 = await status()
    const withListener = { ...(await phase()), pushBytes: pushed1.rpcBytes - pushed0.rpcBytes, pushed: pushed1.pushed - pushed0.pushed }

    await listener.stop()
    listener = undefined
    const nobodyAfter = await phase()

    const result: RepublishBenchResult = {
      records,
      tags,
      cycles,
      loadBefore,
      loadAfter: load(),
      nobodyBefore,
      listener: withListener,
      nobodyAfter,
      rows: [
        {
          measure: 'republish bandwidth per relay per hour per 1,000 held records, one listener on every topic',
          value: withListener.bytesPerHourPer1000,
          unit: 'B',
          target: 'report it',
          note: `topics followed ${withListener.topics}; ${withListener.republishedPerCycle.median} records republished per cycle; pushes on subscription ${withListener.pushBytes} B apart; idle ${withListener.idleBytesPerHour} B/h`
        },
        {
          measure: 'the same, nobody listening (one other relay connected): before a listener came / after it left',
          value: nobodyAfter.bytesPerHourPer1000,
          unit: 'B',
          baseline: { label: 'before any listener', value: nobodyBefore.bytesPerHourPer1000, unit: 'B' },
          target: '~0',
          note: `topics followed ${nobodyBefore.topics} / ${nobodyAfter.topics}; records republished per cycle ${nobodyBefore.republishedPerCycle.median} / ${nobodyAfter.republishedPerCycle.median}; idle ${nobodyBefore.idleBytesPerHour} / ${nobodyAfter.idleBytesPerHour} B/h`
        }
      ]
    }
    for (const p of [nobodyBefore, withListener, nobodyAfter]) {
      assertPlausible('republish: bytes per cycle', [p.bytesPerCycle.min, p.idleBytesPerHour], { min: 0 })
    }
    if (withListener.republishedPerCycle.median === 0 || withListener.bytesPerCycle.median === 0) {
      throw new ImplausibleFigureError('republish: a listener followed every topic, yet the relay republished nothing: the bench did not reach its listener')
    }
    return result
  } finally {
    await listener?.stop()
    await r2?.stop()
    await r.stop()
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(JSON.stringify(await run({ records: Number(process.argv[2] ?? 1000) }), null, 2))
}
