/** Fixed keys and small tools shared by the record tests (no randomness, no clock). */
import { readFileSync } from 'node:fs'
import { generateKeyPairFromSeed, privateKeyFromProtobuf, privateKeyFromRaw } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'

/** A fixed `now` for everything that does not talk to the ipns package (which reads the clock). */
export const NOW = 1_700_000_000_000

/** Path of a file in test/fixtures (tests run from dist/test/record). */
export function fixturePath (name: string): string {
  return new URL(`../../../test/fixtures/${name}`, import.meta.url).pathname
}

/** A 32-byte seed: `n` repeated. */
export function seed (n: number): Uint8Array {
  return new Uint8Array(32).fill(n)
}

/** Ed25519 key from the fixed seed `n`. */
export async function ed25519 (n: number): Promise<PrivateKey> {
  return generateKeyPairFromSeed('Ed25519', seed(n))
}

/** secp256k1 key whose 32 raw private-key bytes are all `n` (n in 1..254). */
export function secp256k1 (n: number): PrivateKey {
  const key = privateKeyFromRaw(seed(n))

  if (key.type !== 'secp256k1') {
    throw new Error('expected a secp256k1 key')
  }

  return key
}

/** The fixed, published 2048-bit RSA test key of test/fixtures/keys.json. */
export function rsa (): PrivateKey {
  const keys = JSON.parse(readFileSync(fixturePath('keys.json'), 'utf8'))
  return privateKeyFromProtobuf(Buffer.from(keys.rsa2048, 'hex'))
}

export function hex (bytes: Uint8Array | undefined): string | undefined {
  return bytes == null ? undefined : Buffer.from(bytes).toString('hex')
}

export function fromHex (string: string): Uint8Array {
  return new Uint8Array(Buffer.from(string, 'hex'))
}

/** Deterministic PRNG (mulberry32). */
export function prng (seedValue: number): () => number {
  let a = seedValue >>> 0

  return () => {
    a = (a + 0x6D2B79F5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** The content of a record that the signature protects (everything but the bytes). */
export function content (record: { kind: string, signer: Uint8Array, tag?: Uint8Array, value: string, sequence: bigint, eol: number, ttl: bigint, routingKey: Uint8Array }): Record<string, unknown> {
  return {
    kind: record.kind,
    routingKey: hex(record.routingKey),
    signer: hex(record.signer),
    tag: hex(record.tag),
    value: record.value,
    sequence: record.sequence,
    eol: record.eol,
    ttl: record.ttl
  }
}
