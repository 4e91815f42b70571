/** Keys, records and temp directories for the record store's tests, bench and crash writer. */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { createTaggedRecord } from '../../src/record/index.ts'
import type { IptsRecord } from '../../src/record/index.ts'
import type { PrivateKey } from '@libp2p/interface'

export const VALUE = '/ipfs/bafkqaaa'

export async function tempDir (name = 'ipts-store-'): Promise<{ path: string, remove(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), name))
  return { path, remove: async () => { await rm(path, { recursive: true, force: true }) } }
}

export async function makeKeys (n: number): Promise<PrivateKey[]> {
  const out: PrivateKey[] = []
  for (let i = 0; i < n; i++) out.push(await generateKeyPair('Ed25519'))
  return out
}

/** The peer-ID multihash of a key: a tag, or a signer. */
export function mh (key: PrivateKey): Uint8Array {
  return key.publicKey.toMultihash().bytes
}

export async function tagged (signer: PrivateKey, tag: PrivateKey | Uint8Array, sequence: number | bigint, now: number, options: { lifetime?: number, eol?: number, value?: string } = {}): Promise<IptsRecord> {
  return createTaggedRecord(signer, {
    tag: tag instanceof Uint8Array ? tag : mh(tag),
    value: options.value ?? VALUE,
    sequence,
    now,
    ...(options.eol != null ? { eol: options.eol } : { lifetime: options.lifetime ?? 24 * 3600_000 })
  })
}
