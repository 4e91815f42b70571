/**
 * Acknowledgements: a receiver signs, with its tag's key, the (signer, sequence) pairs it has
 * received. Relays verify the statement, delete what it covers and keep tombstones until the
 * covered records' EOL.
 *
 * Wire format (src/pb/ack.proto): `SignedAck { body, signature, pub_key? }` where `body` is an
 * encoded `AckBody { tag, entries, issued_at }` and `signature` is over
 * utf8("ipts-ack:") + body. `pub_key` is needed only when the tag is not an identity multihash.
 */
import { publicKeyToProtobuf } from '@libp2p/crypto/keys'
import { InvalidParametersError } from '@libp2p/interface'
import { InvalidAckError } from '../errors.ts'
import { AckBody, SignedAck } from '../pb/ack.ts'
import { ACK_SIGNATURE_PREFIX, MAX_ACK_ENTRIES, MAX_ACK_SIZE, MAX_UINT64 } from './constants.ts'
import { arrayBufferBacked, bytesEqual, concat } from './bytes.ts'
import { checkPeerIdMultihash, IDENTITY, inlineKeyOf, signerKeyFromProtobuf } from './keys.ts'
import type { SignerKey } from './keys.ts'
import type { PrivateKey } from '@libp2p/interface'

export interface AckEntry {
  /** peer-ID multihash of the acknowledged records' signer */
  signer: Uint8Array
  /** the acknowledged sequence: the signer's records up to it are covered */
  sequence: bigint
  /** EOL of the covered record, ms since the epoch: tombstones live until then */
  eol: number
}

export interface Ack {
  /** the receiver's peer-ID multihash: the tag whose records are acknowledged, and the key that signed */
  tag: Uint8Array
  entries: AckEntry[]
  /** when the receiver signed it, ms since the epoch */
  issuedAt: number
  /** the marshalled SignedAck */
  bytes: Uint8Array
}

export interface ValidateAckOptions {
  /** size limit in bytes. @default 65536 */
  maxSize?: number
  /** most entries accepted. @default 1024 */
  maxEntries?: number
}

function ms (value: bigint, name: string): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new InvalidAckError(`${name} is out of range`)
  }

  return Number(value)
}

/** Creates a signed acknowledgement for the key's own tag (its peer-ID multihash). */
export async function createAck (privateKey: PrivateKey, init: { entries: AckEntry[], now: number }): Promise<Ack> {
  if (!Number.isSafeInteger(init.now) || init.now < 0) {
    throw new InvalidParametersError('now must be a non-negative integer number of ms')
  }

  const entries = init.entries.map(entry => {
    try {
      checkPeerIdMultihash(entry.signer)
    } catch (err: any) {
      throw new InvalidParametersError(`entry signer is not a peer ID: ${err?.message}`)
    }

    if (typeof entry.sequence !== 'bigint' || entry.sequence < 0n || entry.sequence > MAX_UINT64) {
      throw new InvalidParametersError('entry sequence must be a uint64 bigint')
    }

    if (!Number.isSafeInteger(entry.eol) || entry.eol < 0) {
      throw new InvalidParametersError('entry eol must be a non-negative integer number of ms')
    }

    return { signer: entry.signer.slice(), sequence: entry.sequence, eol: entry.eol }
  })

  const publicKey = privateKey.publicKey
  const tag = publicKey.toMultihash().bytes
  const body = AckBody.encode({
    tag: arrayBufferBacked(tag),
    entries: entries.map(e => ({ signer: arrayBufferBacked(e.signer), sequence: e.sequence, eol: BigInt(e.eol) })),
    issuedAt: BigInt(init.now)
  })
  const signature = await privateKey.sign(concat(ACK_SIGNATURE_PREFIX, body))
  const signed: SignedAck = { body, signature: arrayBufferBacked(signature) }

  if (tag[0] !== IDENTITY) {
    signed.pubKey = arrayBufferBacked(publicKeyToProtobuf(publicKey))
  }

  return { tag, entries, issuedAt: init.now, bytes: SignedAck.encode(signed) }
}

function check (input: Uint8Array, options: ValidateAckOptions): Ack {
  if (!(input instanceof Uint8Array)) {
    throw new InvalidAckError('ack must be a Uint8Array')
  }

  const maxSize = options.maxSize ?? MAX_ACK_SIZE

  if (input.byteLength > maxSize) {
    throw new InvalidAckError(`ack is ${input.byteLength} bytes, over the limit of ${maxSize}`)
  }

  const bytes = new Uint8Array(input)
  let signed: SignedAck
  let body: AckBody

  try {
    signed = SignedAck.decode(bytes)
  } catch (err: any) {
    throw new InvalidAckError(`not a SignedAck: ${err?.message}`)
  }

  try {
    body = AckBody.decode(signed.body, { limits: { entries: options.maxEntries ?? MAX_ACK_ENTRIES } })
  } catch (err: any) {
    throw new InvalidAckError(`not an AckBody: ${err?.message}`)
  }

  let code: number

  try {
    code = checkPeerIdMultihash(body.tag)
  } catch (err: any) {
    throw new InvalidAckError(`tag is not a peer ID: ${err?.message}`)
  }

  const pubKey = signed.pubKey ?? inlineKeyOf(body.tag)

  if (pubKey == null) {
    throw new InvalidAckError(code === IDENTITY ? 'no public key' : 'ack for a hashed peer ID lacks pub_key')
  }

  let key: SignerKey

  try {
    key = signerKeyFromProtobuf(pubKey)
  } catch (err: any) {
    throw new InvalidAckError(`unusable public key: ${err?.message}`)
  }

  if (!bytesEqual(key.multihash, body.tag)) {
    throw new InvalidAckError('ack was not signed by the tag owner')
  }

  if (!key.verify(concat(ACK_SIGNATURE_PREFIX, signed.body), signed.signature)) {
    throw new InvalidAckError('ack signature does not verify')
  }

  const entries = body.entries.map(entry => {
    try {
      checkPeerIdMultihash(entry.signer)
    } catch (err: any) {
      throw new InvalidAckError(`entry signer is not a peer ID: ${err?.message}`)
    }

    return { signer: entry.signer, sequence: entry.sequence, eol: ms(entry.eol, 'entry eol') }
  })

  return { tag: body.tag, entries, issuedAt: ms(body.issuedAt, 'issued_at'), bytes }
}

/**
 * Validates a signed acknowledgement: size, structure, entry count, that the tag is a peer ID
 * and that the tag's own key signed it. Throws only `InvalidAckError`.
 */
export function validateAck (bytes: Uint8Array, options: ValidateAckOptions = {}): Ack {
  try {
    return check(bytes, options)
  } catch (err: any) {
    if (err instanceof InvalidAckError) {
      throw err
    }

    throw new InvalidAckError(`unexpected error while validating ack: ${err?.message}`)
  }
}
