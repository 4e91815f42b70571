/**
 * The synchronous X25519 that sealing uses on this platform: Node's OpenSSL (~0.15 ms per shared
 * secret where `@noble/curves` takes ~0.9 ms). The browser bundle replaces this file with
 * `x25519-platform.browser.ts` (scripts/bundle-web.ts).
 *
 * @module
 */
import { createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync } from 'node:crypto'
import { X25519_PKCS8_PREFIX } from './x25519.ts'
import type { X25519, X25519KeyPair } from './x25519.ts'

const X25519_SPKI_PREFIX = Uint8Array.from([0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x03, 0x21, 0x00])

type KeyObject = ReturnType<typeof createPrivateKey>

interface NodeKeyPair extends X25519KeyPair {
  readonly privateKey: KeyObject
}

function rawPublic (key: KeyObject): Uint8Array {
  const der = key.export({ format: 'der', type: 'spki' })
  return new Uint8Array(der.subarray(der.length - 32))
}

/**
 * Whether `createPublicKey` takes raw X25519 keys (`format: 'raw-public'`, recent Node 24): a
 * quarter cheaper than parsing DER, paid once per sealed message opened.
 */
const RAW_PUBLIC = (() => {
  try {
    createPublicKey({ key: Buffer.alloc(32, 9), format: 'raw-public', asymmetricKeyType: 'x25519' })
    return true
  } catch {
    return false
  }
})()

function publicKeyObject (raw: Uint8Array): KeyObject {
  if (RAW_PUBLIC) {
    return createPublicKey({ key: Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength), format: 'raw-public', asymmetricKeyType: 'x25519' })
  }
  const der = new Uint8Array(X25519_SPKI_PREFIX.length + raw.length)
  der.set(X25519_SPKI_PREFIX)
  der.set(raw, X25519_SPKI_PREFIX.length)
  return createPublicKey({ key: Buffer.from(der.buffer), format: 'der', type: 'spki' })
}

/** node:crypto (OpenSSL) X25519. */
export const nodeX25519: X25519 = {
  name: 'node',
  generate () {
    const { privateKey, publicKey } = generateKeyPairSync('x25519')
    const pair: NodeKeyPair = { privateKey, publicKey: rawPublic(publicKey) }
    return pair
  },
  fromSecret (secret) {
    const der = new Uint8Array(X25519_PKCS8_PREFIX.length + secret.length)
    der.set(X25519_PKCS8_PREFIX)
    der.set(secret, X25519_PKCS8_PREFIX.length)
    const privateKey = createPrivateKey({ key: Buffer.from(der.buffer), format: 'der', type: 'pkcs8' })
    der.fill(0)
    const pair: NodeKeyPair = { privateKey, publicKey: rawPublic(createPublicKey(privateKey)) }
    return pair
  },
  sharedSecret (own, publicKey) {
    return new Uint8Array(diffieHellman({ privateKey: (own as NodeKeyPair).privateKey, publicKey: publicKeyObject(publicKey) }))
  }
}

/** X25519 for sealing on this platform. */
export const platformX25519: X25519 = nodeX25519
