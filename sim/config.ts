/**
 * Simulator settings: defaults, the `--quick` preset, and the command-line parser.
 *
 * One round is one step of the churn model: at its start users and relays change state, then the
 * round's messages are sent, then (after `roundMs` of wall time) online receivers poll. Latency is
 * counted in rounds (and in wall-clock ms, which only means something within a round).
 */
import { parseArgs } from 'node:util'
import { second } from '../src/constants.ts'

/** The three systems run side by side on the same workload. */
export const SYSTEMS = ['ipts', 'ipns-pubsub', 'dht-put'] as const
export type SystemName = typeof SYSTEMS[number]

export interface SimConfig {
  /** Relays (ipts) and always-on infrastructure DHT servers (dht-put). */
  relays: number
  /** Users: light nodes that go offline and come back. */
  users: number
  /** Rounds in which messages are sent. */
  rounds: number
  /** Rounds after the last send, with churn going on and no new messages. */
  cooldown: number
  /** Per-round probability that an online user goes offline; one run per value. */
  churn: number[]
  /** Per-round probability that an offline user comes back (mean time offline = 1 / rejoin rounds). */
  rejoin: number
  /** Per-round probability that a relay crashes; `undefined` means churn / 3. */
  relayChurn?: number
  /** Rounds a crashed relay stays down before it restarts from its repo. */
  relayDown: number
  /** Contacts per user (symmetric): users send to, and subscribe to, their contacts only. */
  contacts: number
  /** Per-round probability that an online user sends one message to a random contact. */
  sendRate: number
  /** Bytes of text per message (random filler). */
  messageBytes: number
  /** ipts: relays that must confirm custody before a send counts as done. */
  custody: number
  /** ipts: relays a receiver drains each round it is online. */
  drainRelays: number
  /** ipts: relays find one another through the DHT rendezvous (else each is configured with a few others). */
  rendezvous: boolean
  /** dht-put: an online receiver looks up its keys on arrival and then every this many rounds. */
  dhtPollEvery: number
  /** dht-put: share of users whose DHT node forgets what it stored when it goes offline (browser or mobile nodes, reinstalls). */
  dhtEphemeral: number
  /** Wall-clock length of a round, ms (work that takes longer stretches the round). */
  roundMs: number
  /** Seed of the workload (contacts, schedules, keys). */
  seed: number
  /** Directory of the result files. */
  out: string
  /** Systems to run. */
  systems: SystemName[]
  /** Runs executed at once, each in its own worker thread. */
  parallel: number
  /** Bound on one run (one system at one churn level), ms. */
  runTimeout: number
}

export const DEFAULTS: SimConfig = {
  relays: 6,
  users: 32,
  rounds: 8,
  cooldown: 4,
  churn: [0.1, 0.3, 0.6],
  rejoin: 0.2,
  relayChurn: undefined,
  relayDown: 2,
  contacts: 3,
  sendRate: 0.3,
  messageBytes: 64,
  custody: 2,
  drainRelays: 3,
  rendezvous: false,
  dhtPollEvery: 3,
  dhtEphemeral: 0,
  roundMs: 1200,
  seed: 1,
  out: 'sim/results',
  systems: [...SYSTEMS],
  parallel: 2,
  runTimeout: 10 * 60 * second
}

/** `--quick`: finishes in well under a minute (used by the test too). */
export const QUICK: Partial<SimConfig> = {
  relays: 4,
  users: 12,
  rounds: 5,
  cooldown: 3,
  churn: [0.2, 0.6],
  sendRate: 0.5,
  roundMs: 700,
  runTimeout: 2 * 60 * second
}

export const USAGE = `usage: npm run sim -- [options]

  --relays N         relays (ipts) / infrastructure DHT servers (dht-put)   [${DEFAULTS.relays}]
  --users N          users that churn                                       [${DEFAULTS.users}]
  --rounds N         rounds with sends                                      [${DEFAULTS.rounds}]
  --cooldown N       rounds after the last send                             [${DEFAULTS.cooldown}]
  --churn P[,P...]   per-round chance an online user goes offline; one run per value [${DEFAULTS.churn.join(',')}]
  --rejoin P         per-round chance an offline user comes back            [${DEFAULTS.rejoin}]
  --relay-churn P    per-round chance a relay crashes                       [churn/3]
  --relay-down N     rounds a crashed relay stays down                      [${DEFAULTS.relayDown}]
  --contacts N       contacts per user                                      [${DEFAULTS.contacts}]
  --send-rate P      per-round chance an online user sends a message        [${DEFAULTS.sendRate}]
  --message-bytes N  text bytes per message                                 [${DEFAULTS.messageBytes}]
  --drain-relays N   ipts receivers drain this many relays each round       [${DEFAULTS.drainRelays}]
  --rendezvous       ipts relays find one another through the DHT rendezvous (costly in one process)
  --dht-poll N       dht-put receivers look up their keys every N rounds    [${DEFAULTS.dhtPollEvery}]
  --dht-ephemeral P  dht-put: share of users whose node forgets its DHT store when offline [${DEFAULTS.dhtEphemeral}]
  --round-ms MS      wall-clock length of a round                           [${DEFAULTS.roundMs}]
  --systems LIST     comma-separated: ${SYSTEMS.join(',')}
  --parallel N       runs at once (worker threads)                          [${DEFAULTS.parallel}]
  --run-timeout S    bound on one run (one system at one churn level), seconds [${DEFAULTS.runTimeout / 1000}]
  --seed N           workload seed                                          [${DEFAULTS.seed}]
  --out DIR          result directory                                       [${DEFAULTS.out}]
  --quick            small preset (< 60 s): ${Object.entries(QUICK).map(([k, v]) => `${k}=${String(v)}`).join(' ')}
  --help
`

export class SimUsageError extends Error {
  static override name = 'SimUsageError'
  override name = 'SimUsageError'
}

function int (text: string | undefined, flag: string, min: number, max: number): number | undefined {
  if (text == null) return undefined
  const n = Number(text)
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new SimUsageError(`--${flag} must be an integer in [${min}, ${max}]`)
  return n
}

function prob (text: string | undefined, flag: string): number | undefined {
  if (text == null) return undefined
  const n = Number(text)
  if (!Number.isFinite(n) || n < 0 || n > 1) throw new SimUsageError(`--${flag} must be a number in [0, 1]`)
  return n
}

/** Parses command-line arguments into a full config; `help` is true when usage was asked for. */
export function parseConfig (argv: string[]): { config: SimConfig, help: boolean } {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      relays: { type: 'string' },
      users: { type: 'string' },
      rounds: { type: 'string' },
      cooldown: { type: 'string' },
      churn: { type: 'string' },
      rejoin: { type: 'string' },
      'relay-churn': { type: 'string' },
      'relay-down': { type: 'string' },
      contacts: { type: 'string' },
      'send-rate': { type: 'string' },
      'message-bytes': { type: 'string' },
      'drain-relays': { type: 'string' },
      'dht-poll': { type: 'string' },
      'dht-ephemeral': { type: 'string' },
      'round-ms': { type: 'string' },
      systems: { type: 'string' },
      parallel: { type: 'string' },
      seed: { type: 'string' },
      'run-timeout': { type: 'string' },
      out: { type: 'string' },
      rendezvous: { type: 'boolean' },
      quick: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' }
    }
  })
  const base: SimConfig = { ...DEFAULTS, ...(values.quick === true ? QUICK : {}) }
  const churn = values.churn?.split(',').map(p => prob(p.trim(), 'churn') ?? 0)
  const systems = values.systems?.split(',').map(s => s.trim())
  for (const s of systems ?? []) {
    if (!(SYSTEMS as readonly string[]).includes(s)) throw new SimUsageError(`unknown system ${s}; known: ${SYSTEMS.join(', ')}`)
  }
  const config: SimConfig = {
    ...base,
    relays: int(values.relays, 'relays', 1, 200) ?? base.relays,
    users: int(values.users, 'users', 2, 2000) ?? base.users,
    rounds: int(values.rounds, 'rounds', 1, 1000) ?? base.rounds,
    cooldown: int(values.cooldown, 'cooldown', 0, 1000) ?? base.cooldown,
    churn: churn ?? base.churn,
    rejoin: prob(values.rejoin, 'rejoin') ?? base.rejoin,
    relayChurn: prob(values['relay-churn'], 'relay-churn') ?? base.relayChurn,
    relayDown: int(values['relay-down'], 'relay-down', 1, 1000) ?? base.relayDown,
    contacts: int(values.contacts, 'contacts', 1, 100) ?? base.contacts,
    sendRate: prob(values['send-rate'], 'send-rate') ?? base.sendRate,
    messageBytes: int(values['message-bytes'], 'message-bytes', 0, 4096) ?? base.messageBytes,
    drainRelays: int(values['drain-relays'], 'drain-relays', 1, 200) ?? base.drainRelays,
    rendezvous: values.rendezvous ?? base.rendezvous,
    dhtPollEvery: int(values['dht-poll'], 'dht-poll', 1, 1000) ?? base.dhtPollEvery,
    dhtEphemeral: prob(values['dht-ephemeral'], 'dht-ephemeral') ?? base.dhtEphemeral,
    roundMs: int(values['round-ms'], 'round-ms', 100, 60_000) ?? base.roundMs,
    systems: (systems as SystemName[] | undefined) ?? base.systems,
    parallel: int(values.parallel, 'parallel', 1, 16) ?? base.parallel,
    seed: int(values.seed, 'seed', 0, 0xffff_ffff) ?? base.seed,
    runTimeout: (int(values['run-timeout'], 'run-timeout', 10, 24 * 3600) ?? base.runTimeout / 1000) * 1000,
    out: values.out ?? base.out
  }
  if (config.contacts >= config.users) config.contacts = config.users - 1
  return { config, help: values.help === true }
}

/** The relay crash probability of a run at churn level `churn`. */
export function relayChurnOf (config: SimConfig, churn: number): number {
  return config.relayChurn ?? churn / 3
}
