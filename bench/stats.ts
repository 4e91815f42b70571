/**
 * What every bench shares: the median and spread of repeated runs, CPU time from
 * `process.cpuUsage` (user + system, every thread of the process: LevelDB's thread pool and V8's
 * GC threads included), forced GC between phases, the machine's load, and the check that fails a
 * bench whose figure is outside what is physically possible.
 */
import { loadavg } from 'node:os'

/** The median and the extremes of a set of runs. */
export interface Spread {
  median: number
  min: number
  max: number
  runs: number
}

export function spread (values: number[]): Spread {
  if (values.length === 0) throw new Error('no runs to summarise')
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  const median = sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
  return { median, min: sorted[0], max: sorted[sorted.length - 1], runs: sorted.length }
}

/** Rounds every figure of a spread to `digits` decimals (for printing). */
export function rounded (s: Spread, digits = 2): Spread {
  const f = 10 ** digits
  const r = (n: number): number => Math.round(n * f) / f
  return { median: r(s.median), min: r(s.min), max: r(s.max), runs: s.runs }
}

/** "0.31 (0.28-0.35, 5 runs)" */
export function formatSpread (s: Spread, digits = 2): string {
  const r = rounded(s, digits)
  return r.runs > 1 ? `${r.median} (${r.min}-${r.max}, ${r.runs} runs)` : `${r.median} (1 run)`
}

/** CPU seconds of this process (all threads) since `start` (a `process.cpuUsage()` value). */
export function cpuSecondsSince (start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start)
  return (used.user + used.system) / 1e6
}

/**
 * A forced GC, when the process runs with `--expose-gc` (`npm run bench` does). `minor` collects
 * the young generation only, which is what a phase's own short-lived garbage costs.
 */
export function gc (type: 'major' | 'minor' = 'major'): void {
  const collect = (globalThis as { gc?: (options?: { type: string, execution: string }) => void }).gc
  collect?.({ type, execution: 'sync' })
}

export function hasGc (): boolean {
  return typeof (globalThis as { gc?: unknown }).gc === 'function'
}

/** The 1, 5 and 15 minute load averages (the machine is shared: figures drift with them). */
export function load (): [number, number, number] {
  const [a, b, c] = loadavg()
  return [Math.round(a * 100) / 100, Math.round(b * 100) / 100, Math.round(c * 100) / 100]
}

/** A figure no correct measurement can produce: the bench fails with a non-zero exit. */
export class ImplausibleFigureError extends Error {
  override name = 'ImplausibleFigureError'
}

/**
 * Throws ImplausibleFigureError unless every value lies within [min, max] (and is a number).
 * `why` says where the bound comes from.
 */
export function assertPlausible (label: string, values: number | number[], bounds: { min?: number, max?: number, why?: string }): void {
  const min = bounds.min ?? 0
  const max = bounds.max ?? Infinity
  for (const v of Array.isArray(values) ? values : [values]) {
    if (!Number.isFinite(v) || v < min || v > max) {
      throw new ImplausibleFigureError(`${label} = ${v} is outside [${min}, ${max}]${bounds.why != null ? `: ${bounds.why}` : ''}`)
    }
  }
}

/** One row of the summary table (the issue's table): a figure, its same-run baseline, the ratio. */
export interface SummaryRow {
  measure: string
  /** The measured figure, with its unit. */
  value: Spread
  unit: string
  /** The baseline measured in the same run (absent for rows that have none). */
  baseline?: { label: string, value: Spread, unit: string }
  /** value / baseline per run. */
  ratio?: Spread
  target: string
  /** Anything the reader needs to read the row right. */
  note?: string
}

/** Waits for `ms`, for benches that pace themselves (never in tests). */
export async function pause (ms: number): Promise<void> {
  await new Promise(resolve => setTimeout(resolve, ms))
}

/** Waits until `check()` holds, polling every `every` ms, for at most `timeout` ms. */
export async function until (what: string, check: () => boolean | Promise<boolean>, timeout = 30_000, every = 20): Promise<void> {
  const deadline = Date.now() + timeout
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${what}`)
    await pause(every)
  }
}
