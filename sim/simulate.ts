/**
 * Runs every (system, churn level) pair, each in its own worker thread (one process; at most
 * `parallel` at once), on the same schedule per churn level, then writes the results: a JSON
 * file, a markdown table and an SVG chart.
 */
import { Worker } from 'node:worker_threads'
import { mkdir, writeFile } from 'node:fs/promises'
import { cpus } from 'node:os'
import { join } from 'node:path'
import { buildSchedule } from './schedule.ts'
import { markdownTable, svgChart } from './report.ts'
import type { SimConfig, SystemName } from './config.ts'
import type { RunResult } from './engine.ts'
import type { WorkerInput, WorkerMessage } from './worker.ts'

export interface FailedRun {
  system: SystemName
  churn: number
  error: string
}

export interface SimResult {
  version: 1
  startedAt: string
  finishedAt: string
  wallMs: number
  machine: { cpus: number, node: string, platform: string }
  config: SimConfig
  /** Workload sizes per churn level (the same for every system). */
  workloads: Array<{ churn: number, sends: number, meanOnline: number, relayCrashes: number }>
  runs: RunResult[]
  failed: FailedRun[]
}

export interface SimFiles {
  json: string
  svg: string
  markdown: string
}

async function runInWorker (input: WorkerInput, timeout: number, progress: (line: string) => void): Promise<RunResult | FailedRun> {
  const worker = new Worker(new URL('./worker.js', import.meta.url), { workerData: input })
  return new Promise(resolve => {
    let settled = false
    const finish = (value: RunResult | FailedRun): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      void worker.terminate().finally(() => { resolve(value) })
    }
    const timer = setTimeout(() => {
      finish({ system: input.system, churn: input.schedule.churn, error: `timed out after ${timeout} ms` })
    }, timeout)
    worker.on('message', (msg: WorkerMessage) => {
      if (msg.type === 'progress') progress(msg.line)
      else if (msg.type === 'result') finish(msg.result)
      else finish({ system: input.system, churn: input.schedule.churn, error: msg.error })
    })
    worker.on('error', err => { finish({ system: input.system, churn: input.schedule.churn, error: String(err) }) })
    worker.on('exit', code => { finish({ system: input.system, churn: input.schedule.churn, error: `worker exited with ${code}` }) })
  })
}

export async function simulate (config: SimConfig, progress: (line: string) => void = () => {}): Promise<{ result: SimResult, files: SimFiles }> {
  const started = new Date()
  const schedules = config.churn.map(churn => buildSchedule(config, churn))
  const jobs: WorkerInput[] = []
  // heaviest first so that the tail of the run is short
  for (const system of ['dht-put', 'ipts', 'ipns-pubsub'] as const) {
    if (!config.systems.includes(system)) continue
    for (const schedule of schedules) jobs.push({ system, config, schedule })
  }
  const outcomes: Array<RunResult | FailedRun> = []
  let next = 0
  const lane = async (): Promise<void> => {
    while (next < jobs.length) {
      const job = jobs[next++]
      outcomes.push(await runInWorker(job, config.runTimeout, progress))
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, Math.min(config.parallel, jobs.length)) }, lane))

  const order = (a: { system: string, churn: number }, b: { system: string, churn: number }): number =>
    a.churn - b.churn || config.systems.indexOf(a.system as SystemName) - config.systems.indexOf(b.system as SystemName)
  const runs = outcomes.filter((o): o is RunResult => 'summary' in o).sort(order)
  const failed = outcomes.filter((o): o is FailedRun => 'error' in o).sort(order)
  const finished = new Date()
  const result: SimResult = {
    version: 1,
    startedAt: started.toISOString(),
    finishedAt: finished.toISOString(),
    wallMs: finished.getTime() - started.getTime(),
    machine: { cpus: cpus().length, node: process.version, platform: process.platform },
    config,
    workloads: schedules.map(s => ({
      churn: s.churn,
      sends: s.sends.length,
      meanOnline: Math.round(s.online.reduce((sum, row) => sum + row.filter(Boolean).length, 0) / s.rounds),
      relayCrashes: s.relayUp.reduce((sum, row, r) => sum + row.filter((up, i) => !up && (r === 0 || s.relayUp[r - 1][i])).length, 0)
    })),
    runs,
    failed
  }

  await mkdir(config.out, { recursive: true })
  const stamp = started.toISOString().replace(/[:.]/g, '-')
  const files: SimFiles = {
    json: join(config.out, `${stamp}.json`),
    svg: join(config.out, `${stamp}.svg`),
    markdown: join(config.out, `${stamp}.md`)
  }
  await writeFile(files.json, JSON.stringify(result, (_k, v) => typeof v === 'bigint' ? v.toString() : v, 2) + '\n')
  await writeFile(files.svg, svgChart(result))
  await writeFile(files.markdown, markdownTable(result) + '\n')
  return { result, files }
}
