/**
 * SHA-256 of bytes, synchronous: node:crypto here, `@noble/hashes` in the browser bundle
 * (`sha256.browser.ts` replaces this file there).
 *
 * @module
 */
import { createHash } from 'node:crypto'

export function sha256 (bytes: Uint8Array): Uint8Array {
  return createHash('sha256').update(bytes).digest()
}
