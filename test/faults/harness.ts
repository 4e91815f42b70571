/**
 * Shared parts of the fault suite (test/faults/*.test.ts): its settings, a seeded random source,
 * a tmpfs of a given size, the held-records check over the relay protocol, and percentiles.
 *
 * Each scenario runs short inside `npm test` and long under `npm run test:faults`, which sets
 * `IPTS_FAULTS=full`. Single settings can be overridden with `IPTS_FAULT_*` variables (see
 * `faultSettings`). Figures are reported as test diagnostics (one JSON object each) and, when
 * `IPTS_FAULT_REPORT` names a file, appended to it as JSON lines.
 */
import { execFile } from 'node:child_process'
import { appendFile, mkdir, rm } from 'node:fs/promises'
import { loadavg, cpus } from 'node:os'
import { promisify } from 'node:util'
import { multiaddr } from '@multiformats/multiaddr'
import { RecordValidator } from '../../src/record/index.ts'
import { RelayRequest, RelayResponse } from '../../src/pb/relay.ts'
import { relayRequest } from '../utils/network.ts'
import type { IptsNode } from '../../src/node.ts'
import type { TestContext } from 'node:test'

const run = promisify(execFile)

export interface FaultSettings {
  /** `full` under `npm run test:faults`, `fast` inside `npm test` */
  mode: 'fast' | 'full'
  /** seed of every random choice (printed with the figures, so a failure can be replayed) */
  seed: number
  /** crash safety: SIGKILLs to deliver, and the time they may take in all, ms */
  kills: number
  crashBudget: number
  /** load: senders, receivers, relays, and how long senders send, ms */
  senders: number
  receivers: number
  relays: number
  loadPeriod: number
  /** load: messages per second each sender offers (0: the next as soon as custody confirms the last) */
  loadRate: number
}

function envNumber (name: string, fallback: number): number {
  const raw = process.env[name]
  if (raw == null || raw === '') return fallback
  const n = Number(raw)
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a non-negative number, not ${raw}`)
  return n
}

/** The suite's settings: `IPTS_FAULTS=full` for the long runs, `IPTS_FAULT_*` for single values. */
export function faultSettings (): FaultSettings {
  const full = process.env.IPTS_FAULTS === 'full'
  return {
    mode: full ? 'full' : 'fast',
    seed: envNumber('IPTS_FAULT_SEED', Math.floor(Math.random() * 2 ** 31)),
    kills: envNumber('IPTS_FAULT_KILLS', full ? 200 : 5),
    crashBudget: envNumber('IPTS_FAULT_CRASH_SECONDS', full ? 300 : 60) * 1000,
    // 6 + 6 clients put 14 peers of one IP on each relay: past gossipsub's colocation threshold
    senders: envNumber('IPTS_FAULT_SENDERS', full ? 10 : 6),
    receivers: envNumber('IPTS_FAULT_RECEIVERS', full ? 10 : 6),
    relays: envNumber('IPTS_FAULT_RELAYS', 3),
    loadPeriod: envNumber('IPTS_FAULT_LOAD_SECONDS', full ? 60 : 4) * 1000,
    loadRate: envNumber('IPTS_FAULT_LOAD_RATE', 0)
  }
}

/**
 * `ipts relay` flags that lift the per-peer and per-address budgets: the fault suite streams
 * from one client, or from twenty on 127.0.0.1, as fast as the relays take it, and budgets are
 * not what it tests (test/relay/limits.test.ts does).
 */
export const NO_BUDGETS = [
  '--max-puts-per-minute', '--max-puts-per-ip-per-minute',
  '--max-acks-per-minute', '--max-acks-per-ip-per-minute',
  '--max-publishes-per-minute', '--max-publishes-per-ip-per-minute',
  '--max-relay-items-per-minute', '--max-relay-items-per-ip-per-minute'
].flatMap(flag => [flag, '100000000'])

/** mulberry32: a small seeded generator of floats in [0, 1). */
export function random (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Reports one set of figures: a test diagnostic, and a JSON line in `$IPTS_FAULT_REPORT`. */
export async function report (t: TestContext, scenario: string, figures: Record<string, unknown>): Promise<void> {
  const line = JSON.stringify({
    scenario,
    ...figures,
    machine: { cpus: cpus().length, loadavg: loadavg().map(l => Math.round(l * 100) / 100) }
  }, (_, v) => typeof v === 'bigint' ? v.toString() : v)
  t.diagnostic(line)
  const file = process.env.IPTS_FAULT_REPORT
  if (file != null && file !== '') await appendFile(file, line + '\n')
}

export interface Tmpfs {
  path: string
  unmount(): Promise<void>
}

/**
 * Mounts a tmpfs of `bytes` at a new directory `path`. Resolves with a reason instead when this
 * process cannot (not root, or mount refused), so the caller can skip with it.
 */
export async function mountTmpfs (path: string, bytes: number): Promise<Tmpfs | string> {
  if (process.platform !== 'linux') return `tmpfs needs Linux (this is ${process.platform})`
  if (process.getuid?.() !== 0) return 'mounting a tmpfs needs root (CI runs the suite as root)'
  await mkdir(path, { recursive: true })
  try {
    await run('mount', ['-t', 'tmpfs', '-o', `size=${bytes}`, 'tmpfs', path])
  } catch (err: any) {
    await rm(path, { recursive: true, force: true })
    return `mount -t tmpfs failed: ${String(err.stderr ?? err.message).trim()}`
  }
  return {
    path,
    unmount: async () => {
      await run('umount', ['-l', path]).catch(() => {})
      await rm(path, { recursive: true, force: true })
    }
  }
}

/** `routingKey/signer` in hex: one (key, signer) pair. */
export function pairId (routingKey: Uint8Array, signer: Uint8Array): string {
  return `${Buffer.from(routingKey).toString('hex')}/${Buffer.from(signer).toString('hex')}`
}

/**
 * What a relay holds under each routing key, read with the relay protocol's INBOX: pair id ->
 * sequence. Every record returned is validated.
 */
export async function heldByInbox (node: IptsNode, relayAddr: string, routingKeys: Uint8Array[]): Promise<Map<string, bigint>> {
  const validator = new RecordValidator()
  const held = new Map<string, bigint>()
  for (const key of routingKeys) {
    const pages = await relayRequest(node, multiaddr(relayAddr), { type: RelayRequest.Type.INBOX, key })
    for (const page of pages) {
      if (page.status !== RelayResponse.Status.OK) throw new Error(`INBOX answered ${RelayResponse.Status[page.status]} ${page.error ?? ''}`)
      for (const bytes of page.records) {
        const record = validator.validate(bytes, { now: Date.now() })
        held.set(pairId(record.routingKey, record.signer), record.sequence)
      }
    }
  }
  return held
}

/**
 * Pairs whose confirmed sequence is not held (missing, or held at a lower sequence), as
 * `pair: confirmed -> held` lines.
 */
export function missing (confirmed: Map<string, bigint>, held: (pair: string) => bigint | undefined): string[] {
  const out: string[] = []
  for (const [pair, seq] of confirmed) {
    const h = held(pair)
    if (h == null || h < seq) out.push(`${pair}: confirmed ${seq}, held ${h ?? 'nothing'}`)
  }
  return out
}

/** The q-quantile (0..1) of sorted numbers, nearest rank. */
export function quantile (sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]
}
