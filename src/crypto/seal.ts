/**
 * Sealing: public-key encryption of an inline payload to a peer's Ed25519 identity key.
 *
 * Construction (ipts/seal/v1), built only from audited primitives (`@noble/curves`; HKDF and
 * XChaCha20-Poly1305 from `aead.ts`: node:crypto in Node, `@noble/hashes` and `@noble/ciphers`
 * in the browser; and an X25519 from `x25519.ts`: Node's OpenSSL in Node,
 * ~0.15 ms per shared secret, `@noble/curves` in the browser's synchronous path, ~0.9 ms,
 * WebCrypto in `sealToAsync`/`openSealedAsync`; all compute the same function, so the bytes are
 * the same whichever sealed them):
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

import * as dagCbor from '@ipld/dag-cbor'
import { randomBytes } from '@noble/ciphers/utils.js'
import { ed25519 } from '@noble/curves/ed25519.js'
import { DecryptionError, UnsupportedKeyError } from '../errors.ts'
import { hkdfSha256, xchachaOpen, xchachaSeal } from './aead.ts'
import { platformX25519 } from './x25519-platform.ts'
import { webCryptoX25519 } from './x25519.ts'
import type { AsyncX25519, X25519, X25519KeyPair } from './x25519.ts'
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

/**
 * What tests inject to compare platforms: the ephemeral X25519 secret and the nonce. Never set
 * them outside tests: a repeated ephemeral key or nonce breaks the construction.
 */
export interface SealFixed {
  ephemeralSecret?: Uint8Array
  nonce?: Uint8Array
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
  return sealWith(platformX25519, recipient, plaintext, options)
}

/** {@link sealTo} with a given X25519 backend (and, in tests, a fixed ephemeral key and nonce). */
export function sealWith (x: X25519, recipient: PeerId | Uint8Array, plaintext: Uint8Array, options: SealOptions & SealFixed = {}): Uint8Array {
  const recipientX = toX25519Public(recipientEd25519Key(recipient))
  const ephemeral = options.ephemeralSecret == null ? x.generate() : x.fromSecret(options.ephemeralSecret)
  let shared: Uint8Array
  try {
    shared = x.sharedSecret(ephemeral, recipientX)
  } catch (err) {
    throw new UnsupportedKeyError('recipient key is a low-order point', { cause: err })
  }
  return finishSeal(shared, ephemeral.publicKey, recipientX, plaintext, options)
}

/**
 * {@link sealTo} through WebCrypto X25519 where the platform has it (else the synchronous
 * backend): the same bytes for the same ephemeral key and nonce.
 */
export async function sealToAsync (recipient: PeerId | Uint8Array, plaintext: Uint8Array, options: SealOptions = {}): Promise<Uint8Array> {
  const x = await webCryptoX25519()
  return x == null ? sealTo(recipient, plaintext, options) : sealWithAsync(x, recipient, plaintext, options)
}

/** {@link sealToAsync} with a given asynchronous backend. */
export async function sealWithAsync (x: AsyncX25519, recipient: PeerId | Uint8Array, plaintext: Uint8Array, options: SealOptions & SealFixed = {}): Promise<Uint8Array> {
  const recipientX = toX25519Public(recipientEd25519Key(recipient))
  const ephemeral = options.ephemeralSecret == null ? await x.generate() : await x.fromSecret(options.ephemeralSecret)
  let shared: Uint8Array
  try {
    shared = await x.sharedSecret(ephemeral, recipientX)
  } catch (err) {
    throw new UnsupportedKeyError('recipient key is a low-order point', { cause: err })
  }
  return finishSeal(shared, ephemeral.publicKey, recipientX, plaintext, options)
}

function finishSeal (shared: Uint8Array, epk: Uint8Array, recipientX: Uint8Array, plaintext: Uint8Array, options: SealOptions & SealFixed): Uint8Array {
  const key = deriveKey(shared, epk, recipientX)
  const n = options.nonce ?? randomBytes(SEAL_NONCE_BYTES)
  const ct = xchachaSeal(key, n, plaintext, options.aad)
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
  return openWith(platformX25519, privateKey, sealed, options)
}

/** {@link openSealed} with a given X25519 backend. */
export function openWith (x: X25519, privateKey: PrivateKey, sealed: Uint8Array, options: SealOptions = {}): Uint8Array {
  checkOwnKey(privateKey)
  const parts = decodeSealed(sealed)
  const own = ownX25519(x, privateKey)
  let shared: Uint8Array
  try {
    shared = x.sharedSecret(own, parts.epk)
  } catch (err) {
    throw new DecryptionError('ephemeral key is not usable', { cause: err })
  }
  return finishOpen(shared, parts, own.publicKey, options)
}

/** {@link openSealed} through WebCrypto X25519 where the platform has it (else the synchronous backend). */
export async function openSealedAsync (privateKey: PrivateKey, sealed: Uint8Array, options: SealOptions = {}): Promise<Uint8Array> {
  const x = await webCryptoX25519()
  return x == null ? openSealed(privateKey, sealed, options) : openWithAsync(x, privateKey, sealed, options)
}

/** {@link openSealedAsync} with a given asynchronous backend. */
export async function openWithAsync (x: AsyncX25519, privateKey: PrivateKey, sealed: Uint8Array, options: SealOptions = {}): Promise<Uint8Array> {
  checkOwnKey(privateKey)
  const parts = decodeSealed(sealed)
  const secret = ed25519.utils.toMontgomerySecret(privateKey.raw.subarray(0, ED25519_SEED_BYTES))
  let own: X25519KeyPair
  try {
    own = await x.fromSecret(secret)
  } finally {
    secret.fill(0)
  }
  let shared: Uint8Array
  try {
    shared = await x.sharedSecret(own, parts.epk)
  } catch (err) {
    throw new DecryptionError('ephemeral key is not usable', { cause: err })
  }
  return finishOpen(shared, parts, own.publicKey, options)
}

function checkOwnKey (privateKey: PrivateKey): void {
  if (privateKey.type !== 'Ed25519') {
    throw new UnsupportedKeyError(`cannot open sealed payloads with a ${privateKey.type} key, only Ed25519`)
  }
}

function finishOpen (shared: Uint8Array, parts: SealedParts, ownX: Uint8Array, options: SealOptions): Uint8Array {
  const key = deriveKey(shared, parts.epk, ownX)
  try {
    return xchachaOpen(key, parts.n, parts.ct, options.aad)
  } catch (err) {
    throw new DecryptionError('sealed payload does not authenticate with this key', { cause: err })
  } finally {
    key.fill(0)
  }
}

/** A receiver opens many payloads with one key: convert it once per backend (bounded by the keys in use). */
const ownKeys = new WeakMap<PrivateKey, Map<X25519, X25519KeyPair>>()

function ownX25519 (x: X25519, privateKey: PrivateKey): X25519KeyPair {
  let byBackend = ownKeys.get(privateKey)
  if (byBackend == null) {
    byBackend = new Map()
    ownKeys.set(privateKey, byBackend)
  }
  let own = byBackend.get(x)
  if (own == null) {
    const secret = ed25519.utils.toMontgomerySecret(privateKey.raw.subarray(0, ED25519_SEED_BYTES))
    own = x.fromSecret(secret)
    secret.fill(0)
    byBackend.set(x, own)
  }
  return own
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
  const key = hkdfSha256(shared, salt, info, KEY_BYTES)
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
