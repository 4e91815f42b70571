/**
 * Tagged records as another tagged-IPNS tool would make them: an ordinary IPNS record from the
 * `ipns` package, with the `Tag` field added to its signed data by hand and the V2 signature
 * redone. None of ipts's record or payload helpers are involved.
 */
import * as dagCbor from '@ipld/dag-cbor'
import { publicKeyToProtobuf } from '@libp2p/crypto/keys'
import { createIPNSRecord, marshalIPNSRecord } from 'ipns'
import { CID } from 'multiformats/cid'
import { identity } from 'multiformats/hashes/identity'
import type { PeerId, PrivateKey } from '@libp2p/interface'

export interface ForeignRecordOptions {
  /** ms. @default 1 hour */
  lifetime?: number
  /** Also write the legacy V1 fields and signature. @default false */
  v1Compatible?: boolean
}

/** `signer`'s record for `tag` with `value` (a CID or a path, as the ipns package takes it). */
export async function foreignTaggedRecord (signer: PrivateKey, tag: PeerId, value: CID | string, sequence: bigint, options: ForeignRecordOptions = {}): Promise<Uint8Array> {
  const record = await createIPNSRecord(signer, value, sequence, options.lifetime ?? 3_600_000, { v1Compatible: options.v1Compatible ?? false })
  const data = dagCbor.decode<Record<string, unknown>>(record.data)
  data.Tag = tag.toMultihash().bytes
  const tagged = dagCbor.encode(data)
  const signatureV2 = await signer.sign(Buffer.concat([Buffer.from('ipns-signature:'), tagged]))
  // Ed25519 names carry their key in the peer ID, so the ipns package does not embed it; a
  // tagged record's routing key names the receiver, so the signer's key must travel inside
  return marshalIPNSRecord({ ...record, data: tagged, signatureV2, pubKey: publicKeyToProtobuf(signer.publicKey) })
}

/** An identity CID of `content` (UTF-8 when a string) with codec raw unless told. */
export function inlineCid (content: string | Uint8Array, codec = 0x55): CID {
  const bytes = typeof content === 'string' ? new TextEncoder().encode(content) : content
  return CID.createV1(codec, identity.digest(bytes))
}
