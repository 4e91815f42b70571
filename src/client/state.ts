/**
 * What a client remembers between runs, per peer it talks to:
 * - `seq`: the last record sequence it signed for that peer (the next record uses `seq + 1`, so
 *   sequence numbers per receiver increase across runs);
 * - `outbox`: its messages to that peer not yet covered by a receipt. Every new record to the peer
 *   carries all of them, because relays keep only the latest record per (tag, signer);
 * - `acked`: the latest record of that peer it acknowledged. It is the receipt carried back to the
 *   peer, and it hides messages already acknowledged when the peer's outbox re-sends them;
 * - `receipts`: the receipts that peer sent for our records (latest last, bounded);
 * - `carried`: payloads of our earlier records to that peer that relays still held unacknowledged
 *   when this state had lost track of them (protocol section 8): carried whole by every new
 *   record until a receipt covers them.
 *
 * The state is kept behind one interface, {@link ClientState}: with a repo in
 * `<repo>/client/state.json` (`file-state.ts`), in a browser in IndexedDB (`src/web/storage.ts`),
 * else in memory ({@link MemoryState}).
 */
import { ClientStateError } from '../errors.ts'

/** State format version written in the file. */
export const STATE_VERSION = 1
/** Name of the directory under the repo that holds the client's files. */
export const CLIENT_DIR = 'client'
/** Receipts kept per peer (oldest dropped first). */
export const MAX_RECEIPTS_PER_PEER = 100
/** One message of the outbox, as stored (bigints as decimal strings, bytes as base64). */
export interface StoredMessage {
  seq: string
  at: number
  /** when the message stops being worth delivering, ms since the epoch */
  expires: number
  /** the sender asked for the record to be sealed to the receiver */
  encrypt: boolean
  text?: string
  data?: string
  name?: string
  cid?: string
}

export interface StoredReceipt {
  seq: string
  at: number
}

/** An earlier record's payload carried whole, as stored. */
export interface StoredCarried {
  /** sequence of the record it came from */
  seq: string
  /** the payload bytes (protocol section 7.2), base64 */
  payload: string
  /** that record's EOL, ms since the epoch */
  expires: number
}

export interface PeerState {
  seq: string
  outbox: StoredMessage[]
  acked?: StoredReceipt
  receipts: StoredReceipt[]
  carried?: StoredCarried[]
}

export interface StateData {
  version: number
  peers: Record<string, PeerState>
  /** The last sequence of our relay-list record (section 12). */
  relayList?: { seq: string }
}

export function emptyState (): StateData {
  return { version: STATE_VERSION, peers: {} }
}

/** The state of one peer, created empty on first use. */
export function peerState (data: StateData, peer: string): PeerState {
  let state = data.peers[peer]
  if (state == null) {
    state = { seq: '0', outbox: [], receipts: [] }
    data.peers[peer] = state
  }
  return state
}

/**
 * Records a receipt from `peer` for our record `seq`: drops every outbox message it covers and
 * keeps the receipt. Returns true when it was news.
 */
export function applyReceipt (data: StateData, peer: string, receipt: { seq: bigint, at: number }): boolean {
  const state = peerState(data, peer)
  const latest = state.receipts.at(-1)
  if (latest != null && BigInt(latest.seq) >= receipt.seq) {
    return false
  }
  state.receipts.push({ seq: receipt.seq.toString(), at: receipt.at })
  if (state.receipts.length > MAX_RECEIPTS_PER_PEER) {
    state.receipts.splice(0, state.receipts.length - MAX_RECEIPTS_PER_PEER)
  }
  state.outbox = state.outbox.filter(m => BigInt(m.seq) > receipt.seq)
  if (state.carried != null) {
    state.carried = state.carried.filter(c => BigInt(c.seq) > receipt.seq)
    if (state.carried.length === 0) delete state.carried
  }
  return true
}

/** Drops outbox messages and carried payloads that expired: no relay would keep them anyway. */
export function pruneExpired (state: PeerState, now: number): void {
  state.outbox = state.outbox.filter(m => m.expires > now)
  if (state.carried != null) {
    state.carried = state.carried.filter(c => c.expires > now)
    if (state.carried.length === 0) delete state.carried
  }
}

/** The sequence of `peer`'s latest record we acknowledged, or -1n. */
export function ackedSequence (data: StateData, peer: string): bigint {
  const acked = data.peers[peer]?.acked
  return acked == null ? -1n : BigInt(acked.seq)
}

export interface ClientState {
  /** A snapshot of the state. */
  read(): Promise<StateData>
  /**
   * Applies `fn` to the current state and persists the result before resolving, with no other
   * update in between (across processes sharing the repo). If `fn` throws, nothing is written.
   */
  update<T>(fn: (data: StateData) => T | Promise<T>): Promise<T>
}

/** Serialises async sections within this process. */
export class Mutex {
  private tail: Promise<unknown> = Promise.resolve()

  async run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn, fn)
    this.tail = result.catch(() => {})
    return result
  }
}

/** State kept in memory, for library users without a repo. */
export class MemoryState implements ClientState {
  private data = emptyState()
  private readonly mutex = new Mutex()

  async read (): Promise<StateData> {
    return structuredClone(this.data)
  }

  async update<T>(fn: (data: StateData) => T | Promise<T>): Promise<T> {
    return this.mutex.run(async () => {
      const copy = structuredClone(this.data)
      const result = await fn(copy)
      this.data = copy
      return result
    })
  }
}

/** Checks parsed JSON is a client state of this version; `where` names it in the error. */
export function checkStateData (data: unknown, where: string): StateData {
  if (typeof data !== 'object' || data == null || (data as StateData).version !== STATE_VERSION ||
    typeof (data as StateData).peers !== 'object' || (data as StateData).peers == null) {
    throw new ClientStateError(`${where} is not a version ${STATE_VERSION} client state`)
  }
  return data as StateData
}
