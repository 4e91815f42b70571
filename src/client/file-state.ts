/**
 * The client state in `<repo>/client/state.json` (Node only), replaced atomically (write a
 * temporary file, fsync, rename) under a lock file, so a `send` and an `inbox --watch` sharing a
 * repo do not lose each other's updates.
 */
import { randomBytes } from 'node:crypto'
import { mkdir, open, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { second } from '../constants.ts'
import { ClientStateError } from '../errors.ts'
import { CLIENT_DIR, Mutex, checkStateData, emptyState } from './state.ts'
import type { ClientState, StateData } from './state.ts'

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
    return checkStateData(data, this.file)
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
