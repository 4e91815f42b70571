/**
 * The symmetric half of sealing in the browser bundle (replaces `aead.ts` there): HKDF-SHA256
 * and XChaCha20-Poly1305 from `@noble/hashes` and `@noble/ciphers`, pure JS.
 *
 * @module
 */
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js'
import { hkdf } from '@noble/hashes/hkdf.js'
import { sha256 } from '@noble/hashes/sha2.js'

/** HKDF-SHA256 of `ikm` with `salt` and `info`: `length` bytes. */
export function hkdfSha256 (ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  return hkdf(sha256, ikm, salt, info, length)
}

/** XChaCha20-Poly1305 encryption: the ciphertext with its 16-byte tag appended. */
export function xchachaSeal (key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad?: Uint8Array): Uint8Array {
  return xchacha20poly1305(key, nonce, aad).encrypt(plaintext)
}

/** XChaCha20-Poly1305 decryption. Throws when the tag does not authenticate. */
export function xchachaOpen (key: Uint8Array, nonce: Uint8Array, ciphertext: Uint8Array, aad?: Uint8Array): Uint8Array {
  return xchacha20poly1305(key, nonce, aad).decrypt(ciphertext)
}
