/**
 * Parsing an identity key (libp2p private-key protobuf, Ed25519), shared by the repo's key file
 * (`identity.ts`) and the browser's IndexedDB key store (`src/web/storage.ts`).
 *
 * @module
 */
import { privateKeyFromProtobuf } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { ed25519 } from '@noble/curves/ed25519.js'
import { IdentityCorruptError, UnsupportedKeyError } from './errors.ts'
import type { PeerId, PrivateKey } from '@libp2p/interface'

/**
 * The key in `bytes` and its peer ID; `file` names where it came from in errors.
 *
 * @throws IdentityCorruptError if the bytes are not a private key, or its public half does not match
 * @throws UnsupportedKeyError if it is a valid key of another type than Ed25519
 */
export function parseIdentityKey (bytes: Uint8Array, file: string): { privateKey: PrivateKey, peerId: PeerId } {
  let privateKey: PrivateKey
  try {
    privateKey = privateKeyFromProtobuf(bytes)
  } catch (err) {
    throw new IdentityCorruptError(`${file} does not hold a private key`, { cause: err })
  }
  if (privateKey.type !== 'Ed25519') {
    throw new UnsupportedKeyError(`${file} holds a ${privateKey.type} key; ipts identities are Ed25519`)
  }
  // the protobuf stores seed and public key side by side; a damaged public half would sign with
  // one key and claim another
  const derived = ed25519.getPublicKey(privateKey.raw.subarray(0, 32))
  if (!equalBytes(derived, privateKey.publicKey.raw)) {
    throw new IdentityCorruptError(`${file} holds a private key whose public half does not match`)
  }
  return { privateKey, peerId: peerIdFromPrivateKey(privateKey) }
}

function equalBytes (a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && a.every((x, i) => x === b[i])
}
