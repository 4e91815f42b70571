/**
 * Platform part of `keys.ts`: synchronous signature checks with `node:crypto` (a relay's hot
 * path: a `KeyObject` built once per key). The browser bundle replaces this file with
 * `verify.browser.ts` (`@noble/curves`).
 *
 * @module
 */
import crypto from 'node:crypto'
import { concat } from './bytes.ts'
import type { PublicKey } from '@libp2p/interface'

/** DER SubjectPublicKeyInfo header of a raw 32-byte Ed25519 public key. */
const ED25519_SPKI_PREFIX = Uint8Array.from([0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00])

/** A synchronous signature check; never throws. */
export type Verify = (data: Uint8Array, signature: Uint8Array) => boolean

/**
 * Whether `createPublicKey` takes raw Ed25519 keys (`format: 'raw-public'`, recent Node 24):
 * about a third cheaper than parsing DER (the fallback), and paid once per new signer.
 */
export const RAW_PUBLIC = (() => {
  try {
    // the Ed25519 base point, a valid public key
    crypto.createPublicKey({ key: Buffer.from('58'.padEnd(64, '6'), 'hex'), format: 'raw-public', asymmetricKeyType: 'ed25519' })
    return true
  } catch {
    return false
  }
})()

function ed25519KeyObject (raw: Uint8Array): crypto.KeyObject {
  if (RAW_PUBLIC) {
    return crypto.createPublicKey({ key: Buffer.from(raw), format: 'raw-public', asymmetricKeyType: 'ed25519' })
  }

  return crypto.createPublicKey({ key: Buffer.from(concat(ED25519_SPKI_PREFIX, raw)), format: 'der', type: 'spki' })
}

/** Checks Ed25519 signatures of the raw 32-byte public key `raw`. Throws if the key does not parse. */
export function ed25519Verifier (raw: Uint8Array): Verify {
  const keyObject = ed25519KeyObject(raw)

  return (data, signature) => {
    try {
      return crypto.verify(null, data, keyObject, signature)
    } catch {
      return false
    }
  }
}

/** Checks RSASSA-PKCS1-v1_5 SHA-256 signatures (as libp2p signs) of an RSA key. */
export function rsaVerifier (key: PublicKey): Verify {
  const keyObject = crypto.createPublicKey({ key: (key as any).jwk as crypto.JsonWebKey, format: 'jwk' })

  return (data, signature) => {
    try {
      return crypto.verify('sha256', data, keyObject, signature)
    } catch {
      return false
    }
  }
}

/** A string that identifies these bytes (a cache key). */
export function bytesKey (bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1')
}
