/**
 * The parts of opening a sealed message (src/crypto/seal.ts) against node:crypto replacements,
 * CPU ms per 1,000 in this process (issue 14: the cold client inbox's next step; see
 * RESULTS.md). The node:crypto XChaCha20-Poly1305 path is checked to give the same plaintext.
 *
 * Run: node dist/bench/open-parts.js
 */
import crypto from 'node:crypto'
import { xchacha20poly1305, hchacha } from '@noble/ciphers/chacha.js'
import { hkdf } from '@noble/hashes/hkdf.js'
import { sha256 } from '@noble/hashes/sha2.js'

const N = 1000
const key = crypto.randomBytes(32)
const nonce = crypto.randomBytes(24)
const plaintext = crypto.randomBytes(300)
const sealed = xchacha20poly1305(key, nonce).encrypt(plaintext)
/** "expand 32-byte k" */
const SIGMA = new Uint32Array([0x61707865, 0x3320646e, 0x79622d32, 0x6b206574])

/** CPU ms for N calls, after 200 unmeasured ones. */
function cpu (f: () => unknown): string {
  for (let i = 0; i < 200; i++) f()
  const start = process.cpuUsage()
  for (let i = 0; i < N; i++) f()
  const d = process.cpuUsage(start)
  return `${((d.user + d.system) / 1000).toFixed(1)} ms/${N}`
}

/** XChaCha20-Poly1305 = an HChaCha20 subkey + IETF ChaCha20-Poly1305 with nonce 0000 || n[16..24]. */
function nodeOpen (): Buffer {
  const k32 = new Uint32Array(key.buffer.slice(key.byteOffset, key.byteOffset + 32))
  const n32 = new Uint32Array(nonce.buffer.slice(nonce.byteOffset, nonce.byteOffset + 16))
  const out = new Uint32Array(8)
  hchacha(SIGMA, k32, n32, out)
  const iv = Buffer.concat([Buffer.alloc(4), nonce.subarray(16)])
  const decipher = crypto.createDecipheriv('chacha20-poly1305', Buffer.from(out.buffer), iv, { authTagLength: 16 })
  decipher.setAuthTag(sealed.subarray(sealed.length - 16))
  return Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - 16)), decipher.final()])
}

if (!nodeOpen().equals(plaintext)) throw new Error('the node:crypto path does not give the plaintext')
console.log('XChaCha20-Poly1305 decrypt, noble', cpu(() => xchacha20poly1305(key, nonce).decrypt(sealed)))
console.log('XChaCha20-Poly1305 decrypt, HChaCha20 + node chacha20-poly1305', cpu(nodeOpen))
const ikm = crypto.randomBytes(32)
const info = crypto.randomBytes(64)
console.log('HKDF-SHA256, noble', cpu(() => hkdf(sha256, ikm, undefined, info, 32)))
console.log('HKDF-SHA256, crypto.hkdfSync', cpu(() => crypto.hkdfSync('sha256', ikm, Buffer.alloc(0), info, 32)))
const pair = crypto.generateKeyPairSync('x25519')
const der = pair.publicKey.export({ format: 'der', type: 'spki' })
const raw = der.subarray(der.length - 32)
console.log('X25519 public key import, DER', cpu(() => crypto.createPublicKey({ key: der, format: 'der', type: 'spki' })))
try {
  console.log('X25519 public key import, raw-public', cpu(() => crypto.createPublicKey({ key: raw, format: 'raw-public', asymmetricKeyType: 'x25519' } as any)))
} catch (err: any) {
  console.log('X25519 raw-public import not supported here:', err.message)
}
console.log('X25519 diffieHellman', cpu(() => crypto.diffieHellman({ privateKey: pair.privateKey, publicKey: pair.publicKey })))
