/**
 * Record creation. Tagged records always embed the signer's public key; plain records embed
 * it unless told not to (RSA keys always, as their name cannot carry them).
 */
import { publicKeyToProtobuf } from '@libp2p/crypto/keys'
import * as dagCbor from '@ipld/dag-cbor'
import { InvalidParametersError } from '@libp2p/interface'
import { InvalidTagError } from '../errors.ts'
import { IpnsEntry } from '../pb/ipns.ts'
import { DEFAULT_LIFETIME, DEFAULT_TTL_NS, IPNS_PREFIX, IPNS_SIGNATURE_PREFIX, IPTS_PREFIX, MAX_UINT64 } from './constants.ts'
import { arrayBufferBacked, concat } from './bytes.ts'
import { checkPeerIdMultihash } from './keys.ts'
import { formatValidity } from './validity.ts'
import type { CreatePlainInit, CreateTaggedInit, IptsRecord } from './types.ts'
import type { PeerId, PrivateKey } from '@libp2p/interface'

const utf8 = new TextEncoder()

interface BuildInit extends Omit<CreateTaggedInit, 'tag'> {
  tag?: Uint8Array
  embedPublicKey: boolean
}

function tagBytes (tag: PeerId | Uint8Array): Uint8Array {
  const bytes = tag instanceof Uint8Array ? tag : tag?.toMultihash?.().bytes

  if (!(bytes instanceof Uint8Array)) {
    throw new InvalidTagError('tag must be a peer ID or its multihash bytes')
  }

  try {
    checkPeerIdMultihash(bytes)
  } catch (err: any) {
    throw new InvalidTagError(`tag is not a peer ID: ${err?.message}`)
  }

  return bytes.slice()
}

function uint64 (value: bigint | number, name: string): bigint {
  let n: bigint

  try {
    n = BigInt(value)
  } catch {
    throw new InvalidParametersError(`${name} must be an integer`)
  }

  if (n < 0n || n > MAX_UINT64) {
    throw new InvalidParametersError(`${name} must fit in a uint64`)
  }

  return n
}

async function build (privateKey: PrivateKey, init: BuildInit): Promise<IptsRecord> {
  const { value, now } = init

  if (typeof value !== 'string' || !value.startsWith('/') || value.length < 2 || value.trim() !== value) {
    throw new InvalidParametersError('value must be a content path starting with /, e.g. /ipfs/<cid>')
  }

  if (!Number.isSafeInteger(now)) {
    throw new InvalidParametersError('now must be an integer number of ms since the epoch')
  }

  const sequence = uint64(init.sequence, 'sequence')
  const ttl = uint64(init.ttl ?? DEFAULT_TTL_NS, 'ttl')
  const eol = init.eol ?? now + (init.lifetime ?? DEFAULT_LIFETIME)
  let validity: string

  try {
    validity = formatValidity(eol)
  } catch (err: any) {
    throw new InvalidParametersError(err.message)
  }

  const valueBytes = utf8.encode(value)
  const validityBytes = utf8.encode(validity)
  const fields: Record<string, unknown> = {
    Value: valueBytes,
    Validity: validityBytes,
    ValidityType: 0,
    Sequence: sequence,
    TTL: ttl
  }

  if (init.tag != null) {
    fields.Tag = init.tag
  }

  // @ipld/dag-cbor sorts map keys canonically (length first, then bytewise)
  const data = arrayBufferBacked(dagCbor.encode(fields))
  const signatureV2 = await privateKey.sign(concat(IPNS_SIGNATURE_PREFIX, data))
  const publicKey = privateKey.publicKey
  const entry: IpnsEntry = { signatureV2: arrayBufferBacked(signatureV2), data }

  if (init.embedPublicKey || publicKey.type === 'RSA') {
    entry.pubKey = arrayBufferBacked(publicKeyToProtobuf(publicKey))
  }

  if (init.v1Compatible === true) {
    entry.value = valueBytes
    entry.validity = validityBytes
    entry.validityType = IpnsEntry.ValidityType.EOL
    entry.sequence = sequence
    entry.ttl = ttl
    // V1 signature: value + validity + validity type as text, as the ipns package signs it
    entry.signatureV1 = arrayBufferBacked(await privateKey.sign(concat(concat(valueBytes, validityBytes), utf8.encode(IpnsEntry.ValidityType.EOL))))
  }

  const signer = publicKey.toMultihash().bytes
  const record: IptsRecord = {
    kind: init.tag == null ? 'plain' : 'tagged',
    routingKey: init.tag == null ? concat(IPNS_PREFIX, signer) : concat(IPTS_PREFIX, init.tag),
    signer,
    value,
    sequence,
    eol,
    ttl,
    bytes: IpnsEntry.encode(entry)
  }

  if (init.tag != null) {
    record.tag = init.tag
  }

  return record
}

/**
 * Creates and signs a tagged record: a standard IPNS V2 record whose signed data also
 * carries `Tag` (the receiver's peer-ID multihash), with the signer's public key embedded.
 * Throws `InvalidTagError` for a tag that is not a peer ID, `InvalidParametersError` for
 * other bad input.
 */
export async function createTaggedRecord (privateKey: PrivateKey, init: CreateTaggedInit): Promise<IptsRecord> {
  return build(privateKey, { ...init, tag: tagBytes(init.tag), embedPublicKey: true })
}

/** Creates and signs a plain (standard) IPNS V2 record for the key's own name. */
export async function createPlainRecord (privateKey: PrivateKey, init: CreatePlainInit): Promise<IptsRecord> {
  const { embedPublicKey, ...rest } = init
  return build(privateKey, { ...rest, tag: undefined, embedPublicKey: embedPublicKey ?? true })
}
