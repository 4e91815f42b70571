/** SHA-256 of bytes, synchronous, in the browser bundle: `@noble/hashes`. */
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js'

export function sha256 (bytes: Uint8Array): Uint8Array {
  return nobleSha256(bytes)
}
