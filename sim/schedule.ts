/**
 * The workload, computed once per churn level and handed to every system unchanged: who knows
 * whom, who is online in which round, which relays are up, and which messages are sent when.
 * Pure: the same config and churn level always give the same schedule.
 */
import { createRng } from './rng.ts'
import { relayChurnOf } from './config.ts'
import type { SimConfig } from './config.ts'

export interface Send {
  /** Message id, unique in the run. */
  id: number
  round: number
  from: number
  to: number
}

export interface Schedule {
  churn: number
  users: number
  relays: number
  /** All rounds, sending ones and cooldown. */
  rounds: number
  /** contacts[u]: users u may write to (and who may write to u). */
  contacts: number[][]
  /** online[round][user] */
  online: boolean[][]
  /** relayUp[round][relay]; every relay is up in the last round. */
  relayUp: boolean[][]
  sends: Send[]
}

/** The symmetric contact graph: each user links to about `contacts` others. Depends on the seed only. */
export function buildContacts (users: number, contacts: number, seed: number): number[][] {
  const rng = createRng(seed, 'contacts')
  const sets = Array.from({ length: users }, () => new Set<number>())
  const want = Math.min(contacts, users - 1)
  // a ring first, so that nobody is left without a contact
  for (let u = 0; u < users && users > 1; u++) {
    const v = (u + 1) % users
    sets[u].add(v)
    sets[v].add(u)
  }
  for (let u = 0; u < users; u++) {
    for (let attempt = 0; sets[u].size < want && attempt < 20 * want; attempt++) {
      const v = rng.int(users)
      if (v === u || sets[v].size >= want + 1) continue
      sets[u].add(v)
      sets[v].add(u)
    }
  }
  return sets.map(s => [...s].sort((a, b) => a - b))
}

export function buildSchedule (config: SimConfig, churn: number): Schedule {
  const rounds = config.rounds + config.cooldown
  const rng = createRng(config.seed, `schedule:${churn}`)
  const contacts = buildContacts(config.users, config.contacts, config.seed)

  // users: a two-state chain; start from its stationary distribution
  const stationary = churn + config.rejoin === 0 ? 1 : config.rejoin / (churn + config.rejoin)
  const online: boolean[][] = []
  let state = Array.from({ length: config.users }, () => rng.chance(stationary))
  for (let r = 0; r < rounds; r++) {
    if (r > 0) {
      state = state.map(on => on ? !rng.chance(churn) : rng.chance(config.rejoin))
    }
    online.push(state)
  }

  // relays: crash with probability relayChurn, stay down relayDown rounds, restart from their
  // repo; no crash late enough to leave a relay down at the end
  const relayChurn = relayChurnOf(config, churn)
  const relayUp: boolean[][] = []
  const downUntil = new Array<number>(config.relays).fill(-1)
  for (let r = 0; r < rounds; r++) {
    const up: boolean[] = []
    for (let i = 0; i < config.relays; i++) {
      if (downUntil[i] >= r) {
        up.push(false)
        continue
      }
      if (r > 0 && r + config.relayDown < rounds - 1 && rng.chance(relayChurn)) {
        downUntil[i] = r + config.relayDown - 1
        up.push(false)
        continue
      }
      up.push(true)
    }
    relayUp.push(up)
  }

  const sends: Send[] = []
  for (let r = 0; r < config.rounds; r++) {
    for (let u = 0; u < config.users; u++) {
      if (!online[r][u] || contacts[u].length === 0 || !rng.chance(config.sendRate)) continue
      sends.push({ id: sends.length, round: r, from: u, to: rng.pick(contacts[u]) })
    }
  }

  return { churn, users: config.users, relays: config.relays, rounds, contacts, online, relayUp, sends }
}

/** True when the receiver of `send` is online in some round after the send round. */
export function receiverOnlineAfter (schedule: Schedule, send: Send): boolean {
  for (let r = send.round + 1; r < schedule.rounds; r++) {
    if (schedule.online[r][send.to]) return true
  }
  return false
}

/** True when the receiver of `send` is online in the send round or later. */
export function receiverOnlineFrom (schedule: Schedule, send: Send): boolean {
  return schedule.online[send.round][send.to] || receiverOnlineAfter(schedule, send)
}

/** True when sender and receiver are online together in some round from the send round on. */
export function overlapAfter (schedule: Schedule, send: Send): boolean {
  for (let r = send.round; r < schedule.rounds; r++) {
    if (schedule.online[r][send.to] && schedule.online[r][send.from]) return true
  }
  return false
}
