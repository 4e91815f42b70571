/** Defaults and wire constants of the record module. */
import { KiB, day, minute } from '../constants.ts'

export { MAX_RECORD_SIZE } from '../constants.ts'

/** Default record lifetime when neither `lifetime` nor `eol` is given: 24 h, in ms. */
export const DEFAULT_LIFETIME = day

/** Default IPNS TTL: 5 min, in ns (the IPNS spec's suggestion, and what the ipns package uses). */
export const DEFAULT_TTL_NS = BigInt(5 * minute) * 1_000_000n

/** Default number of signer public keys (as parsed key objects) a `RecordValidator` keeps. */
export const DEFAULT_KEY_CACHE_SIZE = 10_000

/** Largest accepted signed acknowledgement, in bytes. */
export const MAX_ACK_SIZE = 64 * KiB

/** Most (signer, sequence) entries one acknowledgement may carry. */
export const MAX_ACK_ENTRIES = 1024

/** Routing-key prefix of plain IPNS names. */
export const IPNS_PREFIX = new TextEncoder().encode('/ipns/')

/** Routing-key prefix of tags. */
export const IPTS_PREFIX = new TextEncoder().encode('/ipts/')

/** Prefix of pubsub topics carrying records (IPNS-over-pubsub router). */
export const TOPIC_PREFIX = '/record/'

/** Domain separator of the IPNS V2 signature. */
export const IPNS_SIGNATURE_PREFIX = new TextEncoder().encode('ipns-signature:')

/** Domain separator of the acknowledgement signature. */
export const ACK_SIGNATURE_PREFIX = new TextEncoder().encode('ipts-ack:')

/** Largest EOL we can write as a 4-digit-year RFC3339 timestamp: 9999-12-31T23:59:59.999Z. */
export const MAX_EOL = 253_402_300_799_999

/** Largest value of a uint64 field. */
export const MAX_UINT64 = (1n << 64n) - 1n
