/** What every simulated system implements, and what the engine hands it. */
import type { SimConfig, SystemName } from '../config.ts'
import type { Schedule, Send } from '../schedule.ts'
import type { Storage, Tracker } from '../tracker.ts'
import type { PrivateKey } from '@libp2p/interface'

export interface SystemContext {
  config: SimConfig
  schedule: Schedule
  tracker: Tracker
  /** Identity of every user, the same in every system (derived from the seed). */
  userKeys: PrivateKey[]
  /** Identity of every relay / infrastructure node. */
  relayKeys: PrivateKey[]
  /** A scratch directory for this run (relay repos), removed afterwards by the engine. */
  dir: string
}

export interface SimSystem {
  readonly name: SystemName
  /** Can a receiver have a delivered message removed from the network before it expires? */
  readonly deletions: boolean
  /** Starts the infrastructure (relays, DHT servers); every relay is up in round 0. */
  start(): Promise<void>
  relayDown(relay: number): Promise<void>
  relayUp(relay: number): Promise<void>
  userOnline(user: number): Promise<void>
  userOffline(user: number): Promise<void>
  /** Sends one message; the sender is online. */
  send(send: Send): Promise<void>
  /** An online user checks for messages (once per round). */
  poll(user: number, round: number): Promise<void>
  /** What the network still holds, measured before stopping. */
  storage(): Promise<Storage>
  stop(): Promise<void>
}
