/**
 * The next record to a peer, from what we owe it: every message it has not acknowledged (the
 * outbox), the new message if any, and our receipt for its latest record we acknowledged.
 * Pure: takes the peer's state and `now`, returns the record's value, sequence and EOL.
 */
import { fromString as fromBase64, toString as toBase64 } from 'uint8arrays'
import { OutboxFullError, PayloadTooLargeError } from '../errors.ts'
import { envelopeToValue, fitsInline, maxInlineBytes } from './payload.ts'
import { pruneExpired } from './state.ts'
import type { Envelope, Message } from './payload.ts'
import type { PeerState, StoredMessage } from './state.ts'
import type { PeerId } from '@libp2p/interface'

/** What the sender writes. */
export interface NewMessage {
  text?: string
  data?: Uint8Array
  /** the file's name, with `data` */
  name?: string
  cid?: string
  /** seal the record to the receiver */
  encrypt: boolean
  /** how long relays should keep it, ms */
  lifetime: number
}

export interface DraftInit {
  /** the receiver */
  to: PeerId
  /** the signer (bound into the sealed payload) */
  from: PeerId
  /** a new message to add; absent for a record that only carries receipts */
  message?: NewMessage
  /** lifetime of a record that carries no message, ms */
  receiptLifetime: number
  now: number
}

export interface Draft {
  sequence: bigint
  value: string
  eol: number
  encrypted: boolean
  /** messages the record carries */
  messages: number
}

/**
 * Updates `state` (prunes expired messages, adds the new one, takes the next sequence) and
 * returns the record to sign. On error `state` may be partly pruned but holds no new message
 * and the same sequence.
 *
 * @throws PayloadTooLargeError if the new message alone does not fit in a record
 * @throws OutboxFullError if it fits alone but not with the messages still unacknowledged
 */
export function draftRecord (state: PeerState, init: DraftInit): Draft {
  pruneExpired(state, init.now)
  const sequence = BigInt(state.seq) + 1n
  const outbox = [...state.outbox]
  if (init.message != null) {
    const stored = toStored(init.message, sequence, init.now)
    checkMessageFits(init.message, init.to)
    outbox.push(stored)
  }
  // a record is readable by relays only if every message in it was sent unencrypted
  const encrypted = outbox.length === 0 || outbox.some(m => m.encrypt)
  const carried = state.carried ?? []
  const envelope: Envelope = {
    messages: outbox.map(fromStored),
    receipts: state.acked == null ? [] : [{ seq: BigInt(state.acked.seq), at: state.acked.at }]
  }
  if (carried.length > 0) envelope.carried = carried.map(c => fromBase64(c.payload, 'base64pad'))
  let value: string
  try {
    value = envelopeToValue(envelope, { encryptTo: encrypted ? init.to : undefined, sender: init.from })
  } catch (err: any) {
    if (err?.name === PayloadTooLargeError.name && init.message != null) {
      const earlier = carried.length > 0
        ? `${state.outbox.length} earlier message(s) and an unread earlier record (${carried.reduce((n, c) => n + Math.floor(c.payload.length * 3 / 4), 0)} bytes, kept by relays from before this repo lost its state)`
        : `${state.outbox.length} earlier message(s)`
      throw new OutboxFullError(`${earlier} to ${init.to.toString()} are not acknowledged yet and leave no room for this one; wait for a receipt or send a CID`, { cause: err })
    }
    throw err
  }
  const expiries = [...outbox.map(m => m.expires), ...carried.map(c => c.expires)]
  const eol = expiries.length === 0
    ? init.now + init.receiptLifetime
    : Math.max(...expiries)
  state.outbox = outbox
  state.seq = sequence.toString()
  return { sequence, value, eol, encrypted, messages: outbox.length }
}

/**
 * Throws PayloadTooLargeError if `message` alone would not fit in a record to `to`: cheap to
 * check before any network work.
 */
export function checkMessageFits (message: NewMessage, to: PeerId): void {
  // the widest sequence and time, so a message that passes here fits whatever its numbers
  const alone: Envelope = { messages: [fromStored(toStored(message, (1n << 64n) - 1n, Number.MAX_SAFE_INTEGER - message.lifetime))], receipts: [] }
  if (!fitsInline(alone, { encryptTo: message.encrypt ? to : undefined })) {
    const size = message.data?.byteLength ?? new TextEncoder().encode(message.text ?? '').byteLength
    const limit = maxInlineBytes({ encrypted: message.encrypt })
    throw new PayloadTooLargeError(`${message.data != null ? 'file' : 'message'} is ${size} bytes; at most about ${limit} bytes travel inline: add it to IPFS and send its CID with --cid`)
  }
}

function toStored (message: NewMessage, seq: bigint, now: number): StoredMessage {
  const stored: StoredMessage = { seq: seq.toString(), at: now, expires: now + message.lifetime, encrypt: message.encrypt }
  if (message.text != null) stored.text = message.text
  if (message.data != null) stored.data = toBase64(message.data, 'base64pad')
  if (message.name != null) stored.name = message.name
  if (message.cid != null) stored.cid = message.cid
  return stored
}

function fromStored (stored: StoredMessage): Message {
  const message: Message = { seq: BigInt(stored.seq), at: stored.at }
  if (stored.text != null) message.text = stored.text
  if (stored.data != null) message.data = fromBase64(stored.data, 'base64pad')
  if (stored.name != null) message.name = stored.name
  if (stored.cid != null) message.cid = stored.cid
  return message
}
