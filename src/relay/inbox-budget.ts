/**
 * What inbox drains may hold at once: streams served, and record bytes of pages read from disk
 * that the reader has not taken yet, each capped per peer, per IP address (an IPv6 /64) and in
 * all. A drain is admitted (a stream slot) before its first page, and reserves one page's bytes
 * before reading each page; it gives them back once the page left the stream's buffer.
 *
 * Over a cap, a request waits, at most `timeout` ms (then `InboxBusyError`), in a bounded queue:
 * at most `maxStreams` waiting admissions, `maxStreamsPerIp` of them from one IP; a newcomer to a
 * full queue takes the place of the newest waiter of the IP with the most waiters, if that is
 * more than its own IP has. When something is released, the waiting request whose IP holds the
 * fewest streams goes first (then the oldest), so hosts with many streams cannot starve another.
 */
import { InvalidParametersError } from '@libp2p/interface'
import { MAX_RECORD_SIZE } from '../constants.ts'
import { InboxBusyError } from '../errors.ts'
import {
  DEFAULT_INBOX_PAGE_BYTES, DEFAULT_MAX_INBOX_BYTES, DEFAULT_MAX_INBOX_BYTES_PER_IP, DEFAULT_MAX_INBOX_BYTES_PER_PEER,
  DEFAULT_MAX_INBOX_STREAMS, DEFAULT_MAX_INBOX_STREAMS_PER_IP, DEFAULT_MAX_INBOX_STREAMS_PER_PEER
} from './constants.ts'
import { MAX_PAGE_SIZE } from './protocol.ts'

export interface InboxInit {
  /** Inbox drains served at once, from everyone. @default 256 */
  maxStreams?: number
  /** Inbox drains served at once for one peer. @default 8 */
  maxStreamsPerPeer?: number
  /** Inbox drains served at once for one IP address (IPv6: one /64). @default 32 */
  maxStreamsPerIp?: number
  /** Record bytes of pages held at once (read, not yet taken by readers), in all. @default 32 MiB */
  maxBytes?: number
  /** Record bytes of pages held at once for one peer. @default 1 MiB */
  maxBytesPerPeer?: number
  /** Record bytes of pages held at once for one IP address. @default 4 MiB */
  maxBytesPerIp?: number
  /** Largest page, in record bytes (at least one 10 KiB record, at most 2.5 MiB). @default 256 KiB */
  pageBytes?: number
}

export interface InboxStats {
  /** drains being served */
  streams: number
  /** record bytes of pages held */
  bytes: number
  /** admissions and page reservations waiting for room */
  waiting: number
}

interface Usage {
  streams: number
  bytes: number
}

interface Want {
  streams: number
  bytes: number
}

interface Waiter {
  peer: string
  ip: string
  want: Want
  order: number
  grant(): void
  refuse(err: Error): void
}

export class InboxBudget {
  readonly maxStreams: number
  readonly maxStreamsPerPeer: number
  readonly maxStreamsPerIp: number
  readonly maxBytes: number
  readonly maxBytesPerPeer: number
  readonly maxBytesPerIp: number
  /** Bytes one page reserves: `pageBytes`, at most the smallest byte cap. */
  readonly pageBytes: number
  private readonly total: Usage = { streams: 0, bytes: 0 }
  private readonly perPeer = new Map<string, Usage>()
  private readonly perIp = new Map<string, Usage>()
  private readonly waiters: Waiter[] = []
  private order = 0

  constructor (init: InboxInit = {}) {
    this.maxStreams = atLeast(init.maxStreams ?? DEFAULT_MAX_INBOX_STREAMS, 1, 'maxStreams')
    this.maxStreamsPerPeer = atLeast(init.maxStreamsPerPeer ?? DEFAULT_MAX_INBOX_STREAMS_PER_PEER, 1, 'maxStreamsPerPeer')
    this.maxStreamsPerIp = atLeast(init.maxStreamsPerIp ?? DEFAULT_MAX_INBOX_STREAMS_PER_IP, 1, 'maxStreamsPerIp')
    this.maxBytes = atLeast(init.maxBytes ?? DEFAULT_MAX_INBOX_BYTES, MAX_RECORD_SIZE, 'maxBytes')
    this.maxBytesPerPeer = atLeast(init.maxBytesPerPeer ?? DEFAULT_MAX_INBOX_BYTES_PER_PEER, MAX_RECORD_SIZE, 'maxBytesPerPeer')
    this.maxBytesPerIp = atLeast(init.maxBytesPerIp ?? DEFAULT_MAX_INBOX_BYTES_PER_IP, MAX_RECORD_SIZE, 'maxBytesPerIp')
    const pageBytes = atLeast(init.pageBytes ?? DEFAULT_INBOX_PAGE_BYTES, MAX_RECORD_SIZE, 'pageBytes')
    // a page must also fit a client's response limit: 256 records of 10 KiB is the most
    this.pageBytes = Math.min(pageBytes, MAX_PAGE_SIZE * MAX_RECORD_SIZE, this.maxBytes, this.maxBytesPerPeer, this.maxBytesPerIp)
  }

  /**
   * Admits one drain for `peer` from `ip`: resolves with its lease once a stream slot is free.
   *
   * @throws InboxBusyError when too many already wait, or no slot freed within `timeout` ms
   */
  async admit (peer: string, ip: string, options: { timeout: number, signal?: AbortSignal }): Promise<InboxLease> {
    const want = { streams: 1, bytes: 0 }
    if (!this.fits(peer, ip, want)) this.makeRoomToWait(ip)
    await this.acquire(peer, ip, want, options)
    return new InboxLease(this, peer, ip)
  }

  stats (): InboxStats {
    return { streams: this.total.streams, bytes: this.total.bytes, waiting: this.waiters.length }
  }

  /** Takes `want` now if it fits, else waits for it (bounded by `timeout` and `signal`). */
  async acquire (peer: string, ip: string, want: Want, options: { timeout: number, signal?: AbortSignal }): Promise<void> {
    options.signal?.throwIfAborted()
    if (this.fits(peer, ip, want)) {
      this.take(peer, ip, want)
      return
    }
    await new Promise<void>((resolve, reject) => {
      const finish = (err?: Error): void => {
        clearTimeout(timer)
        options.signal?.removeEventListener('abort', onAbort)
        const at = this.waiters.indexOf(waiter)
        if (at >= 0) this.waiters.splice(at, 1)
        if (err != null) reject(err)
        else resolve()
      }
      const waiter: Waiter = {
        peer,
        ip,
        want,
        order: this.order++,
        grant: () => {
          this.take(peer, ip, want)
          finish()
        },
        refuse: (err) => { finish(err) }
      }
      const onAbort = (): void => { finish(options.signal?.reason) }
      const timer = setTimeout(() => { finish(new InboxBusyError(`no room for an inbox drain within ${options.timeout} ms`)) }, options.timeout)
      options.signal?.addEventListener('abort', onAbort, { once: true })
      this.waiters.push(waiter)
    })
  }

  /**
   * Admissions wait in a bounded queue: `maxStreamsPerIp` per IP and `maxStreams` in all. When
   * the queue is full, the newest waiter of the IP with the most waiters is refused to make room,
   * if that IP has more waiters than the newcomer's; else the newcomer is refused.
   */
  private makeRoomToWait (ip: string): void {
    const perIp = new Map<string, Waiter[]>()
    let total = 0
    for (const w of this.waiters) {
      if (w.want.streams === 0) continue
      total++
      const list = perIp.get(w.ip) ?? []
      list.push(w)
      perIp.set(w.ip, list)
    }
    const mine = perIp.get(ip)?.length ?? 0
    if (mine >= this.maxStreamsPerIp) throw new InboxBusyError('too many inbox drains from this address wait already')
    if (total < this.maxStreams) return
    let fullest: Waiter[] = []
    for (const list of perIp.values()) {
      if (list.length > fullest.length) fullest = list
    }
    if (fullest.length <= mine) throw new InboxBusyError('too many inbox drains wait already')
    fullest[fullest.length - 1].refuse(new InboxBusyError('an inbox drain from a less served address took this place in the queue'))
  }

  /** Gives `give` back and lets waiting requests in. */
  release (peer: string, ip: string, give: Want): void {
    change(this.total, give, -1)
    for (const [map, id] of [[this.perPeer, peer], [this.perIp, ip]] as const) {
      const usage = map.get(id)
      if (usage == null) continue
      change(usage, give, -1)
      if (usage.streams <= 0 && usage.bytes <= 0) map.delete(id)
    }
    this.pump()
  }

  private fits (peer: string, ip: string, want: Want): boolean {
    const p = this.perPeer.get(peer) ?? { streams: 0, bytes: 0 }
    const i = this.perIp.get(ip) ?? { streams: 0, bytes: 0 }
    if (want.streams > 0 && (this.total.streams + want.streams > this.maxStreams ||
      p.streams + want.streams > this.maxStreamsPerPeer || i.streams + want.streams > this.maxStreamsPerIp)) {
      return false
    }
    return want.bytes === 0 || (this.total.bytes + want.bytes <= this.maxBytes &&
      p.bytes + want.bytes <= this.maxBytesPerPeer && i.bytes + want.bytes <= this.maxBytesPerIp)
  }

  private take (peer: string, ip: string, want: Want): void {
    change(this.total, want, 1)
    for (const [map, id] of [[this.perPeer, peer], [this.perIp, ip]] as const) {
      let usage = map.get(id)
      if (usage == null) {
        usage = { streams: 0, bytes: 0 }
        map.set(id, usage)
      }
      change(usage, want, 1)
    }
  }

  /** Grants every waiting request that fits now, the least-served IP first. */
  private pump (): void {
    while (this.waiters.length > 0) {
      let best: Waiter | undefined
      let bestLoad = Infinity
      for (const w of this.waiters) {
        if (!this.fits(w.peer, w.ip, w.want)) continue
        const load = this.perIp.get(w.ip)?.streams ?? 0
        if (load < bestLoad || (load === bestLoad && best != null && w.order < best.order)) {
          best = w
          bestLoad = load
        }
      }
      if (best == null) return
      best.grant()
    }
  }
}

/** One admitted drain: its stream slot and the page bytes it holds. `close` gives all back. */
export class InboxLease {
  private readonly budget: InboxBudget
  private readonly peer: string
  private readonly ip: string
  private held = 0
  private closed = false

  constructor (budget: InboxBudget, peer: string, ip: string) {
    this.budget = budget
    this.peer = peer
    this.ip = ip
  }

  /** Record bytes this drain holds now. */
  get bytes (): number {
    return this.held
  }

  /** Reserves `bytes` for a page, waiting for room (at most `timeout` ms, then `InboxBusyError`). */
  async reserve (bytes: number, options: { timeout: number, signal?: AbortSignal }): Promise<void> {
    if (this.closed) throw new InboxBusyError('the drain has ended')
    await this.budget.acquire(this.peer, this.ip, { streams: 0, bytes }, options)
    if (this.closed) {
      this.budget.release(this.peer, this.ip, { streams: 0, bytes })
      throw new InboxBusyError('the drain has ended')
    }
    this.held += bytes
  }

  /** Gives back `bytes` of what this drain holds. */
  release (bytes: number): void {
    const give = Math.min(bytes, this.held)
    if (give <= 0) return
    this.held -= give
    this.budget.release(this.peer, this.ip, { streams: 0, bytes: give })
  }

  /** Gives back the stream slot and every byte held. Idempotent. */
  close (): void {
    if (this.closed) return
    this.closed = true
    const bytes = this.held
    this.held = 0
    this.budget.release(this.peer, this.ip, { streams: 1, bytes })
  }
}

function change (usage: Usage, by: Want, sign: 1 | -1): void {
  usage.streams += sign * by.streams
  usage.bytes += sign * by.bytes
}

function atLeast (value: number, min: number, name: string): number {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new InvalidParametersError(`inbox ${name} must be a whole number of at least ${min}`)
  }
  return value
}
