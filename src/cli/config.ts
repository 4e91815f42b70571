/**
 * Settings shared by the commands, parsed once into typed values. Precedence: flag, then
 * environment (`IPTS_REPO`, `IPTS_RELAYS`, `IPTS_BOOTSTRAP`), then `<repo>/config.json`, then the
 * default. Every setting is listed in the README's table.
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { multiaddr } from '@multiformats/multiaddr'
import { Option } from 'commander'
import { GiB, KiB, MiB, day, hour, minute, second } from '../constants.ts'
import { InvalidSettingError } from '../errors.ts'
import { resolveRepo } from '../identity.ts'
import type { Command } from 'commander'

/** Options every command takes. */
export interface CommonFlags {
  repo?: string
  json?: boolean
}

/** Options of commands that talk to relays. */
export interface NetworkFlags extends CommonFlags {
  relay?: string[]
  bootstrap?: string[]
  public?: boolean
}

/** What `<repo>/config.json` may hold. */
export interface FileConfig {
  relays?: string[]
  bootstrap?: string[]
}

export interface NetworkConfig {
  repo: string
  relays: string[]
  bootstrap: string[]
  public: boolean
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value]

/** Adds `--repo` and `--json`. */
export function commonOptions (command: Command): Command {
  return command
    .option('--repo <dir>', 'repo directory (identity key, state, relay data); default $IPTS_REPO, else ~/.ipts')
    .option('--json', 'print one JSON object per line on stdout, nothing else')
}

/** Adds `--relay`, `--bootstrap` and `--public`. */
export function networkOptions (command: Command): Command {
  return commonOptions(command)
    .option('--relay <multiaddr>', 'a relay to use, with /p2p/<peer ID> (repeatable); env IPTS_RELAYS', collect)
    .option('--bootstrap <multiaddr>', 'a peer to join through; relays are found via it (repeatable); env IPTS_BOOTSTRAP', collect)
    .addOption(new Option('--public', 'join the public IPFS network (its DHT and bootstrap peers)'))
}

/** Resolves the network settings of a command: flags, then environment, then the repo's config file. */
export async function networkConfig (flags: NetworkFlags, env: NodeJS.ProcessEnv = process.env): Promise<NetworkConfig> {
  const repo = resolveRepo(flags.repo, env)
  const file = await readConfigFile(repo)
  const relays = flags.relay ?? listFromEnv(env.IPTS_RELAYS) ?? file.relays ?? []
  const bootstrap = flags.bootstrap ?? listFromEnv(env.IPTS_BOOTSTRAP) ?? file.bootstrap ?? []
  for (const addr of [...relays, ...bootstrap]) checkMultiaddr(addr, { peerId: true })
  return { repo, relays, bootstrap, public: flags.public ?? false }
}

/** `<repo>/config.json`, or nothing when it does not exist. */
export async function readConfigFile (repo: string): Promise<FileConfig> {
  const path = join(repo, 'config.json')
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err: any) {
    if (err.code === 'ENOENT') return {}
    throw err
  }
  let config: unknown
  try {
    config = JSON.parse(text)
  } catch {
    throw new InvalidSettingError(`${path} is not valid JSON`)
  }
  if (typeof config !== 'object' || config == null || Array.isArray(config)) {
    throw new InvalidSettingError(`${path} must hold a JSON object`)
  }
  const out: FileConfig = {}
  for (const field of ['relays', 'bootstrap'] as const) {
    const value = (config as Record<string, unknown>)[field]
    if (value == null) continue
    if (!Array.isArray(value) || !value.every(v => typeof v === 'string')) {
      throw new InvalidSettingError(`${path}: "${field}" must be a list of multiaddrs`)
    }
    out[field] = value
  }
  return out
}

function listFromEnv (value: string | undefined): string[] | undefined {
  if (value == null || value.trim() === '') return undefined
  return value.split(/[\s,]+/).filter(s => s !== '')
}

/** Checks a multiaddr string (optionally that it names its peer with /p2p/). */
export function checkMultiaddr (addr: string, options: { peerId?: boolean } = {}): string {
  let ma
  try {
    ma = multiaddr(addr)
  } catch {
    throw new InvalidSettingError(`"${addr}" is not a multiaddr`)
  }
  if (options.peerId === true && ma.getComponents().every(c => c.name !== 'p2p')) {
    throw new InvalidSettingError(`"${addr}" lacks /p2p/<peer ID>`)
  }
  return addr
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: second, m: minute, h: hour, d: day }

/** `500ms`, `30s`, `5m`, `24h`, `7d` (also `1h30m`) in ms. */
export function parseDuration (text: string, name = 'duration'): number {
  const trimmed = text.trim()
  if (!/^(\d+(\.\d+)?(ms|s|m|h|d))+$/.test(trimmed)) {
    throw new InvalidSettingError(`${name} "${text}" is not a duration: use a number with a unit, e.g. 500ms, 30s, 5m, 24h, 7d`)
  }
  let total = 0
  for (const [, value, unit] of trimmed.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)) total += Number(value) * DURATION_UNITS[unit]
  if (!Number.isFinite(total) || total <= 0) {
    throw new InvalidSettingError(`${name} "${text}" must be more than zero`)
  }
  return Math.round(total)
}

const SIZE_UNITS: Record<string, number> = { '': 1, b: 1, k: KiB, kb: KiB, kib: KiB, m: MiB, mb: MiB, mib: MiB, g: GiB, gb: GiB, gib: GiB }

/** `10240`, `10KiB`, `512MiB`, `1GiB` (units are powers of 1024) in bytes. */
export function parseSize (text: string, name = 'size'): number {
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(text.trim())
  const unit = m == null ? undefined : SIZE_UNITS[m[2].toLowerCase()]
  if (m == null || unit == null) {
    throw new InvalidSettingError(`${name} "${text}" is not a size: use bytes or a unit, e.g. 10KiB, 512MiB, 1GiB`)
  }
  const bytes = Math.floor(Number(m[1]) * unit)
  if (!Number.isSafeInteger(bytes) || bytes <= 0) {
    throw new InvalidSettingError(`${name} "${text}" must be more than zero`)
  }
  return bytes
}

/** A whole number at least `min`. */
export function parseCount (text: string, name: string, min = 1): number {
  const n = Number(text)
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(n) || n < min) {
    throw new InvalidSettingError(`${name} "${text}" must be a whole number of at least ${min}`)
  }
  return n
}

/** `HOST:PORT` (IPv6 hosts in brackets). */
export function parseHostPort (text: string, name = 'address'): { host: string, port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(text.trim())
  const port = m == null ? NaN : Number(m[3])
  if (m == null || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new InvalidSettingError(`${name} "${text}" is not HOST:PORT, e.g. 127.0.0.1:9090`)
  }
  return { host: m[1] ?? m[2], port }
}
