/**
 * Running `ipts` commands as child processes: the demo does it, and so do the tests. A child's
 * stdout is read line by line; callers wait for a line (say, a relay's ready line) with a bound.
 */
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { ChildProcess } from 'node:child_process'

/** `dist/src/cli/main.js`, next to this file once compiled. */
export const MAIN_JS = fileURLToPath(new URL('./main.js', import.meta.url))
/** The launcher, `bin/ipts`, at the package root. */
export const LAUNCHER = fileURLToPath(new URL('../../../bin/ipts', import.meta.url))

export interface SpawnOptions {
  env?: NodeJS.ProcessEnv
  /** Use `bin/ipts` (when present) rather than running main.js with this Node. @default false */
  launcher?: boolean
}

export interface ExitStatus {
  code: number | null
  signal: NodeJS.Signals | null
}

/** One `ipts` child process. */
export class IptsProcess {
  readonly child: ChildProcess
  readonly exited: Promise<ExitStatus>
  /** Every stdout line so far. */
  readonly lines: string[] = []
  /** stderr so far. */
  stderr = ''
  private readonly waiters = new Set<{ match(line: string): boolean, resolve(line: string): void }>()
  private readonly stderrWaiters = new Set<() => void>()
  private partial = ''

  constructor (args: string[], options: SpawnOptions = {}) {
    const useLauncher = options.launcher === true && existsSync(LAUNCHER)
    this.child = spawn(useLauncher ? LAUNCHER : process.execPath, useLauncher ? args : [MAIN_JS, ...args], {
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe']
    })
    this.child.stdout?.setEncoding('utf8').on('data', (chunk: string) => { this.onData(chunk) })
    this.child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderr += chunk
      for (const check of [...this.stderrWaiters]) check()
    })
    this.exited = new Promise(resolve => {
      this.child.once('close', (code, signal) => {
        if (this.partial !== '') this.onLine(this.partial)
        resolve({ code, signal })
      })
    })
  }

  /** stdout lines parsed as JSON (lines that are not JSON are skipped). */
  json (): Array<Record<string, any>> {
    return this.lines.flatMap(line => {
      try {
        return [JSON.parse(line)]
      } catch {
        return []
      }
    })
  }

  /**
   * Resolves with the first stdout line (past or future) for which `match` is true. Rejects if
   * the process exits first or after `timeout` ms.
   */
  async waitForLine (match: (line: string) => boolean, timeout: number): Promise<string> {
    const seen = this.lines.find(match)
    if (seen != null) return seen
    return new Promise<string>((resolve, reject) => {
      const waiter = {
        match,
        resolve: (line: string) => { done(); resolve(line) }
      }
      const timer = setTimeout(() => {
        done()
        reject(new Error(`no matching output within ${timeout} ms; stderr: ${this.stderr.trim().split('\n').at(-1) ?? ''}`))
      }, timeout)
      const onExit = (status: ExitStatus): void => {
        done()
        reject(new Error(`exited (${status.code ?? status.signal}) before the expected output; stderr: ${this.stderr.trim().split('\n').at(-1) ?? ''}`))
      }
      let settled = false
      const done = (): void => {
        if (settled) return
        settled = true
        clearTimeout(timer)
        this.waiters.delete(waiter)
      }
      this.waiters.add(waiter)
      this.exited.then(onExit, () => {})
    })
  }

  /** Resolves with the first stdout line parsed as a JSON object for which `match` is true. */
  async waitForJson (match: (obj: Record<string, any>) => boolean, timeout: number): Promise<Record<string, any>> {
    const line = await this.waitForLine(l => {
      try {
        return match(JSON.parse(l))
      } catch {
        return false
      }
    }, timeout)
    return JSON.parse(line)
  }

  /** Resolves once everything written to stderr so far satisfies `match`; rejects on exit or after `timeout` ms. */
  async waitForStderr (match: (stderr: string) => boolean, timeout: number): Promise<void> {
    if (match(this.stderr)) return
    await new Promise<void>((resolve, reject) => {
      const check = (): void => {
        if (!match(this.stderr)) return
        done()
        resolve()
      }
      const timer = setTimeout(() => {
        done()
        reject(new Error(`stderr did not match within ${timeout} ms: ${this.stderr}`))
      }, timeout)
      const done = (): void => {
        clearTimeout(timer)
        this.stderrWaiters.delete(check)
      }
      this.stderrWaiters.add(check)
      this.exited.then(() => {
        done()
        reject(new Error(`exited before stderr matched: ${this.stderr}`))
      }, () => {})
    })
  }

  /** Sends `signal` and waits for the exit; escalates to SIGKILL after `grace` ms. */
  async stop (signal: NodeJS.Signals = 'SIGTERM', grace = 5000): Promise<ExitStatus> {
    if (this.child.exitCode == null && this.child.signalCode == null) {
      this.child.kill(signal)
      const timer = setTimeout(() => { this.child.kill('SIGKILL') }, grace)
      const status = await this.exited
      clearTimeout(timer)
      return status
    }
    return this.exited
  }

  private onData (chunk: string): void {
    const parts = (this.partial + chunk).split('\n')
    this.partial = parts.pop() ?? ''
    for (const line of parts) this.onLine(line)
  }

  private onLine (line: string): void {
    this.lines.push(line)
    for (const waiter of [...this.waiters]) {
      if (waiter.match(line)) waiter.resolve(line)
    }
  }
}

export interface RunResult extends ExitStatus {
  lines: string[]
  stderr: string
  /** stdout lines parsed as JSON */
  json: Array<Record<string, any>>
}

/** Runs an `ipts` command to completion (killed after `timeout` ms). */
export async function runIpts (args: string[], options: SpawnOptions & { timeout?: number } = {}): Promise<RunResult> {
  const proc = new IptsProcess(args, options)
  const timer = setTimeout(() => { proc.child.kill('SIGKILL') }, options.timeout ?? 60_000)
  const status = await proc.exited
  clearTimeout(timer)
  return { ...status, lines: proc.lines, stderr: proc.stderr, json: proc.json() }
}
