/**
 * Sealing: public-key encryption of an inline payload to a peer's Ed25519 identity key.
 *
 * Construction (ipts/seal/v1), built only from audited primitives (`@noble/curves`,
 * `@noble/hashes`, `@noble/ciphers`, and Node's OpenSSL X25519 for the scalar multiplications:
 * noble's pure-JS X25519 took ~8 ms per open, which made draining 1,000 sealed records take
 * seconds; OpenSSL takes ~0.15 ms and computes the same function):
 * 1. The recipient's Ed25519 public key is converted to X25519 (birational map,
 *    `ed25519.utils.toMontgomery`); the recipient converts its Ed25519 seed the same way
 *    (`ed25519.utils.toMontgomerySecret`).
 * 2. The sender makes a fresh ephemeral X25519 key pair and computes the shared secret.
 * 3. key = HKDF-SHA256(ikm = shared, salt = ephemeralPub || recipientX25519Pub,
 *    info = "ipts/seal/v1", 32 bytes).
 * 4. ct = XChaCha20-Poly1305(key, random 24-byte nonce, aad).encrypt(plaintext); the optional
 *    additional data binds context the receiver must know (payload.ts binds the sender).
 *
 * Wire form (DAG-CBOR map): `{ v: 1, epk: bytes(32), n: bytes(24), ct: bytes }`.
 * Size: plaintext + 92 bytes for plaintexts of 240 B to 64 KiB (fields and keys 73, `ct` length
 * header 3, Poly1305 tag 16).
 *
 * @module
 */

import { createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync } from 'node:crypto'
import * as dagCbor from '@ipld/dag-cbor'
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js'
import { randomBytes } from '@noble/ciphers/utils.js'
import { ed25519 } from '@noble/curves/ed25519.js'
import { hkdf } from '@noble/hashes/hkdf.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { DecryptionError, UnsupportedKeyError } from '../errors.ts'
import type { PeerId, PrivateKey } from '@libp2p/interface'

/** Version number carried in every sealed payload. */
export const SEAL_VERSION = 1
/** HKDF `info` string: domain separation for this construction. */
export const SEAL_INFO = 'ipts/seal/v1'
/** Bytes of an X25519 public key (ephemeral `epk`). */
export const SEAL_EPK_BYTES = 32
/** Bytes of the XChaCha20-Poly1305 nonce. */
export const SEAL_NONCE_BYTES = 24
/** Bytes of the Poly1305 authentication tag appended to the ciphertext. */
export const SEAL_TAG_BYTES = 16

const ED25519_PUBLIC_KEY_BYTES = 32
const ED25519_SEED_BYTES = 32
const KEY_BYTES = 32
const info = new TextEncoder().encode(SEAL_INFO)

/** Options shared by {@link sealTo} and {@link openSealed}. */
export interface SealOptions {
  /** Additional authenticated data: not stored in the sealed bytes, both sides must pass the same. @default none */
  aad?: Uint8Array
}

/** The decoded wire form of a sealed payload. */
interface SealedParts {
  epk: Uint8Array
  n: Uint8Array
  ct: Uint8Array
}

/**
 * Encrypts `plaintext` so that only the holder of `recipient`'s Ed25519 private key can read it.
 * Every call uses a fresh ephemeral key and nonce, so sealing the same text twice gives
 * different bytes.
 *
 * @param recipient - an Ed25519 peer ID, or a raw 32-byte Ed25519 public key
 * @returns the sealed bytes (DAG-CBOR `{ v, epk, n, ct }`)
 * @throws UnsupportedKeyError if the recipient is not an Ed25519 key or not a valid curve point
 */
export function sealTo (recipient: PeerId | Uint8Array, plaintext: Uint8Array, options: SealOptions = {}): Uint8Array {
  const recipientX = toX25519Public(recipientEd25519Key(recipient))
  const ephemeral = generateKeyPairSync('x25519')
  const epk = rawPublic(ephemeral.publicKey)
  let shared: Uint8Array
  try {
    shared = diffieHellman({ privateKey: ephemeral.privateKey, publicKey: x25519Public(recipientX) })
  } catch (err) {
    throw new UnsupportedKeyError('recipient key is a low-order point', { cause: err })
  }
  const key = deriveKey(shared, epk, recipientX)
  const n = randomBytes(SEAL_NONCE_BYTES)
  const ct = xchacha20poly1305(key, n, options.aad).encrypt(plaintext)
  key.fill(0)
  return encodeSealed({ epk, n, ct })
}

/**
 * Decrypts bytes made by {@link sealTo} with the recipient's private key.
 *
 * @throws DecryptionError if the bytes are not a sealed payload, were sealed to another key,
 * were altered, or were sealed with different additional data
 * @throws UnsupportedKeyError if `privateKey` is not Ed25519
 */
export function openSealed (privateKey: PrivateKey, sealed: Uint8Array, options: SealOptions = {}): Uint8Array {
  if (privateKey.type !== 'Ed25519') {
    throw new UnsupportedKeyError(`cannot open sealed payloads with a ${privateKey.type} key, only Ed25519`)
  }
  const { epk, n, ct } = decodeSealed(sealed)
  const own = ownX25519(privateKey)
  let shared: Uint8Array
  try {
    shared = diffieHellman({ privateKey: own.privateKey, publicKey: x25519Public(epk) })
  } catch (err) {
    throw new DecryptionError('ephemeral key is not usable', { cause: err })
  }
  const ownX = own.publicKey
  const key = deriveKey(shared, epk, ownX)
  try {
    return xchacha20poly1305(key, n, options.aad).decrypt(ct)
  } catch (err) {
    throw new DecryptionError('sealed payload does not authenticate with this key', { cause: err })
  } finally {
    key.fill(0)
  }
}

const X25519_PKCS8_PREFIX = Uint8Array.from([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20])
const X25519_SPKI_PREFIX = Uint8Array.from([0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x03, 0x21, 0x00])

/** A receiver opens many payloads with one key: convert it once (bounded by the keys in use). */
const ownKeys = new WeakMap<PrivateKey, { privateKey: ReturnType<typeof createPrivateKey>, publicKey: Uint8Array }>()

function ownX25519 (privateKey: PrivateKey): { privateKey: ReturnType<typeof createPrivateKey>, publicKey: Uint8Array } {
  let own = ownKeys.get(privateKey)
  if (own == null) {
    const secret = ed25519.utils.toMontgomerySecret(privateKey.raw.subarray(0, ED25519_SEED_BYTES))
    const der = new Uint8Array(X25519_PKCS8_PREFIX.length + secret.length)
    der.set(X25519_PKCS8_PREFIX)
    der.set(secret, X25519_PKCS8_PREFIX.length)
    secret.fill(0)
    const keyObject = createPrivateKey({ key: Buffer.from(der.buffer), format: 'der', type: 'pkcs8' })
    der.fill(0)
    own = { privateKey: keyObject, publicKey: rawPublic(createPublicKey(keyObject)) }
    ownKeys.set(privateKey, own)
  }
  return own
}

function x25519Public (raw: Uint8Array): ReturnType<typeof createPublicKey> {
  const der = new Uint8Array(X25519_SPKI_PREFIX.length + raw.length)
  der.set(X25519_SPKI_PREFIX)
  der.set(raw, X25519_SPKI_PREFIX.length)
  return createPublicKey({ key: Buffer.from(der.buffer), format: 'der', type: 'spki' })
}

function rawPublic (key: ReturnType<typeof createPublicKey>): Uint8Array {
  const der = key.export({ format: 'der', type: 'spki' })
  return new Uint8Array(der.subarray(der.length - 32))
}

/** The raw Ed25519 public key of a recipient, or UnsupportedKeyError. */
function recipientEd25519Key (recipient: PeerId | Uint8Array): Uint8Array {
  if (recipient instanceof Uint8Array) {
    if (recipient.byteLength !== ED25519_PUBLIC_KEY_BYTES) {
      throw new UnsupportedKeyError(`an Ed25519 public key is ${ED25519_PUBLIC_KEY_BYTES} bytes, got ${recipient.byteLength}`)
    }
    return recipient
  }
  if (recipient.type !== 'Ed25519') {
    throw new UnsupportedKeyError(`cannot seal to a ${recipient.type} peer ID, only Ed25519`)
  }
  return recipient.publicKey.raw
}

function toX25519Public (edPublicKey: Uint8Array): Uint8Array {
  try {
    return ed25519.utils.toMontgomery(edPublicKey)
  } catch (err) {
    throw new UnsupportedKeyError('recipient key is not a valid Ed25519 point', { cause: err })
  }
}

function deriveKey (shared: Uint8Array, epk: Uint8Array, recipientX: Uint8Array): Uint8Array {
  const salt = new Uint8Array(epk.byteLength + recipientX.byteLength)
  salt.set(epk, 0)
  salt.set(recipientX, epk.byteLength)
  const key = hkdf(sha256, shared, salt, info, KEY_BYTES)
  shared.fill(0)
  return key
}

function encodeSealed (parts: SealedParts): Uint8Array {
  return dagCbor.encode({ v: SEAL_VERSION, epk: parts.epk, n: parts.n, ct: parts.ct })
}

function decodeSealed (sealed: Uint8Array): SealedParts {
  let obj: unknown
  try {
    obj = dagCbor.decode(sealed)
  } catch (err) {
    throw new DecryptionError('sealed payload is not valid DAG-CBOR', { cause: err })
  }
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
    throw new DecryptionError('sealed payload is not a map')
  }
  const { v, epk, n, ct } = obj as Record<string, unknown>
  if (v !== SEAL_VERSION) {
    throw new DecryptionError(`unsupported seal version ${String(v)}`)
  }
  if (!(epk instanceof Uint8Array) || epk.byteLength !== SEAL_EPK_BYTES) {
    throw new DecryptionError(`sealed payload field epk must be ${SEAL_EPK_BYTES} bytes`)
  }
  if (!(n instanceof Uint8Array) || n.byteLength !== SEAL_NONCE_BYTES) {
    throw new DecryptionError(`sealed payload field n must be ${SEAL_NONCE_BYTES} bytes`)
  }
  if (!(ct instanceof Uint8Array) || ct.byteLength < SEAL_TAG_BYTES) {
    throw new DecryptionError(`sealed payload field ct must be at least ${SEAL_TAG_BYTES} bytes`)
  }
  return { epk, n, ct }
}
