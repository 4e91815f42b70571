/**
 * Every setting of every command, declared once (settings.ts resolves them): flag, then
 * environment (`IPTS_<SETTING>`), then `<repo>/config.json`, then the default. README's settings
 * table lists them all; a test keeps it in step. Flags that only make sense for one run
 * (`--json`, `--file`, `--watch`, ...) are plain commander options, not settings.
 */
import { homedir } from 'node:os'
import { join } from 'node:path'
import { multiaddr } from '@multiformats/multiaddr'
import { Option } from 'commander'
import { GiB, KiB, MAX_RECORD_SIZE, MiB, day, hour, minute, second } from '../constants.ts'
import { InvalidSettingError } from '../errors.ts'
import {
  DEFAULT_FOLLOW_GRACE, DEFAULT_MAX_ACKS_PER_IP_PER_MINUTE, DEFAULT_MAX_ACKS_PER_PEER_PER_MINUTE,
  DEFAULT_MAX_ACK_BYTES, DEFAULT_MAX_BYTES, DEFAULT_MAX_LIFETIME, DEFAULT_MAX_PUBLISHES_PER_IP_PER_MINUTE,
  DEFAULT_MAX_PUBLISHES_PER_PEER_PER_MINUTE, DEFAULT_MAX_PUTS_PER_IP_PER_MINUTE,
  DEFAULT_MAX_PUTS_PER_PEER_PER_MINUTE, DEFAULT_MAX_RECORDS, DEFAULT_MAX_RECORDS_PER_KEY,
  DEFAULT_MAX_RECORD_SIZE, DEFAULT_MAX_RELAY_ITEMS_PER_IP_PER_MINUTE,
  DEFAULT_MAX_RELAY_ITEMS_PER_PEER_PER_MINUTE, DEFAULT_MAX_TOPICS, DEFAULT_MAX_TOPICS_PER_HOST,
  DEFAULT_MAX_TOPICS_PER_PEER,
  DEFAULT_INBOX_PAGE_BYTES, DEFAULT_MAX_INBOX_BYTES, DEFAULT_MAX_INBOX_BYTES_PER_IP, DEFAULT_MAX_INBOX_BYTES_PER_PEER,
  DEFAULT_MAX_INBOX_STREAMS, DEFAULT_MAX_INBOX_STREAMS_PER_IP, DEFAULT_MAX_INBOX_STREAMS_PER_PEER, DEFAULT_STALL_TIMEOUT
} from '../relay/constants.ts'
import { addSettings, describeSettings, readConfigFile, resolveSettings } from './settings.ts'
import type { Output } from './output.ts'
import type { LogFormat, LogLevel } from './log.ts'
import type { Resolved, Setting, SettingTable } from './settings.ts'
import type { Command } from 'commander'

/** Where a relay listens when no listen address is given. */
export const DEFAULT_RELAY_LISTEN = '/ip4/127.0.0.1/tcp/4001'

/** Options every command takes. */
export interface CommonFlags {
  repo?: string
  json?: boolean
  printConfig?: boolean
}

const text = (t: string): string => t

/** `--repo`: where config.json lives, so it cannot come from config.json. */
export const REPO_SETTINGS = {
  repo: {
    flag: '--repo <dir>',
    env: 'IPTS_REPO',
    file: false,
    help: 'repo directory (identity key, client state, relay data, config.json)',
    parse: text,
    default: join(homedir(), '.ipts'),
    defaultText: '~/.ipts'
  } satisfies Setting<string>
}

const bootstrap: Setting<string[]> = {
  flag: '--bootstrap <multiaddr>',
  env: 'IPTS_BOOTSTRAP',
  list: true,
  help: 'a peer to join through, with /p2p/<peer ID> (repeatable); relays are found via it',
  parse: (t, name) => checkMultiaddr(t, name, { peerId: true }),
  default: [],
  defaultText: 'none'
}

const publicNetwork: Setting<boolean> = {
  flag: '--public',
  env: 'IPTS_PUBLIC',
  boolean: true,
  help: 'join the public IPFS network (its DHT and bootstrap peers)',
  parse: () => true,
  default: false
}

/** Settings of the commands that talk to relays (send, inbox, receipts, resolve). */
export const NETWORK_SETTINGS = {
  ...REPO_SETTINGS,
  relays: {
    flag: '--relay <multiaddr>',
    env: 'IPTS_RELAYS',
    list: true,
    help: 'a relay to use, with /p2p/<peer ID> (repeatable)',
    parse: (t, name) => checkMultiaddr(t, name, { peerId: true }),
    default: [],
    defaultText: 'none'
  } satisfies Setting<string[]>,
  bootstrap,
  public: publicNetwork
}

/** Settings of `send` on top of the network ones. */
export const SEND_SETTINGS = {
  ...NETWORK_SETTINGS,
  lifetime: {
    flag: '--lifetime <duration>',
    env: 'IPTS_LIFETIME',
    help: 'how long relays keep a message (e.g. 1h, 7d)',
    parse: parseDuration,
    default: 24 * hour,
    defaultText: '24h'
  } satisfies Setting<number>,
  minRelays: {
    flag: '--min-relays <n>',
    env: 'IPTS_MIN_RELAYS',
    help: 'relays that must confirm custody',
    parse: (t, name) => parseCount(t, name),
    default: undefined as number | undefined,
    defaultText: '2 when 2 or more are reachable, else 1'
  } satisfies Setting<number | undefined>,
  timeout: {
    flag: '--timeout <duration>',
    env: 'IPTS_TIMEOUT',
    help: 'give up on custody after this long (and on the receipt, with --wait-receipt)',
    parse: parseDuration,
    default: 30 * second,
    defaultText: '30s'
  } satisfies Setting<number>
}

/** Settings of `relay`. Every policy limit is one. */
export const RELAY_SETTINGS = {
  ...REPO_SETTINGS,
  listen: {
    flag: '--listen <multiaddr>',
    env: 'IPTS_LISTEN',
    list: true,
    help: 'address to listen on (repeatable)',
    parse: (t, name) => checkMultiaddr(t, name),
    default: [DEFAULT_RELAY_LISTEN],
    defaultText: DEFAULT_RELAY_LISTEN
  } satisfies Setting<string[]>,
  bootstrap: { ...bootstrap, help: 'another relay or DHT peer to join through, with /p2p/<peer ID> (repeatable)' },
  public: publicNetwork,
  metrics: {
    flag: '--metrics <host:port>',
    env: 'IPTS_METRICS',
    help: 'serve the status page (/), /metrics (Prometheus) and /status (JSON) over HTTP here',
    parse: parseHostPort,
    default: undefined as { host: string, port: number } | undefined,
    defaultText: 'off'
  } satisfies Setting<{ host: string, port: number } | undefined>,
  maxRecordSize: {
    flag: '--max-record-size <size>',
    env: 'IPTS_MAX_RECORD_SIZE',
    help: 'largest record accepted',
    parse: parseSize,
    default: DEFAULT_MAX_RECORD_SIZE,
    defaultText: '10KiB'
  } satisfies Setting<number>,
  maxLifetime: {
    flag: '--max-lifetime <duration>',
    env: 'IPTS_MAX_LIFETIME',
    help: 'longest record lifetime accepted',
    parse: parseDuration,
    default: DEFAULT_MAX_LIFETIME,
    defaultText: '30d'
  } satisfies Setting<number>,
  maxRecordsPerKey: {
    flag: '--max-records-per-key <n>',
    env: 'IPTS_MAX_RECORDS_PER_KEY',
    help: 'records one tag or name may hold: senders per receiver',
    parse: (t, name) => parseCount(t, name),
    default: DEFAULT_MAX_RECORDS_PER_KEY
  } satisfies Setting<number>,
  maxRecords: {
    flag: '--max-records <n>',
    env: 'IPTS_MAX_RECORDS',
    help: 'records stored in all; beyond, the host (IPv4 address, IPv6 /64) holding the largest share loses its oldest',
    parse: (t, name) => parseCount(t, name),
    default: DEFAULT_MAX_RECORDS
  } satisfies Setting<number>,
  maxBytes: {
    flag: '--max-bytes <size>',
    env: 'IPTS_MAX_BYTES',
    help: 'record bytes stored in all; beyond, records are evicted as for --max-records',
    parse: parseSize,
    default: DEFAULT_MAX_BYTES,
    defaultText: '1GiB'
  } satisfies Setting<number>,
  maxAckBytes: {
    flag: '--max-ack-bytes <size>',
    env: 'IPTS_MAX_ACK_BYTES',
    help: 'acks kept (for sync) plus 256 B per tombstone; beyond, acks still delete but leave no tombstone or copy',
    parse: parseSize,
    default: DEFAULT_MAX_ACK_BYTES,
    defaultText: '256MiB'
  } satisfies Setting<number>,
  maxPublishesPerMinute: {
    flag: '--max-publishes-per-minute <n>',
    env: 'IPTS_MAX_PUBLISHES_PER_MINUTE',
    help: 'record messages one peer may hand this relay over gossip per minute',
    parse: (t, name) => parseCount(t, name),
    default: DEFAULT_MAX_PUBLISHES_PER_PEER_PER_MINUTE
  } satisfies Setting<number>,
  maxPublishesPerIpPerMinute: {
    flag: '--max-publishes-per-ip-per-minute <n>',
    env: 'IPTS_MAX_PUBLISHES_PER_IP_PER_MINUTE',
    help: 'record messages the peers of one host may hand this relay over gossip per minute',
    parse: (t, name) => parseCount(t, name),
    default: DEFAULT_MAX_PUBLISHES_PER_IP_PER_MINUTE
  } satisfies Setting<number>,
  maxPutsPerMinute: {
    flag: '--max-puts-per-minute <n>',
    env: 'IPTS_MAX_PUTS_PER_MINUTE',
    help: 'custody PUTs one peer may make per minute (also the burst)',
    parse: (t, name) => parseCount(t, name),
    default: DEFAULT_MAX_PUTS_PER_PEER_PER_MINUTE
  } satisfies Setting<number>,
  maxPutsPerIpPerMinute: {
    flag: '--max-puts-per-ip-per-minute <n>',
    env: 'IPTS_MAX_PUTS_PER_IP_PER_MINUTE',
    help: 'custody PUTs the peers of one host (IPv4 address, IPv6 /64; loopback too) may make per minute',
    parse: (t, name) => parseCount(t, name),
    default: DEFAULT_MAX_PUTS_PER_IP_PER_MINUTE
  } satisfies Setting<number>,
  maxAcksPerMinute: {
    flag: '--max-acks-per-minute <n>',
    env: 'IPTS_MAX_ACKS_PER_MINUTE',
    help: 'acknowledgements one peer may send per minute',
    parse: (t, name) => parseCount(t, name),
    default: DEFAULT_MAX_ACKS_PER_PEER_PER_MINUTE
  } satisfies Setting<number>,
  maxAcksPerIpPerMinute: {
    flag: '--max-acks-per-ip-per-minute <n>',
    env: 'IPTS_MAX_ACKS_PER_IP_PER_MINUTE',
    help: 'acknowledgements the peers of one host may send per minute',
    parse: (t, name) => parseCount(t, name),
    default: DEFAULT_MAX_ACKS_PER_IP_PER_MINUTE
  } satisfies Setting<number>,
  maxRelayItemsPerMinute: {
    flag: '--max-relay-items-per-minute <n>',
    env: 'IPTS_MAX_RELAY_ITEMS_PER_MINUTE',
    help: 'items one relay peer may send per minute: sync items, feed records, forwarded acks',
    parse: (t, name) => parseCount(t, name),
    default: DEFAULT_MAX_RELAY_ITEMS_PER_PEER_PER_MINUTE
  } satisfies Setting<number>,
  maxRelayItemsPerIpPerMinute: {
    flag: '--max-relay-items-per-ip-per-minute <n>',
    env: 'IPTS_MAX_RELAY_ITEMS_PER_IP_PER_MINUTE',
    help: 'items the relay peers of one host may send per minute',
    parse: (t, name) => parseCount(t, name),
    default: DEFAULT_MAX_RELAY_ITEMS_PER_IP_PER_MINUTE
  } satisfies Setting<number>,
  maxTopicsPerPeer: {
    flag: '--max-topics-per-peer <n>',
    env: 'IPTS_MAX_TOPICS_PER_PEER',
    help: 'topics one peer may make this relay follow at once',
    parse: (t, name) => parseCount(t, name),
    default: DEFAULT_MAX_TOPICS_PER_PEER
  } satisfies Setting<number>,
  maxTopicsPerHost: {
    flag: '--max-topics-per-host <n>',
    env: 'IPTS_MAX_TOPICS_PER_HOST',
    help: 'topics the peers of one IP address (IPv6: one /64) may make this relay follow at once',
    parse: (t, name) => parseCount(t, name),
    default: DEFAULT_MAX_TOPICS_PER_HOST
  } satisfies Setting<number>,
  maxTopics: {
    flag: '--max-topics <n>',
    env: 'IPTS_MAX_TOPICS',
    help: 'record topics followed at once, in all',
    parse: (t, name) => parseCount(t, name),
    default: DEFAULT_MAX_TOPICS
  } satisfies Setting<number>,
  followGrace: {
    flag: '--follow-grace <duration>',
    env: 'IPTS_FOLLOW_GRACE',
    help: 'how long a topic stays followed after its last subscriber left or disconnected',
    parse: parseDuration,
    default: DEFAULT_FOLLOW_GRACE,
    defaultText: '60s'
  } satisfies Setting<number>,
  maxInboxStreams: {
    flag: '--max-inbox-streams <n>',
    env: 'IPTS_MAX_INBOX_STREAMS',
    help: 'inbox drains served at once, from everyone (more wait, then are refused)',
    parse: (t, name) => parseCount(t, name),
    default: DEFAULT_MAX_INBOX_STREAMS
  } satisfies Setting<number>,
  maxInboxStreamsPerPeer: {
    flag: '--max-inbox-streams-per-peer <n>',
    env: 'IPTS_MAX_INBOX_STREAMS_PER_PEER',
    help: 'inbox drains served at once for one peer',
    parse: (t, name) => parseCount(t, name),
    default: DEFAULT_MAX_INBOX_STREAMS_PER_PEER
  } satisfies Setting<number>,
  maxInboxStreamsPerIp: {
    flag: '--max-inbox-streams-per-ip <n>',
    env: 'IPTS_MAX_INBOX_STREAMS_PER_IP',
    help: 'inbox drains served at once for one IP address (IPv6: one /64)',
    parse: (t, name) => parseCount(t, name),
    default: DEFAULT_MAX_INBOX_STREAMS_PER_IP
  } satisfies Setting<number>,
  maxInboxBytes: {
    flag: '--max-inbox-bytes <size>',
    env: 'IPTS_MAX_INBOX_BYTES',
    help: 'record bytes of inbox pages held in memory at once (read, not yet taken by readers), in all',
    parse: (t, name) => parseSize(t, name, MAX_RECORD_SIZE),
    default: DEFAULT_MAX_INBOX_BYTES,
    defaultText: '32MiB'
  } satisfies Setting<number>,
  maxInboxBytesPerPeer: {
    flag: '--max-inbox-bytes-per-peer <size>',
    env: 'IPTS_MAX_INBOX_BYTES_PER_PEER',
    help: 'record bytes of inbox pages held at once for one peer',
    parse: (t, name) => parseSize(t, name, MAX_RECORD_SIZE),
    default: DEFAULT_MAX_INBOX_BYTES_PER_PEER,
    defaultText: '1MiB'
  } satisfies Setting<number>,
  maxInboxBytesPerIp: {
    flag: '--max-inbox-bytes-per-ip <size>',
    env: 'IPTS_MAX_INBOX_BYTES_PER_IP',
    help: 'record bytes of inbox pages held at once for one IP address (IPv6: one /64)',
    parse: (t, name) => parseSize(t, name, MAX_RECORD_SIZE),
    default: DEFAULT_MAX_INBOX_BYTES_PER_IP,
    defaultText: '4MiB'
  } satisfies Setting<number>,
  inboxPageBytes: {
    flag: '--inbox-page-bytes <size>',
    env: 'IPTS_INBOX_PAGE_BYTES',
    help: 'largest inbox page, in record bytes (at least one 10 KiB record)',
    parse: (t, name) => parseSize(t, name, MAX_RECORD_SIZE),
    default: DEFAULT_INBOX_PAGE_BYTES,
    defaultText: '256KiB'
  } satisfies Setting<number>,
  stallTimeout: {
    flag: '--stall-timeout <duration>',
    env: 'IPTS_STALL_TIMEOUT',
    help: 'a relay stream whose reader takes nothing this long is aborted, and its connection closed',
    parse: parseDuration,
    default: DEFAULT_STALL_TIMEOUT,
    defaultText: '30s'
  } satisfies Setting<number>,
  syncWrites: {
    flag: '--sync',
    env: 'IPTS_SYNC_WRITES',
    boolean: true,
    help: 'fsync every store write before confirming it (survives power loss; slower)',
    parse: () => true,
    default: false
  } satisfies Setting<boolean>,
  logFormat: {
    flag: '--log-format <format>',
    env: 'IPTS_LOG_FORMAT',
    help: 'event log on stderr: text, or json (one object per line)',
    parse: (t, name) => oneOf(t, name, ['text', 'json'] as const),
    default: 'text' as LogFormat
  } satisfies Setting<LogFormat>,
  logLevel: {
    flag: '--log-level <level>',
    env: 'IPTS_LOG_LEVEL',
    help: 'least important events logged: error, warn, info or debug',
    parse: (t, name) => oneOf(t, name, ['error', 'warn', 'info', 'debug'] as const),
    default: 'info' as LogLevel
  } satisfies Setting<LogLevel>
}

/** Where `ipts web` serves its page when no port is given (on 127.0.0.1). */
export const DEFAULT_WEB_PORT = 8080

/** Settings of `web`: the relays the page dials, and the port it is served on. */
export const WEB_SETTINGS = {
  ...REPO_SETTINGS,
  relays: NETWORK_SETTINGS.relays,
  webPort: {
    flag: '--port <n>',
    env: 'IPTS_WEB_PORT',
    help: 'serve the web inbox on http://127.0.0.1:<n>/ (0: any free port)',
    parse: (t, name) => parseCount(t, name, 0),
    default: DEFAULT_WEB_PORT
  } satisfies Setting<number>
}

/** Every settings table, for config.json's key check and README's table. */
export const ALL_SETTINGS: SettingTable[] = [NETWORK_SETTINGS, SEND_SETTINGS, RELAY_SETTINGS, WEB_SETTINGS]

/** Keys config.json may hold: those of every command (a relay's repo may hold client keys too). */
export const FILE_KEYS: ReadonlySet<string> = new Set(ALL_SETTINGS.flatMap(table =>
  Object.entries(table).filter(([, s]) => s.file !== false).map(([key]) => key)))

/** Adds `--repo` and `--json`. */
export function commonOptions (command: Command): Command {
  return addSettings(command, REPO_SETTINGS)
    .option('--json', 'print one JSON object per line on stdout, nothing else')
}

/** Adds a table's flags, `--json` and `--print-config`. */
export function settingOptions (command: Command, table: SettingTable): Command {
  return addSettings(command, table)
    .option('--json', 'print one JSON object per line on stdout, nothing else')
    .addOption(new Option('--print-config', 'print every setting, its value and where it came from, then exit'))
}

/** Resolves a command's settings: the repo first (flag, environment, default), then the rest with the repo's config.json. */
export async function loadSettings<S extends SettingTable> (table: S, command: Command, env: NodeJS.ProcessEnv): Promise<Resolved<S>> {
  const { values } = resolveSettings(REPO_SETTINGS, command, env)
  const file = await readConfigFile(values.repo, FILE_KEYS)
  return resolveSettings(table, command, env, file)
}

/** `--print-config`: one line per setting (`--json`: one object). */
export function printConfig (out: Output, resolved: Resolved<SettingTable>): void {
  const { json, lines } = describeSettings(resolved.sources)
  out.result({ event: 'config', settings: json }, lines.join('\n'))
}

/** Checks a multiaddr string (optionally that it names its peer with /p2p/). */
export function checkMultiaddr (addr: string, name: string, options: { peerId?: boolean } = {}): string {
  let ma
  try {
    ma = multiaddr(addr)
  } catch {
    throw new InvalidSettingError(`${name} "${addr}" is not a multiaddr`)
  }
  if (options.peerId === true && ma.getComponents().every(c => c.name !== 'p2p')) {
    throw new InvalidSettingError(`${name} "${addr}" lacks /p2p/<peer ID>`)
  }
  return addr
}

/** One of a fixed set of words. */
export function oneOf<T extends string> (text: string, name: string, allowed: readonly T[]): T {
  const t = text.trim()
  if (!(allowed as readonly string[]).includes(t)) {
    throw new InvalidSettingError(`${name} "${text}" must be one of ${allowed.join(', ')}`)
  }
  return t as T
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

/** `10240`, `10KiB`, `512MiB`, `1GiB` (units are powers of 1024) in bytes, at least `min`. */
export function parseSize (text: string, name = 'size', min = 1): number {
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(text.trim())
  const unit = m == null ? undefined : SIZE_UNITS[m[2].toLowerCase()]
  if (m == null || unit == null) {
    throw new InvalidSettingError(`${name} "${text}" is not a size: use bytes or a unit, e.g. 10KiB, 512MiB, 1GiB`)
  }
  const bytes = Math.floor(Number(m[1]) * unit)
  if (!Number.isSafeInteger(bytes) || bytes <= 0) {
    throw new InvalidSettingError(`${name} "${text}" must be more than zero`)
  }
  if (bytes < min) {
    throw new InvalidSettingError(`${name} "${text}" must be at least ${min} bytes`)
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
