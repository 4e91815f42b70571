/**
 * A sender whose state is behind the relays (its `client/state.json` was lost, or restored from
 * an old backup) writes again without losing anything (protocol section 8, "A sender that lost
 * its state"):
 * - relays say what they know of its records to the receiver: the sequence the receiver
 *   acknowledged (a tombstone: `acked`) and the record they hold unacknowledged (`QUERY` with
 *   the record);
 * - the next record is numbered above both, so relays take it and the receiver, which hides what
 *   it acknowledged, shows the message;
 * - an unacknowledged record the state does not know is carried whole (its payload, sealed to
 *   the receiver, which the sender cannot open) so the new record does not erase it.
 */
import { toString as toBase64 } from 'uint8arrays'
import { RelayResponse } from '../pb/relay.ts'
import { isBetter, tagRoutingKey } from '../record/index.ts'
import { bytesEqual } from '../record/bytes.ts'
import { IptsError } from '../errors.ts'
import { PUT_TIMEOUT } from './custody.ts'
import { queryRecord } from './relay-rpc.ts'
import { anySignal, shortPeer } from './util.ts'
import { isIptsPayload } from './payload.ts'
import { RAW_CODEC, inlineContent } from './value.ts'
import type { IptsNode } from '../node.ts'
import type { IptsRecord, RecordValidator } from '../record/index.ts'
import type { StoredCarried } from './state.ts'
import type { AbortOptions, PeerId } from '@libp2p/interface'

/**
 * Sequences relays report at or above this are not believed: honest numbering, one per record,
 * never gets there, and a relay that lied with 2^64 - 1 would leave the sender no sequence to
 * write with. Below it a relay's word is taken (as custody takes it): a lying relay can make the
 * sender skip numbers, nothing worse.
 */
export const MAX_BELIEVED_SEQUENCE = 1n << 63n

/** What relays know of our records to one receiver. */
export interface RelayView {
  /** Highest sequence the receiver acknowledged (from tombstones), -1n if none. */
  acked: bigint
  /** Our best record they hold (validated, signed by us), if any. */
  held?: IptsRecord
  /** Relays that did not answer, with why. */
  failed: Array<{ relay: PeerId, error: string }>
}

/** Asks every relay (in parallel, bounded) what it holds and tombstones for (to, us). */
export async function probeRelays (node: IptsNode, validator: RecordValidator, relays: PeerId[], to: PeerId, self: PeerId,
  options: AbortOptions & { now: number }): Promise<RelayView> {
  const key = tagRoutingKey(to.toMultihash().bytes)
  const signer = self.toMultihash().bytes
  const view: RelayView = { acked: -1n, failed: [] }
  await Promise.all(relays.map(async relay => {
    try {
      const answer = await queryRecord(node, relay, key, signer, { withRecord: true, signal: anySignal([options.signal, AbortSignal.timeout(PUT_TIMEOUT)]) })
      view.acked = believe(answer.acked, view.acked)
      if (answer.status !== RelayResponse.Status.OK) return
      for (const bytes of answer.records) {
        const record = validator.validate(bytes, { now: options.now, routingKey: key })
        if (bytesEqual(record.signer, signer) && record.sequence < MAX_BELIEVED_SEQUENCE && isBetter(record, view.held)) {
          view.held = record
        }
      }
    } catch (err: any) {
      if (!(err instanceof IptsError) && options.signal?.aborted === true) throw err
      view.failed.push({ relay, error: `${shortPeer(relay)}: ${err?.message ?? String(err)}` })
    }
  }))
  return view
}

/** `claimed` if it is believable and above `current`, else `current`. */
export function believe (claimed: bigint | undefined, current: bigint): bigint {
  return claimed != null && claimed < MAX_BELIEVED_SEQUENCE && claimed > current ? claimed : current
}

/** How the next record is numbered, and what it carries, when the state is behind. */
export interface Recovery {
  /** Number the record above this. */
  above: bigint
  /** The message that was numbered too low: dropped from the outbox and added again. */
  replaces?: bigint
  /** An unacknowledged record of ours the state did not know, to carry. */
  carry?: StoredCarried
  /** It held something that cannot be carried (not an ipts payload): it will be replaced. */
  uncarried?: bigint
}

/** What the sender is told once when its message was renumbered. */
export interface Renumbered {
  /** The receiver acknowledged our records up to this sequence (relays' tombstones). */
  acked?: bigint
  /** Relays held our unacknowledged record with this sequence. */
  held?: bigint
  /** That record travels inside the new one. */
  carried: boolean
  /** Relays held this record of ours, which is not an ipts payload and so cannot be carried: the new one replaces it. */
  replaced?: bigint
}

/**
 * The recovery for a state whose last sequence to the receiver is `stateSeq`, given what relays
 * say (`view`, plus the highest `acked` and held sequence custody answers reported), or
 * undefined when the state is not behind.
 */
export function planRecovery (view: RelayView, stateSeq: bigint, reported: { acked?: bigint, held?: bigint } = {}): Recovery | undefined {
  const acked = believe(reported.acked, view.acked)
  const heldSeq = view.held?.sequence ?? -1n
  const above = [acked, heldSeq, believe(reported.held, -1n)].reduce((a, b) => (b > a ? b : a), -1n)
  if (above <= stateSeq) return undefined
  const recovery: Recovery = { above }
  // a record the receiver has not acknowledged, newer than anything the state knows: carry it
  if (view.held != null && heldSeq > acked && heldSeq > stateSeq) {
    const payload = carriedPayload(view.held.value)
    if (payload == null) {
      recovery.uncarried = heldSeq
    } else {
      recovery.carry = { seq: heldSeq.toString(), payload: toBase64(payload, 'base64pad'), expires: view.held.eol }
    }
  }
  return recovery
}

/** The payload bytes of an ipts inline value, else undefined (another tool's value). */
function carriedPayload (value: string): Uint8Array | undefined {
  const payload = inlineContent(value, RAW_CODEC)
  return payload != null && isIptsPayload(payload) ? payload : undefined
}
