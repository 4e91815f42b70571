/**
 * X25519 (RFC 7748) behind one interface, so that sealing (`seal.ts`) runs the same construction
 * on every platform: Node's OpenSSL (`x25519-platform.ts`), `@noble/curves` (pure JS, the
 * browser's synchronous path, `x25519-platform.browser.ts`) and WebCrypto (asynchronous, in
 * browsers that have X25519 and in Node). All compute the same function, so a payload sealed
 * with one opens with any other (test/crypto/seal-platforms.test.ts).
 *
 * @module
 */
import { x25519 } from '@noble/curves/ed25519.js'
import { randomBytes } from '@noble/hashes/utils.js'

/** Bytes of an X25519 secret (before clamping) and of a public key. */
export const X25519_KEY_BYTES = 32

/** A key pair of one backend: `publicKey` is the raw 32-byte u-coordinate. */
export interface X25519KeyPair {
  readonly publicKey: Uint8Array
}

/** Synchronous X25519. `sharedSecret` throws when the result is all zeros (a low-order point). */
export interface X25519 {
  readonly name: string
  /** A fresh random key pair. */
  generate(): X25519KeyPair
  /** The key pair of these 32 secret bytes (clamped by X25519 itself). */
  fromSecret(secret: Uint8Array): X25519KeyPair
  sharedSecret(own: X25519KeyPair, publicKey: Uint8Array): Uint8Array
}

/** The same operations, asynchronous (WebCrypto). */
export interface AsyncX25519 {
  readonly name: string
  generate(): Promise<X25519KeyPair>
  fromSecret(secret: Uint8Array): Promise<X25519KeyPair>
  sharedSecret(own: X25519KeyPair, publicKey: Uint8Array): Promise<Uint8Array>
}

interface NobleKeyPair extends X25519KeyPair {
  readonly secret: Uint8Array
}

/** `@noble/curves` X25519: pure JS, ~0.9 ms per shared secret on this machine (Node 24). */
export const nobleX25519: X25519 = {
  name: 'noble',
  generate () {
    return this.fromSecret(randomBytes(X25519_KEY_BYTES))
  },
  fromSecret (secret) {
    const copy = secret.slice()
    const pair: NobleKeyPair = { secret: copy, publicKey: x25519.getPublicKey(copy) }
    return pair
  },
  sharedSecret (own, publicKey) {
    // throws on an all-zero result (low-order public key), as OpenSSL does
    return x25519.getSharedSecret((own as NobleKeyPair).secret, publicKey)
  }
}

/** PKCS#8 header of a raw X25519 private key (RFC 8410). */
export const X25519_PKCS8_PREFIX = Uint8Array.from([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20])

interface WebCryptoKeyPair extends X25519KeyPair {
  readonly privateKey: CryptoKey
}

/**
 * WebCrypto X25519 (`crypto.subtle`, algorithm `X25519`), or undefined where the platform lacks
 * it. Chromium has it from version 133, Firefox from 130, Safari from 17; Node 24 too.
 */
export async function webCryptoX25519 (): Promise<AsyncX25519 | undefined> {
  const subtle = globalThis.crypto?.subtle
  if (subtle == null) return undefined
  try {
    await subtle.generateKey({ name: 'X25519' }, false, ['deriveBits'])
  } catch {
    return undefined
  }
  return webCrypto(subtle)
}

function webCrypto (subtle: SubtleCrypto): AsyncX25519 {
  const fromSecret = async (secret: Uint8Array): Promise<X25519KeyPair> => {
    const der = new Uint8Array(X25519_PKCS8_PREFIX.length + X25519_KEY_BYTES)
    der.set(X25519_PKCS8_PREFIX)
    der.set(secret, X25519_PKCS8_PREFIX.length)
    // extractable only long enough to read the public key out of its JWK
    const privateKey = await subtle.importKey('pkcs8', der, { name: 'X25519' }, true, ['deriveBits'])
    der.fill(0)
    const jwk = await subtle.exportKey('jwk', privateKey)
    const pair: WebCryptoKeyPair = { privateKey, publicKey: fromBase64url(jwk.x ?? '') }
    return pair
  }
  return {
    name: 'webcrypto',
    async generate () {
      const secret = randomBytes(X25519_KEY_BYTES)
      try {
        return await fromSecret(secret)
      } finally {
        secret.fill(0)
      }
    },
    fromSecret,
    async sharedSecret (own, publicKey) {
      const peer = await subtle.importKey('raw', publicKey.slice(), { name: 'X25519' }, false, [])
      // WebCrypto refuses an all-zero result (low-order point) with an OperationError
      const bits = await subtle.deriveBits({ name: 'X25519', public: peer }, (own as WebCryptoKeyPair).privateKey, 256)
      return new Uint8Array(bits)
    }
  }
}

function fromBase64url (text: string): Uint8Array {
  const b64 = text.replace(/-/g, '+').replace(/_/g, '/')
  const binary = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4))
  return Uint8Array.from(binary, c => c.charCodeAt(0))
}
