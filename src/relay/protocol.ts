/** The relay stream protocol's name and limits, shared by the relay's server and the client. */
import { KiB, MiB } from '../constants.ts'

export const RELAY_PROTOCOL = '/ipts/relay/1.0.0'
/** Largest request a relay reads: one record or one ack, plus framing. */
export const MAX_REQUEST_BYTES = 80 * KiB
/** Largest response a client reads: one inbox page. */
export const MAX_RESPONSE_BYTES = 4 * MiB
/** Records per inbox page when the request does not say. */
export const DEFAULT_PAGE_SIZE = 256
/** Records per inbox page at most (256 x 10 KiB = 2.5 MiB, under MAX_RESPONSE_BYTES). */
export const MAX_PAGE_SIZE = 256
