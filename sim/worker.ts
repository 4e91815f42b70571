/** Worker-thread entry: runs one system at one churn level and posts progress and the result. */
import { parentPort, workerData } from 'node:worker_threads'
import { runSystem } from './engine.ts'
import type { SimConfig, SystemName } from './config.ts'
import type { Schedule } from './schedule.ts'

export interface WorkerInput {
  system: SystemName
  config: SimConfig
  schedule: Schedule
}

export type WorkerMessage =
  | { type: 'progress', line: string }
  | { type: 'result', result: Awaited<ReturnType<typeof runSystem>> }
  | { type: 'error', error: string }

const input = workerData as WorkerInput
const post = (msg: WorkerMessage): void => { parentPort?.postMessage(msg) }

// A rejection nobody handles inside a library would end the whole run; count it, say where it
// came from once per kind, and carry on (the result reports them: each one is a bug to fix).
const unhandled = new Map<string, number>()
process.on('unhandledRejection', (err: any) => {
  const kind = `${err?.name ?? 'Error'}: ${err?.message ?? String(err)}`
  unhandled.set(kind, (unhandled.get(kind) ?? 0) + 1)
  if (unhandled.get(kind) === 1) post({ type: 'progress', line: `[${input.system} churn=${input.schedule.churn}] unhandled rejection ${String(err?.stack ?? kind)}` })
})

try {
  const result = await runSystem(input.system, input.config, input.schedule, line => { post({ type: 'progress', line }) })
  result.summary.unhandledRejections = Object.fromEntries(unhandled)
  post({ type: 'result', result })
} catch (err: any) {
  post({ type: 'error', error: `${err?.name ?? 'Error'}: ${err?.message ?? String(err)}` })
}
