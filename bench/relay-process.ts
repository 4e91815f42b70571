/**
 * The bench side of relay-host.ts: starts a relay in a child process and sends it requests.
 */
import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { ChildProcess } from 'node:child_process'
import type { HostInit } from './relay-host.ts'

const HOST = fileURLToPath(new URL('./relay-host.js', import.meta.url))
/** The flags `ipts relay` runs with (bin/ipts), and GC control for clean memory baselines. */
export const RELAY_FLAGS = ['--max-semi-space-size=16', '--expose-gc']
const START_TIMEOUT = 60_000

interface Waiter { resolve: (value: unknown) => void, reject: (error: Error) => void }
/** An answer (`id`) or an event (`event`) from relay-host.ts. */
interface HostMessage { id?: number, result?: unknown, error?: string, event?: string }
const REQUEST_TIMEOUT = 300_000
/**
 * Set to a directory to profile every relay child with `--cpu-prof` there (a `.cpuprofile` per
 * child, written when it exits; summarise with bench/profile-summary.ts).
 */
export const CPU_PROF_ENV = 'IPTS_BENCH_CPU_PROF'

/** The child's V8 flags: the relay's, plus `--cpu-prof` when CPU_PROF_ENV names a directory. */
export function relayExecArgv (): string[] {
  const dir = process.env[CPU_PROF_ENV]
  return dir != null && dir !== '' ? [...RELAY_FLAGS, '--cpu-prof', '--cpu-prof-dir', dir] : RELAY_FLAGS
}

export class RelayProcess {
  readonly child: ChildProcess
  addr = ''
  peerId = ''
  private nextId = 0
  private readonly pending = new Map<number, Waiter>()
  private readonly waiters = new Map<string, Waiter[]>()
  private exited = false

  private constructor (child: ChildProcess) {
    this.child = child
    child.on('message', (m: HostMessage) => {
      if (m.id != null) {
        const p = this.pending.get(m.id)
        this.pending.delete(m.id)
        if (m.error != null) p?.reject(new Error(`relay host: ${m.error}`))
        else p?.resolve(m.result)
      } else if (m.event != null) {
        const waiting = this.waiters.get(m.event) ?? []
        this.waiters.delete(m.event)
        for (const w of waiting) w.resolve(m)
      }
    })
    child.on('exit', (code) => {
      this.exited = true
      const error = new Error(`relay host exited (${code})`)
      for (const p of this.pending.values()) p.reject(error)
      for (const list of this.waiters.values()) for (const w of list) w.reject(error)
      this.pending.clear()
      this.waiters.clear()
    })
  }

  static async start (init: HostInit = {}): Promise<RelayProcess> {
    const child = fork(HOST, [JSON.stringify(init)], {
      execArgv: relayExecArgv(),
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc']
    })
    const host = new RelayProcess(child)
    try {
      await host.next('ready', START_TIMEOUT)
      const info = await host.request<{ addr: string, peerId: string }>('info')
      host.addr = info.addr
      host.peerId = info.peerId
      return host
    } catch (err) {
      child.kill('SIGKILL')
      throw err
    }
  }

  async request<T = unknown> (cmd: string, args: Record<string, unknown> = {}, timeout = REQUEST_TIMEOUT): Promise<T> {
    if (this.exited) throw new Error('relay host has exited')
    const id = this.nextId++
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id)
        reject(new Error(`relay host: ${cmd} timed out after ${timeout} ms`))
      }, timeout)
      this.pending.set(id, {
        resolve: (v) => { clearTimeout(timer); resolve(v as T) },
        reject: (e) => { clearTimeout(timer); reject(e) }
      })
      this.child.send({ ...args, id, cmd })
    })
  }

  /** The next event of this type from the host. */
  async next<T> (event: string, timeout: number): Promise<T> {
    if (this.exited) throw new Error('relay host has exited')
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.set(event, (this.waiters.get(event) ?? []).filter(w => w !== waiter))
        reject(new Error(`relay host: no ${event} within ${timeout} ms`))
      }, timeout)
      const waiter: Waiter = {
        resolve: (v) => { clearTimeout(timer); resolve(v as T) },
        reject: (e) => { clearTimeout(timer); reject(e) }
      }
      this.waiters.set(event, [...(this.waiters.get(event) ?? []), waiter])
    })
  }

  /** Stops the relay cleanly; kills this child if it does not exit in time. */
  async stop (): Promise<void> {
    if (this.exited) return
    const exited = new Promise<void>(resolve => this.child.once('exit', () => { resolve() }))
    try {
      await this.request('stop', {}, 20_000)
    } catch {
      this.child.kill('SIGKILL')
    }
    const timer = setTimeout(() => { this.child.kill('SIGKILL') }, 10_000)
    await exited
    clearTimeout(timer)
  }
}
