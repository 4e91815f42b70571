/**
 * Harness for tests of the command line: run `ipts` commands as real child processes and
 * spawn relays (`ipts relay --json`) that are ready once they print their ready line. Every
 * wait is on output, bounded; nothing sleeps.
 */
import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { IptsProcess, runIpts } from '../../src/cli/spawn.ts'
import type { RunResult } from '../../src/cli/spawn.ts'

/** Bound on one command or one relay start, ms (generous: CI machines are slow and busy). */
export const CLI_TIMEOUT = 60_000

/** An environment without the user's ipts settings, so tests never read ~/.ipts or $IPTS_*. */
export function cleanEnv (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('IPTS_')))
  return { ...env, HOME: tmpdir(), ...extra }
}

/** Runs `ipts <args>` to completion. */
export async function runCli (args: string[], options: { env?: NodeJS.ProcessEnv, timeout?: number } = {}): Promise<RunResult> {
  return runIpts(args, { env: options.env ?? cleanEnv(), timeout: options.timeout ?? CLI_TIMEOUT })
}

/** Starts a long-running `ipts <args>` (e.g. `inbox --watch`, `send --wait-receipt`). */
export function startCli (args: string[], options: { env?: NodeJS.ProcessEnv } = {}): IptsProcess {
  return new IptsProcess(args, { env: options.env ?? cleanEnv() })
}

export interface CliRelay {
  proc: IptsProcess
  peerId: string
  /** its 127.0.0.1 address with /p2p/ */
  addr: string
  addrs: string[]
  /** `http://127.0.0.1:PORT` when started with metrics */
  metrics?: string
  /** SIGTERM, wait for a clean exit */
  stop(): Promise<void>
  /** SIGKILL */
  kill(): Promise<void>
}

/**
 * Runs `ipts relay --json --repo <repo> --listen <listen> [args]` and waits for its ready line.
 * `listen` defaults to `/ip4/127.0.0.1/tcp/0`; give a fixed port to restart a relay where its
 * peers expect it.
 */
export async function spawnRelay (repo: string, args: string[] = [], options: { env?: NodeJS.ProcessEnv, listen?: string } = {}): Promise<CliRelay> {
  const proc = new IptsProcess(['relay', '--json', '--repo', repo, '--listen', options.listen ?? '/ip4/127.0.0.1/tcp/0', ...args], { env: options.env ?? cleanEnv() })
  try {
    const ready = await proc.waitForJson(o => o.event === 'ready', CLI_TIMEOUT)
    const addrs = ready.addrs as string[]
    return {
      proc,
      peerId: ready.peerId,
      addr: addrs.find(a => a.startsWith('/ip4/127.0.0.1/')) ?? addrs[0],
      addrs,
      metrics: ready.metrics,
      stop: async () => { await proc.stop('SIGTERM') },
      kill: async () => { await proc.stop('SIGKILL') }
    }
  } catch (err) {
    await proc.stop('SIGKILL')
    throw err
  }
}

/** A temporary directory that `cleanup` removes. */
export async function tempDir (prefix = 'ipts-cli-test-'): Promise<{ path: string, cleanup(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix))
  return { path, cleanup: async () => { await rm(path, { recursive: true, force: true }) } }
}

/** `--relay A --relay B ...` */
export function relayFlags (relays: CliRelay[]): string[] {
  return relays.flatMap(r => ['--relay', r.addr])
}

/** The peer ID of a repo (created on first use). */
export async function peerIdOf (repo: string): Promise<string> {
  const result = await runCli(['id', '--json', '--repo', repo])
  if (result.code !== 0) throw new Error(`ipts id failed: ${result.stderr}`)
  return result.json[0].peerId
}

/** What a child process printed, and how it exited. */
export interface NodeRun {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs `node <args>` (this process's Node) to its end; SIGKILLs it past `bound` ms. */
export async function runNode (args: string[], bound: number): Promise<NodeRun> {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString() })
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
  const timer = setTimeout(() => { child.kill('SIGKILL') }, bound)
  const code = await new Promise<number | null>(resolve => child.on('close', resolve))
  clearTimeout(timer)
  return { code, stdout, stderr }
}
