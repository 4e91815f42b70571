/**
 * Reading one's inbox: every record that reaches the receiver (from any relay's inbox stream,
 * or on the tag's topic) goes through `InboxReader.read`, which drops copies and stale versions,
 * verifies the record against the receiver's tag, opens the payload and returns the messages
 * not seen yet. No I/O: the client feeds it bytes.
 */
import { peerIdFromMultihash } from '@libp2p/peer-id'
import * as Digest from 'multiformats/hashes/digest'
import { toString as toBase64 } from 'uint8arrays'
import { sha256 } from '../crypto/sha256.ts'
import { IptsError } from '../errors.ts'
import { RecordValidator, isBetter, tagRoutingKey } from '../record/index.ts'
import { flattenEnvelope, valueToEnvelope } from './payload.ts'
import { describeValue } from './value.ts'
import type { Receipt } from './payload.ts'
import type { IptsRecord } from '../record/index.ts'
import type { PeerId, PrivateKey } from '@libp2p/interface'

/** Record hashes remembered to skip copies; past this the set starts over (it only saves work). */
const MAX_SEEN = 100_000

/** One message delivered to this receiver. */
export interface InboxMessage {
  /** The sender (the record's signer). */
  from: PeerId
  /** The sender's number for this message: the sequence of the record it was first sent in. */
  seq: bigint
  /** When the sender wrote it (absent for records that are plain pointers). */
  at?: Date
  /** The record's value: an inline `/ipfs/` payload, or the value of a record ipts did not make. */
  value: string
  /** The text, for inline messages that could be read (and inline UTF-8 in other tools' records). */
  text?: string
  /** A small file's bytes, with its `name` (and inline bytes that are not UTF-8 in other tools' records). */
  data?: Uint8Array
  name?: string
  /** A pointer to content to fetch from IPFS (`--cid`), or the CID of another tool's `/ipfs/` value. */
  cid?: string
  /** Whether the payload was sealed to this receiver. */
  encrypted: boolean
  /** End of life of the record that carried it. */
  expires: Date
  /** The record that carried it: what an acknowledgement covers. */
  record: { sequence: bigint, eol: number }
}

/** What one new record brought. */
export interface ReceivedRecord {
  record: IptsRecord
  from: PeerId
  /** Messages not delivered before (in this run, or acknowledged in an earlier one). */
  messages: InboxMessage[]
  /** Receipts the sender gives for our records. */
  receipts: Receipt[]
  /** False when the payload could not be opened or parsed: such records are not acknowledged. */
  readable: boolean
  /** Why it is not readable (or, when readable, what part of it was not). */
  reason?: string
}

export type ReadResult =
  | { status: 'new', received: ReceivedRecord }
  | { status: 'duplicate' | 'stale' }
  | { status: 'invalid', error: Error }

export interface InboxReaderInit {
  privateKey: PrivateKey
  /** Latest record sequence already acknowledged per sender (peer ID string): its messages are hidden. */
  acked?(from: string): bigint
  validator?: RecordValidator
}

export class InboxReader {
  readonly routingKey: Uint8Array
  private readonly privateKey: PrivateKey
  private readonly validator: RecordValidator
  private readonly acked: (from: string) => bigint
  /** Hashes of record bytes already read: the same record from another relay costs a hash, not a verify. */
  private readonly seen = new Set<string>()
  /** Best record per signer. */
  private readonly best = new Map<string, IptsRecord>()
  /** Highest message seq delivered per signer in this run. */
  private readonly delivered = new Map<string, bigint>()

  constructor (init: InboxReaderInit) {
    this.privateKey = init.privateKey
    this.routingKey = tagRoutingKey(init.privateKey.publicKey.toMultihash().bytes)
    this.validator = init.validator ?? new RecordValidator()
    this.acked = init.acked ?? (() => -1n)
  }

  read (bytes: Uint8Array, now: number): ReadResult {
    const hash = toBase64(sha256(bytes), 'base64')
    if (this.seen.has(hash)) return { status: 'duplicate' }
    let record: IptsRecord
    try {
      record = this.validator.validate(bytes, { now, routingKey: this.routingKey })
    } catch (err: any) {
      if (err instanceof IptsError) return { status: 'invalid', error: err }
      throw err
    }
    if (this.seen.size >= MAX_SEEN) this.seen.clear()
    this.seen.add(hash)
    const signer = record.signer
    const fromKey = toBase64(signer, 'base64')
    if (!isBetter(record, this.best.get(fromKey))) return { status: 'stale' }
    this.best.set(fromKey, record)
    const from = peerIdFromMultihash(Digest.decode(signer))
    return { status: 'new', received: this.open(record, from) }
  }

  private open (record: IptsRecord, from: PeerId): ReceivedRecord {
    const fromText = from.toString()
    const floor = bigMax(this.acked(fromText), this.delivered.get(fromText) ?? -1n)
    const base = { value: record.value, expires: new Date(record.eol), record: { sequence: record.sequence, eol: record.eol } }
    let decoded
    try {
      decoded = valueToEnvelope(record.value, { privateKey: this.privateKey, sender: from })
    } catch (err: any) {
      return { record, from, messages: [], receipts: [], readable: false, reason: err?.message ?? String(err) }
    }
    if (decoded.pointer != null) {
      // a record ipts did not make (or a bare pointer): its value is the message, numbered by
      // the record, with what the value holds (text, data or a CID)
      const messages: InboxMessage[] = record.sequence > floor
        ? [{ from, seq: record.sequence, ...base, ...describeValue(decoded.pointer), encrypted: false }]
        : []
      this.markDelivered(fromText, record.sequence)
      return { record, from, messages, receipts: [], readable: true }
    }
    if (decoded.envelope == null) {
      return { record, from, messages: [], receipts: [], readable: false, reason: 'sealed to another key' }
    }
    // payloads of earlier records the sender carried after losing its state (protocol section 8)
    const { envelope, unreadable } = decoded.envelope.carried == null
      ? { envelope: decoded.envelope, unreadable: 0 }
      : flattenEnvelope(decoded.envelope, { privateKey: this.privateKey, sender: from })
    const messages: InboxMessage[] = []
    let highest = floor
    for (const m of envelope.messages) {
      if (m.seq <= floor) continue
      const message: InboxMessage = { from, seq: m.seq, at: new Date(m.at), ...base, encrypted: decoded.encrypted }
      if (m.text != null) message.text = m.text
      if (m.data != null) message.data = m.data
      if (m.name != null) message.name = m.name
      if (m.cid != null) message.cid = m.cid
      messages.push(message)
      highest = bigMax(highest, m.seq)
    }
    this.markDelivered(fromText, highest)
    const received: ReceivedRecord = { record, from, messages, receipts: envelope.receipts, readable: true }
    if (unreadable > 0) received.reason = `${unreadable} carried earlier payload(s) could not be opened`
    return received
  }

  private markDelivered (from: string, seq: bigint): void {
    this.delivered.set(from, bigMax(this.delivered.get(from) ?? -1n, seq))
  }
}

export function bigMax (a: bigint, b: bigint): bigint {
  return a > b ? a : b
}
