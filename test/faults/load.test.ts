/**
 * Fault suite, load: senders and receivers (the client library, in this process) exchange
 * messages through three real `ipts relay` processes for a fixed period; halfway through, one
 * relay is SIGKILLed and restarted from its repo on the same address. Every message whose
 * `send()` resolved (custody by 2 relays) must reach its receiver live (on its topic, while it
 * watches); whatever did not is looked for with a final drain, to tell late from lost. Reports
 * throughput, delivery latency (send start to the receiver's inbox) and custody latency.
 *
 * `npm test`: 6 senders, 6 receivers, 4 s. `npm run test:faults`: 10, 10, 60 s.
 * (`IPTS_FAULT_SENDERS`, `IPTS_FAULT_RECEIVERS`, `IPTS_FAULT_RELAYS`, `IPTS_FAULT_LOAD_SECONDS`,
 * `IPTS_FAULT_LOAD_RATE` messages per second per sender, default as fast as custody allows.)
 */
import assert from 'node:assert/strict'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { after, describe, it } from 'node:test'
import { createClient } from '../../src/client/index.ts'
import { WATCH_REFRESH } from '../../src/client/client.ts'
import { CLI_TIMEOUT, spawnRelay, tempDir } from '../utils/cli.ts'
import { key } from '../utils/network.ts'
import { NO_BUDGETS, faultSettings, quantile, report } from './harness.ts'
import type { Client } from '../../src/client/index.ts'
import type { CliRelay } from '../utils/cli.ts'

/**
 * After the senders stop, time allowed for the last messages to arrive live, ms: less than the
 * watching client's periodic re-drain, so that what arrives within it came on the topic.
 */
const SETTLE = WATCH_REFRESH / 2

function percentiles (values: number[]): { p50: number, p95: number, p99: number, max: number } {
  const sorted = [...values].sort((a, b) => a - b)
  return { p50: quantile(sorted, 0.5), p95: quantile(sorted, 0.95), p99: quantile(sorted, 0.99), max: sorted.at(-1) ?? NaN }
}

describe('fault: load through relays, one restarted midway', () => {
  const settings = faultSettings()
  const cleanups: Array<() => Promise<unknown>> = []
  after(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => {})
  })

  it(`${settings.senders} senders and ${settings.receivers} receivers through ${settings.relays} relays for ${settings.loadPeriod / 1000} s, one relay SIGKILLed and restarted midway: nothing confirmed is lost`, async (t) => {
    assert.ok(settings.relays >= 2 && settings.senders >= 1 && settings.receivers >= 1)
    // relays: each bootstraps from those started before it
    const relays: CliRelay[] = []
    const repos: string[] = []
    for (let i = 0; i < settings.relays; i++) {
      const repo = await tempDir('ipts-fault-load-')
      cleanups.push(repo.cleanup)
      repos.push(repo.path)
      relays.push(await spawnRelay(repo.path, [...relays.flatMap(r => ['--bootstrap', r.addr]), ...NO_BUDGETS]))
      const index = i
      cleanups.push(async () => relays[index].kill())
    }
    const addrs = relays.map(r => r.addr)

    const clients = async (n: number): Promise<Client[]> => Promise.all(Array.from({ length: n }, async () => {
      const c = await createClient({ privateKey: await key(), relays: addrs })
      cleanups.push(async () => c.stop())
      return c
    }))
    const receivers = await clients(settings.receivers)
    const senders = await clients(settings.senders)

    // message id `sender/seq/receiver` -> send start (ms), for every send() that resolved
    const expected = new Map<string, number>()
    const delivered = new Map<string, number>()
    let allIn = (): void => {}
    const checkAllIn = (): void => {
      if (sendersDone && [...expected.keys()].every(id => delivered.has(id))) allIn()
    }
    let sendersDone = false

    // receivers: watch and acknowledge; each has caught up before anyone sends
    const stopReading = new AbortController()
    const caughtUp: Array<Promise<void>> = []
    const reading = receivers.map(async (receiver) => {
      let ready = (): void => {}
      caughtUp.push(new Promise(resolve => { ready = resolve }))
      const me = receiver.peerId.toString()
      const onProgress = (e: { type: string }): void => { if (e.type === 'inbox:caught-up') ready() }
      try {
        for await (const m of receiver.inbox({ watch: true, ack: true, signal: stopReading.signal, onProgress })) {
          const sent = JSON.parse(m.text ?? '{}').t as number
          const id = `${m.from.toString()}/${m.seq}/${me}`
          if (!delivered.has(id)) delivered.set(id, Date.now() - sent)
          checkAllIn()
        }
      } catch (err) {
        if (!stopReading.signal.aborted) throw err
      }
    })
    // a reader that fails before it caught up fails the test rather than leaving it waiting
    await Promise.race([Promise.all(caughtUp), Promise.all(reading).then(() => { throw new Error('a receiver stopped reading before it caught up') })])

    // senders: one message at a time each, to receivers in turn, until the period ends
    const custody: number[] = []
    const failures = new Map<string, number>()
    const failureSamples: string[] = []
    // every client shares this process's event loop: its delay says how much of the latency is this harness
    const loop = monitorEventLoopDelay({ resolution: 20 })
    loop.enable()
    const cpu = process.cpuUsage()
    const started = Date.now()
    const deadline = started + settings.loadPeriod
    const interval = settings.loadRate > 0 ? 1000 / settings.loadRate : 0
    const sending = senders.map(async (sender, s) => {
      for (let n = s, i = 0; Date.now() < deadline; n++, i++) {
        // paced: each message at its slot (open loop: a late send does not push the next ones back)
        const slot = started + i * interval
        if (slot > Date.now()) await new Promise(resolve => setTimeout(resolve, slot - Date.now()))
        if (Date.now() >= deadline) break
        const to = receivers[n % receivers.length]
        const t0 = Date.now()
        try {
          const result = await sender.send(to.peerId, { text: JSON.stringify({ t: t0 }) })
          custody.push(Date.now() - t0)
          expected.set(`${sender.peerId.toString()}/${result.seq}/${to.peerId.toString()}`, t0)
        } catch (err: any) {
          failures.set(err.name, (failures.get(err.name) ?? 0) + 1)
          if (failureSamples.length < 3) failureSamples.push(`${String(err.name)}: ${String(err.message)}`)
        }
      }
    })

    // halfway: SIGKILL one relay (not the first, which the others bootstrapped from) and restart it where it was
    const victim = 1
    const restart = (async () => {
      await new Promise(resolve => setTimeout(resolve, settings.loadPeriod / 2))
      const down = Date.now()
      await relays[victim].kill()
      const listen = relays[victim].addr.replace(/\/p2p\/.*$/, '')
      relays[victim] = await spawnRelay(repos[victim], [...relays.filter((_, i) => i < victim).flatMap(r => ['--bootstrap', r.addr]), ...NO_BUDGETS], { listen })
      return Date.now() - down
    })()

    await Promise.all(sending)
    const period = (Date.now() - started) / 1000
    const used = process.cpuUsage(cpu)
    loop.disable()
    const downMs = await restart
    sendersDone = true
    const settled = new Promise<void>(resolve => { allIn = resolve })
    checkAllIn()
    let late = 0
    const timer = setTimeout(() => { allIn() }, SETTLE)
    await settled
    clearTimeout(timer)
    stopReading.abort()
    await Promise.all(reading)

    // whatever did not arrive live must still be held: a receiver starting now drains it
    const missingLive = [...expected.keys()].filter(id => !delivered.has(id))
    if (missingLive.length > 0) {
      for (const receiver of receivers) {
        const me = receiver.peerId.toString()
        for await (const m of receiver.inbox({ ack: true, signal: AbortSignal.timeout(CLI_TIMEOUT) })) {
          const id = `${m.from.toString()}/${m.seq}/${me}`
          if (!delivered.has(id)) {
            delivered.set(id, Date.now() - (JSON.parse(m.text ?? '{}').t as number))
            late++
          }
        }
      }
    }
    const lost = [...expected.keys()].filter(id => !delivered.has(id))

    const latencies = [...expected.keys()].flatMap(id => delivered.has(id) ? [delivered.get(id) ?? 0] : [])
    await report(t, 'load', {
      senders: settings.senders,
      receivers: settings.receivers,
      relays: settings.relays,
      periodSeconds: Math.round(period * 10) / 10,
      sent: expected.size,
      delivered: latencies.length,
      deliveredLateByDrain: late,
      lost: lost.length,
      sendFailures: Object.fromEntries(failures),
      sendFailureSamples: failureSamples,
      throughputPerSecond: Math.round(expected.size / period * 10) / 10,
      deliveryLatencyMs: percentiles(latencies),
      custodyLatencyMs: percentiles(custody),
      restartedRelayDownMs: downMs,
      offeredPerSenderPerSecond: settings.loadRate > 0 ? settings.loadRate : 'as fast as custody allows',
      harness: {
        cpuSecondsPerSecond: Math.round((used.user + used.system) / 1e6 / period * 100) / 100,
        eventLoopDelayMs: { p50: Math.round(loop.percentile(50) / 1e6), p99: Math.round(loop.percentile(99) / 1e6), max: Math.round(loop.max / 1e6) }
      }
    })
    assert.deepEqual(lost, [], `lost ${lost.length} of ${expected.size} confirmed messages`)
    assert.equal(late, 0, `${late} of ${expected.size} messages came only with a later drain, not live`)
    assert.ok(expected.size > 0, 'no message was sent')
  })
})
