import type { PeerId } from '@libp2p/interface'

/** `tagged`: an IPNS record with a `Tag` (routed under `/ipts/<tag>`); `plain`: a standard IPNS record (`/ipns/<name>`). */
export type RecordKind = 'tagged' | 'plain'

/** A validated (or freshly created) record: the decoded fields plus its exact bytes. */
export interface IptsRecord {
  kind: RecordKind
  /** `/ipts/` (utf8) + tag multihash bytes, or `/ipns/` + name multihash bytes */
  routingKey: Uint8Array
  /** signer peer-ID multihash bytes (plain records: the name's multihash) */
  signer: Uint8Array
  /** tag multihash bytes (the receiver's peer ID), tagged records only */
  tag?: Uint8Array
  /** the record's value, e.g. `/ipfs/bafy...` */
  value: string
  sequence: bigint
  /** end of life, ms since the epoch, parsed from `Validity` */
  eol: number
  /** TTL in ns */
  ttl: bigint
  /** the marshalled IpnsEntry exactly as received or created */
  bytes: Uint8Array
}

export interface CreateTaggedInit {
  /** the receiver: its peer ID, or the bytes of its peer-ID multihash */
  tag: PeerId | Uint8Array
  /** a content path starting with `/`, e.g. `/ipfs/bafy...` */
  value: string
  /** version of the record; a higher one replaces a lower one */
  sequence: bigint | number
  /** lifetime from `now`, in ms. @default 86_400_000 (24 h) */
  lifetime?: number
  /** absolute end of life, ms since the epoch; overrides `lifetime` */
  eol?: number
  /** IPNS TTL in ns. @default 300_000_000_000n (5 min) */
  ttl?: bigint
  /** also fill the legacy V1 fields and `signatureV1`, as the ipns package does. @default false */
  v1Compatible?: boolean
  /** the current time, ms since the epoch */
  now: number
}

export interface CreatePlainInit extends Omit<CreateTaggedInit, 'tag'> {
  /** embed the public key (`pubKey`) so the record validates without its routing key. RSA keys are always embedded. @default true */
  embedPublicKey?: boolean
}

export interface ValidateOptions {
  /** the current time, ms since the epoch */
  now: number
  /** the routing key the record arrived under: the record must belong to it */
  routingKey?: Uint8Array
  /** size limit in bytes. @default 10240 */
  maxSize?: number
}
