/**
 * The store's in-memory count of records and bytes per uploader (the address a record arrived
 * from, as a 32-bit id), and which uploader holds the largest share of the store: the one that
 * eviction takes from. A share is the larger of an uploader's fraction of `maxRecords` and of
 * `maxBytes`, so whichever cap binds decides.
 *
 * The largest is served from a max-heap with lazy deletion: every update pushes the uploader's
 * new share, and stale entries (a share that is no longer current) are dropped when they reach
 * the top. The heap is rebuilt from the map when stale entries outnumber live ones, so memory
 * stays proportional to the number of uploaders.
 */
import { createHash } from 'node:crypto'

/**
 * A 32-bit uploader id for a host key (see `hostKey` in `../host.ts`), keyed by a
 * per-store secret so that nobody can pick addresses whose ids collide with someone else's.
 * 0 stands for "unknown" (no address: a local write, or a record from before layout 2).
 */
export function uploaderId (secret: Uint8Array, key: string | undefined): number {
  if (key == null) return 0
  const d = createHash('sha256').update(secret).update(key).digest()
  return d.readUInt32BE(0) || 1
}

export interface UploaderSummary {
  records: number
  bytes: number
}

export class UploaderTable {
  private readonly maxRecords: number
  private readonly maxBytes: number
  private readonly map = new Map<number, UploaderSummary>()
  private shares: number[] = []
  private ids: number[] = []

  constructor (limits: { maxRecords: number, maxBytes: number }) {
    this.maxRecords = Math.max(1, limits.maxRecords)
    this.maxBytes = Math.max(1, limits.maxBytes)
  }

  get size (): number {
    return this.map.size
  }

  get (uploader: number): UploaderSummary | undefined {
    return this.map.get(uploader)
  }

  /** The share of the store `records` and `bytes` stand for (1 is a whole cap). */
  share (records: number, bytes: number): number {
    return Math.max(records / this.maxRecords, bytes / this.maxBytes)
  }

  /** The current share of an uploader (0 when it holds nothing). */
  shareOf (uploader: number): number {
    const s = this.map.get(uploader)
    return s == null ? 0 : this.share(s.records, s.bytes)
  }

  /** Adds `records` and `bytes` (either may be negative); an uploader left with no record is dropped. */
  update (uploader: number, records: number, bytes: number): void {
    const s = this.map.get(uploader) ?? { records: 0, bytes: 0 }
    s.records += records
    s.bytes = Math.max(0, s.bytes + bytes)
    if (s.records <= 0) {
      this.map.delete(uploader)
      return
    }
    this.map.set(uploader, s)
    this.push(this.share(s.records, s.bytes), uploader)
    if (this.ids.length > 2 * this.map.size + 64) this.rebuild()
  }

  /** The uploader with the largest share, or undefined when the table is empty. */
  largest (): number | undefined {
    while (this.ids.length > 0) {
      const id = this.ids[0]
      if (this.shareOf(id) === this.shares[0] && this.map.has(id)) return id
      this.pop()
    }
    return undefined
  }

  /** Every uploader and its summary (for checks). */
  entries (): IterableIterator<[number, UploaderSummary]> {
    return this.map.entries()
  }

  clear (): void {
    this.map.clear()
    this.shares = []
    this.ids = []
  }

  private rebuild (): void {
    this.shares = []
    this.ids = []
    for (const [id, s] of this.map) this.push(this.share(s.records, s.bytes), id)
  }

  private push (share: number, id: number): void {
    const { shares, ids } = this
    shares.push(share)
    ids.push(id)
    let i = shares.length - 1
    while (i > 0) {
      const p = (i - 1) >> 1
      if (shares[p] >= shares[i]) break
      swap(shares, ids, i, p)
      i = p
    }
  }

  private pop (): void {
    const { shares, ids } = this
    const lastShare = shares.pop()!
    const lastId = ids.pop()!
    if (shares.length === 0) return
    shares[0] = lastShare
    ids[0] = lastId
    let i = 0
    for (;;) {
      const l = 2 * i + 1
      const r = l + 1
      let m = i
      if (l < shares.length && shares[l] > shares[m]) m = l
      if (r < shares.length && shares[r] > shares[m]) m = r
      if (m === i) return
      swap(shares, ids, i, m)
      i = m
    }
  }
}

function swap (shares: number[], ids: number[], a: number, b: number): void {
  const s = shares[a]
  shares[a] = shares[b]
  shares[b] = s
  const id = ids[a]
  ids[a] = ids[b]
  ids[b] = id
}
