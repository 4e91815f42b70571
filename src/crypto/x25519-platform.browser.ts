/**
 * The browser's synchronous X25519 for sealing: `@noble/curves` (the client's payload pipeline is
 * synchronous, and WebCrypto is not; `sealToAsync`/`openSealedAsync` use WebCrypto). Replaces
 * `x25519-platform.ts` in the browser bundle.
 *
 * @module
 */
import { nobleX25519 } from './x25519.ts'
import type { X25519 } from './x25519.ts'

/** X25519 for sealing on this platform. */
export const platformX25519: X25519 = nobleX25519
