/**
 * Peer-ID multihashes and signer keys, checked synchronously.
 *
 * Ed25519 signatures are verified with `node:crypto` against a `KeyObject` built once per key
 * (the hot path of a relay; `verify.ts`, replaced by `verify.browser.ts` in the browser bundle).
 * RSA keys get a cached `KeyObject` too (RSASSA-PKCS1-v1_5 with SHA-256, as libp2p signs). secp256k1 keys use `@libp2p/crypto`'s own verify, which is
 * synchronous. Key types whose libp2p verify is asynchronous (ECDSA) are refused.
 */
import { publicKeyFromProtobuf, publicKeyToProtobuf } from '@libp2p/crypto/keys'
import { LRUCache } from 'lru-cache'
import { bytesEqual, startsWith } from './bytes.ts'
import { bytesKey, ed25519Verifier, rsaVerifier } from './verify.ts'
export { RAW_PUBLIC } from './verify.ts'
import type { PublicKey } from '@libp2p/interface'

/** multicodec of the identity multihash */
export const IDENTITY = 0x00
/** multicodec of the sha2-256 multihash */
export const SHA2_256 = 0x12

/** libp2p protobuf header of an Ed25519 public key: Type = Ed25519 (1), Data = 32 bytes. */
const ED25519_PB_PREFIX = Uint8Array.from([0x08, 0x01, 0x12, 0x20])

/** identity multihash header of a protobuf Ed25519 public key (36 bytes). */
const ED25519_PEER_ID_PREFIX = Uint8Array.from([0x00, 0x24, ...ED25519_PB_PREFIX])

/** A protobuf-encoded public key at most this long is hashed with identity into its peer ID. */
const MAX_INLINE_KEY_LENGTH = 42

/**
 * Checks that `bytes` is exactly the canonical peer-ID multihash of some peer: an identity
 * multihash of a protobuf Ed25519 or secp256k1 public key, or a sha2-256 multihash (RSA keys).
 * Returns the multihash code. Throws a plain `Error` with the reason: callers wrap it into
 * their own typed error.
 */
export function checkPeerIdMultihash (bytes: Uint8Array): typeof IDENTITY | typeof SHA2_256 {
  if (bytes.byteLength === 38 && startsWith(bytes, ED25519_PEER_ID_PREFIX)) {
    return IDENTITY
  }

  if (bytes.byteLength === 34 && bytes[0] === SHA2_256 && bytes[1] === 32) {
    return SHA2_256
  }

  if (bytes.byteLength < 2 || bytes[0] !== IDENTITY) {
    throw new Error('not an identity or sha2-256 multihash of a peer ID')
  }

  // identity multihash of another key type: both header bytes are one-byte varints here
  // because an inline key is at most 42 bytes long
  const length = bytes[1]

  if (length > MAX_INLINE_KEY_LENGTH || bytes.byteLength !== length + 2) {
    throw new Error('identity multihash has the wrong length for a peer ID')
  }

  const key = publicKeyFromProtobuf(bytes.subarray(2))

  if (key.type !== 'Ed25519' && key.type !== 'secp256k1') {
    throw new Error(`key type ${key.type} cannot be inlined in a peer ID`)
  }

  if (!bytesEqual(key.toMultihash().bytes, bytes)) {
    throw new Error('peer ID multihash is not in canonical form')
  }

  return IDENTITY
}

/** The public key inlined in an identity peer-ID multihash (already checked), as protobuf bytes. */
export function inlineKeyOf (multihash: Uint8Array): Uint8Array | undefined {
  return multihash[0] === IDENTITY ? multihash.subarray(2) : undefined
}

/** A signer key ready to verify: its peer-ID multihash and a synchronous verify. */
export interface SignerKey {
  /** peer-ID multihash bytes of the key */
  multihash: Uint8Array
  /**
   * whether the protobuf bytes it was parsed from are the key's canonical encoding. A
   * non-canonical encoding of an RSA key hashes to another peer ID for the same key, so
   * anyone could re-label a record with a new signer: tagged records require canonical keys.
   */
  canonical: boolean
  /** `true` when the signature is valid; never throws */
  verify(data: Uint8Array, signature: Uint8Array): boolean
}

function ed25519Key (raw: Uint8Array, multihash: Uint8Array, canonical: boolean): SignerKey {
  return { multihash, canonical, verify: ed25519Verifier(raw) }
}

function libp2pKey (key: PublicKey, canonical: boolean): SignerKey {
  const multihash = key.toMultihash().bytes

  if (key.type === 'RSA') {
    return { multihash, canonical, verify: rsaVerifier(key) }
  }

  if (key.type === 'secp256k1') {
    return {
      multihash,
      canonical,
      verify: (data, signature) => {
        try {
          const result: boolean | Promise<boolean> = key.verify(data, signature)

          if (typeof result !== 'boolean') {
            // never happens with @libp2p/crypto 5 on Node; refuse rather than block
            result.catch(() => {})
            return false
          }

          return result
        } catch {
          return false
        }
      }
    }
  }

  throw new Error(`key type ${key.type} is not supported (its verification is asynchronous)`)
}

/**
 * Parses a protobuf-encoded libp2p public key into a `SignerKey`. Throws a plain `Error`
 * if the key is unparsable or of an unsupported type.
 */
export function signerKeyFromProtobuf (pubKey: Uint8Array): SignerKey {
  if (pubKey.byteLength === 36 && startsWith(pubKey, ED25519_PB_PREFIX)) {
    const multihash = new Uint8Array(38)
    multihash[0] = IDENTITY
    multihash[1] = 36
    multihash.set(pubKey, 2)
    return ed25519Key(pubKey.subarray(4), multihash, true)
  }

  const key = publicKeyFromProtobuf(pubKey)
  const canonical = bytesEqual(publicKeyToProtobuf(key), pubKey)

  if (key.type === 'Ed25519') {
    // its peer ID is that of the canonical encoding, whatever the encoding here
    return ed25519Key(key.raw, key.toMultihash().bytes, canonical)
  }

  return libp2pKey(key, canonical)
}

/** A bounded cache of `SignerKey`s keyed by the protobuf bytes of the public key. */
export class SignerKeyCache {
  private readonly cache: LRUCache<string, SignerKey>

  constructor (max: number) {
    this.cache = new LRUCache({ max })
  }

  /** The key for these protobuf bytes, parsed once. Throws a plain `Error` like `signerKeyFromProtobuf`. */
  get (pubKey: Uint8Array): SignerKey {
    const id = bytesKey(pubKey)
    let key = this.cache.get(id)

    if (key == null) {
      key = signerKeyFromProtobuf(pubKey)
      this.cache.set(id, key)
    }

    return key
  }

  get size (): number {
    return this.cache.size
  }
}
