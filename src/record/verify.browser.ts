/**
 * Platform part of `keys.ts` in the browser bundle: Ed25519 through `@noble/curves` (RFC 8032
 * strict verification, as OpenSSL does in Node: `zip215: false`), ~1.2 ms a check. RSA signers
 * are refused here: their only browser verify (WebCrypto) is asynchronous.
 *
 * @module
 */
import { ed25519 } from '@noble/curves/ed25519.js'
import type { PublicKey } from '@libp2p/interface'

/** A synchronous signature check; never throws. */
export type Verify = (data: Uint8Array, signature: Uint8Array) => boolean

/** Node's raw-public key import: not here. */
export const RAW_PUBLIC = false

/** Checks Ed25519 signatures of the raw 32-byte public key `raw`. Throws if the key does not parse. */
export function ed25519Verifier (raw: Uint8Array): Verify {
  const point = ed25519.Point.fromBytes(raw)
  const key = point.toBytes()

  return (data, signature) => {
    try {
      return ed25519.verify(signature, data, key, { zip215: false })
    } catch {
      return false
    }
  }
}

export function rsaVerifier (_key: PublicKey): Verify {
  throw new Error('RSA signer keys are not supported in the browser build')
}

/** A string that identifies these bytes (a cache key). */
export function bytesKey (bytes: Uint8Array): string {
  let text = ''
  for (const byte of bytes) text += String.fromCharCode(byte)
  return text
}
