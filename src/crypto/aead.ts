/**
 * The symmetric half of sealing in Node: HKDF-SHA256 through `crypto.hkdfSync`, and
 * XChaCha20-Poly1305 as its definition builds it (draft-irtf-cfrg-xchacha): an HChaCha20 subkey
 * of the key and the nonce's first 16 bytes (`@noble/ciphers`, one block), then OpenSSL's IETF
 * ChaCha20-Poly1305 under that subkey with the nonce `0x00000000 || nonce[16..24]`. About twice
 * as fast as the pure-JS path for a sealed message (bench/open-parts.ts), and the same bytes:
 * the browser bundle uses `aead.browser.ts` (noble alone), and test/crypto/seal-platforms.test.ts
 * checks the two agree.
 *
 * @module
 */
import { createCipheriv, createDecipheriv, createSecretKey, hkdfSync } from 'node:crypto'
import { hchacha } from '@noble/ciphers/chacha.js'

const TAG_BYTES = 16
/** "expand 32-byte k", the ChaCha constant */
const SIGMA = new Uint32Array([0x61707865, 0x3320646e, 0x79622d32, 0x6b206574])

/** HKDF-SHA256 of `ikm` with `salt` and `info`: `length` bytes. */
export function hkdfSha256 (ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  // a KeyObject skips node:crypto's costlier checks of a raw key (~3 µs of ~9)
  return new Uint8Array(hkdfSync('sha256', createSecretKey(ikm), salt, info, length))
}

/** The HChaCha20 subkey and the 12-byte IETF nonce of an XChaCha20 key and 24-byte nonce. */
function ietf (key: Uint8Array, nonce: Uint8Array): { subkey: Buffer, iv: Buffer } {
  if (key.byteLength !== 32) throw new Error(`XChaCha20 key must be 32 bytes, got ${key.byteLength}`)
  if (nonce.byteLength !== 24) throw new Error(`XChaCha20 nonce must be 24 bytes, got ${nonce.byteLength}`)
  // hchacha reads and writes little-endian words (it normalises on big-endian hosts)
  const k32 = new Uint32Array(key.slice().buffer)
  const n32 = new Uint32Array(nonce.slice(0, 16).buffer)
  const out = new Uint32Array(8)
  hchacha(SIGMA, k32, n32, out)
  const iv = Buffer.alloc(12)
  iv.set(nonce.subarray(16), 4)
  k32.fill(0)
  return { subkey: Buffer.from(out.buffer), iv }
}

/** XChaCha20-Poly1305 encryption: the ciphertext with its 16-byte tag appended. */
export function xchachaSeal (key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad?: Uint8Array): Uint8Array {
  const { subkey, iv } = ietf(key, nonce)
  try {
    const cipher = createCipheriv('chacha20-poly1305', createSecretKey(subkey), iv, { authTagLength: TAG_BYTES })
    if (aad != null) cipher.setAAD(aad, { plaintextLength: plaintext.byteLength })
    const head = cipher.update(plaintext)
    const tail = cipher.final()
    const out = new Uint8Array(head.byteLength + tail.byteLength + TAG_BYTES)
    out.set(head, 0)
    out.set(tail, head.byteLength)
    out.set(cipher.getAuthTag(), head.byteLength + tail.byteLength)
    return out
  } finally {
    subkey.fill(0)
  }
}

/** XChaCha20-Poly1305 decryption. Throws when the tag does not authenticate. */
export function xchachaOpen (key: Uint8Array, nonce: Uint8Array, ciphertext: Uint8Array, aad?: Uint8Array): Uint8Array {
  if (ciphertext.byteLength < TAG_BYTES) throw new Error('ciphertext is shorter than its tag')
  const { subkey, iv } = ietf(key, nonce)
  try {
    const body = ciphertext.subarray(0, ciphertext.byteLength - TAG_BYTES)
    // a KeyObject: node:crypto checks a raw key at ~9 µs a call, a KeyObject at ~2 (+1.4 to make it)
    const decipher = createDecipheriv('chacha20-poly1305', createSecretKey(subkey), iv, { authTagLength: TAG_BYTES })
    decipher.setAuthTag(ciphertext.subarray(ciphertext.byteLength - TAG_BYTES))
    if (aad != null) decipher.setAAD(aad, { plaintextLength: body.byteLength })
    const head = decipher.update(body)
    // throws "Unsupported state or unable to authenticate data" on a bad tag
    const tail = decipher.final()
    if (tail.byteLength === 0) return new Uint8Array(head.buffer, head.byteOffset, head.byteLength)
    const out = new Uint8Array(head.byteLength + tail.byteLength)
    out.set(head, 0)
    out.set(tail, head.byteLength)
    return out
  } finally {
    subkey.fill(0)
  }
}
