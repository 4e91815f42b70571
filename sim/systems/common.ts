/** Pieces the three systems share: keys, per-pair outboxes, message filler, signer look-up. */
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys'
import { readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { base64url } from 'multiformats/bases/base64'
import { createRng } from '../rng.ts'
import { fitMessages } from '../payload.ts'
import type { SimMessage } from '../payload.ts'
import type { Send } from '../schedule.ts'
import type { PrivateKey } from '@libp2p/interface'

/** Value budget of one record: the IPNS limit is 10 KiB for the whole record. */
export const VALUE_BUDGET = 8000

/** Lifetime of the simulated records: far longer than any run, as real ones are (hours to days). */
export const RECORD_LIFETIME = 60 * 60 * 1000

/** Deterministic Ed25519 keys: `count` of them for `label`, from the seed. */
export async function deriveKeys (seed: number, label: string, count: number): Promise<PrivateKey[]> {
  const rng = createRng(seed, `keys:${label}`)
  const keys: PrivateKey[] = []
  for (let i = 0; i < count; i++) keys.push(await generateKeyPairFromSeed('Ed25519', rng.bytes(32)))
  return keys
}

/** Maps a signer's peer-ID multihash to its user index. */
export class Directory {
  private readonly index = new Map<string, number>()
  readonly multihashes: Uint8Array[]

  constructor (keys: PrivateKey[]) {
    this.multihashes = keys.map(k => k.publicKey.toMultihash().bytes)
    this.multihashes.forEach((mh, i) => this.index.set(base64url.encode(mh), i))
  }

  userOf (multihash: Uint8Array): number | undefined {
    return this.index.get(base64url.encode(multihash))
  }
}

/** Message history of each sender: what it still carries in its records. */
export class Outboxes {
  private readonly boxes = new Map<string, SimMessage[]>()
  private readonly seqs = new Map<string, bigint>()

  constructor (private readonly seed: number, private readonly messageBytes: number) {}

  message (send: Send): SimMessage {
    return { to: send.to, id: send.id, text: createRng(this.seed, `text:${send.id}`).bytes(this.messageBytes) }
  }

  /** Adds the message to the box `box` and returns what the next record carries. */
  add (box: string, message: SimMessage): SimMessage[] {
    const list = fitMessages([...(this.boxes.get(box) ?? []), message], VALUE_BUDGET)
    this.boxes.set(box, list)
    return list
  }

  nextSequence (box: string): bigint {
    const seq = (this.seqs.get(box) ?? 0n) + 1n
    this.seqs.set(box, seq)
    return seq
  }
}

/** Bytes on disk under `path` (bounded depth). */
export async function diskUsage (path: string, depth = 6): Promise<number> {
  let total = 0
  let entries
  try {
    entries = await readdir(path, { withFileTypes: true })
  } catch {
    return 0
  }
  for (const e of entries) {
    const p = join(path, e.name)
    if (e.isDirectory() && depth > 0) total += await diskUsage(p, depth - 1)
    else if (e.isFile()) total += (await stat(p)).size
  }
  return total
}

export function errorName (err: unknown): string {
  return (err as Error)?.name ?? 'Error'
}

/** The TCP port of a `/ip4/.../tcp/<port>` multiaddr. */
export function portOf (addr: { getComponents(): Array<{ name: string, value?: string }> }): number {
  const tcp = addr.getComponents().find(c => c.name === 'tcp')
  return Number(tcp?.value ?? 0)
}

/**
 * Nodes keep their port across restarts, as a machine keeps its address: peers that remember an
 * old address then reach the same node again (or get a cheap refusal while it is down) instead
 * of a stranger that took the port. `start` retries on a fresh port if the old one is taken.
 */
export class Ports {
  private readonly ports = new Map<string, number>()

  async start<T> (id: string, create: (listen: string) => Promise<T>, addrOf: (node: T) => { getComponents(): Array<{ name: string, value?: string }> } = (node: any) => node.getMultiaddrs()[0]): Promise<T> {
    const port = this.ports.get(id) ?? 0
    let node: T
    try {
      node = await create(`/ip4/127.0.0.1/tcp/${port}`)
    } catch (err) {
      if (port === 0) throw err
      node = await create('/ip4/127.0.0.1/tcp/0')
    }
    this.ports.set(id, portOf(addrOf(node)))
    return node
  }

  port (id: string): number {
    return this.ports.get(id) ?? 0
  }
}
