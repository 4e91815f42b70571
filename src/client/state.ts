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
 * With a repo the state lives in `<repo>/client/state.json`, replaced atomically (write a
 * temporary file, fsync, rename) under a lock file, so a `send` and an `inbox --watch` sharing a
 * repo do not lose each other's updates. Without a repo it lives in memory.
 */
import { randomBytes } from 'node:crypto'
import { mkdir, open, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { second } from '../constants.ts'
import { ClientStateError } from '../errors.ts'

/** State format version written in the file. */
export const STATE_VERSION = 1
/** Name of the directory under the repo that holds the client's files. */
export const CLIENT_DIR = 'client'
/** Receipts kept per peer (oldest dropped first). */
export const MAX_RECEIPTS_PER_PEER = 100
/** How long to wait for another process's lock on the state file. @default 10 seconds */
export const STATE_LOCK_TIMEOUT = 10 * second
/** A lock file older than this is taken over even if its process still seems alive. */
export const STATE_LOCK_STALE = 60 * second
/**
 * A lock file that names no owner (empty or unreadable) is taken over once it is this old: the
 * owner writes its pid right after creating the file (or removes the file if that write fails),
 * so such a file is left by a crash between the two.
 */
export const STATE_LOCK_UNNAMED_STALE = 2 * second

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
class Mutex {
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

/** State in `<repo>/client/state.json`. */
export class FileState implements ClientState {
  readonly dir: string
  readonly file: string
  private readonly lockFile: string
  private readonly mutex = new Mutex()
  private readonly lockTimeout: number

  constructor (repo: string, init: { lockTimeout?: number } = {}) {
    this.dir = join(repo, CLIENT_DIR)
    this.file = join(this.dir, 'state.json')
    this.lockFile = join(this.dir, 'state.lock')
    this.lockTimeout = init.lockTimeout ?? STATE_LOCK_TIMEOUT
  }

  async read (): Promise<StateData> {
    return this.load()
  }

  async update<T>(fn: (data: StateData) => T | Promise<T>): Promise<T> {
    return this.mutex.run(async () => {
      await mkdir(this.dir, { recursive: true, mode: 0o700 })
      await this.lock()
      try {
        const data = await this.load()
        const result = await fn(data)
        await this.save(data)
        return result
      } finally {
        await unlink(this.lockFile).catch(() => {})
      }
    })
  }

  private async load (): Promise<StateData> {
    let text: string
    try {
      text = await readFile(this.file, 'utf8')
    } catch (err: any) {
      if (err.code === 'ENOENT') return emptyState()
      throw err
    }
    let data: unknown
    try {
      data = JSON.parse(text)
    } catch (err) {
      throw new ClientStateError(`${this.file} is not valid JSON`, { cause: err })
    }
    if (typeof data !== 'object' || data == null || (data as StateData).version !== STATE_VERSION ||
      typeof (data as StateData).peers !== 'object' || (data as StateData).peers == null) {
      throw new ClientStateError(`${this.file} is not a version ${STATE_VERSION} client state`)
    }
    return data as StateData
  }

  private async save (data: StateData): Promise<void> {
    const tmp = `${this.file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`
    try {
      await writeFile(tmp, JSON.stringify(data), { mode: 0o600, flush: true })
      await rename(tmp, this.file)
    } catch (err) {
      await unlink(tmp).catch(() => {})
      throw err
    }
  }

  /** Takes the lock file, waiting (bounded) for another process to release it. */
  private async lock (): Promise<void> {
    const deadline = Date.now() + this.lockTimeout
    let delay = 5
    while (true) {
      try {
        await this.createLock()
        return
      } catch (err: any) {
        if (err.code !== 'EEXIST') throw err
      }
      if (await this.lockIsStale()) {
        await unlink(this.lockFile).catch(() => {})
        continue
      }
      if (Date.now() > deadline) {
        throw new ClientStateError(`${this.lockFile} is held by another process; remove it if no ipts process uses this repo`)
      }
      await new Promise(resolve => setTimeout(resolve, delay))
      delay = Math.min(delay * 2, 100)
    }
  }

  /** Creates the lock file holding `<pid> <ms>`; throws EEXIST if another holds it. */
  private async createLock (): Promise<void> {
    const handle = await open(this.lockFile, 'wx', 0o600)
    try {
      await handle.writeFile(`${process.pid} ${Date.now()}`)
      await handle.close()
    } catch (err) {
      // a disk full between create and write: an empty lock would block every later update
      await handle.close().catch(() => {})
      await unlink(this.lockFile).catch(() => {})
      throw err
    }
  }

  /** The lock's owner is gone (or the lock is far older than any update takes). */
  private async lockIsStale (): Promise<boolean> {
    let text: string
    let modified: number
    try {
      text = await readFile(this.lockFile, 'utf8')
      modified = (await stat(this.lockFile)).mtimeMs
    } catch {
      return false
    }
    const [pidText, atText] = text.split(' ')
    const pid = Number(pidText)
    const at = Number(atText)
    if (!Number.isSafeInteger(pid) || pid <= 0 || !Number.isFinite(at)) {
      // being written right now, or left empty (or garbled) by a crash: taken over once old
      return Date.now() - modified > STATE_LOCK_UNNAMED_STALE
    }
    if (Date.now() - at > STATE_LOCK_STALE) return true
    try {
      process.kill(pid, 0)
      return false
    } catch (err: any) {
      return err.code === 'ESRCH'
    }
  }
}
