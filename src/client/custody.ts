/**
 * Custody: hand a record to relays and learn, per relay, that it holds the record at our
 * sequence or better. A relay that fails (dial, stream, timeout) is retried with backoff until
 * the caller's signal ends the wait; a relay that refuses the record is not asked again.
 *
 * A confirmation counts only with its proof: the relay's answer carries the record it holds for
 * (tag, signer), which must be our own bytes or a later record we signed (`custodyProof`). A
 * relay whose answer does not prove it is treated as refusing. Each relay counts once.
 */
import { second } from '../constants.ts'
import { CustodyRefusedError, CustodyTimeoutError } from '../errors.ts'
import { RelayResponse } from '../pb/relay.ts'
import { RecordValidator } from '../record/index.ts'
import { bytesEqual } from '../record/bytes.ts'
import { putRecord } from './relay-rpc.ts'
import { anySignal, defer, shortPeer, sleep } from './util.ts'
import type { ClientProgressEvent } from './events.ts'
import type { IptsNode } from '../node.ts'
import type { IptsRecord } from '../record/index.ts'
import type { AbortOptions, PeerId } from '@libp2p/interface'

/** Time allowed for one PUT to one relay, ms. */
export const PUT_TIMEOUT = 10 * second
/** First retry delay after a failed PUT, ms; doubles up to RETRY_MAX. */
export const RETRY_MIN = 250
export const RETRY_MAX = 4 * second

export interface CustodyOptions extends AbortOptions {
  /** Confirmations needed. */
  minRelays: number
  /** The clock, for checking the records relays return. @default Date.now */
  now?(): number
  onProgress?(evt: ClientProgressEvent): void
}

export interface CustodyResult {
  /** Relays that confirmed, in the order they did. */
  confirmed: PeerId[]
  /** The highest sequence any relay said it holds (may be above ours). */
  held: bigint
  /**
   * The highest sequence relays said the receiver acknowledged, when they refused the record as
   * `tombstoned`; -1n when none did. At or above the record's sequence, the sender's numbering
   * is behind: the result then comes as soon as every relay answered once, confirmed or not.
   */
  acked: bigint
}

export async function ensureCustody (node: IptsNode, relayList: PeerId[], record: IptsRecord, options: CustodyOptions): Promise<CustodyResult> {
  const { minRelays } = options
  const now = options.now ?? Date.now
  const validator = new RecordValidator()
  // a relay named twice still counts once
  const relays = [...new Map(relayList.map(r => [r.toString(), r])).values()]
  const confirmed: PeerId[] = []
  const refused = new Map<string, string>()
  const lastError = new Map<string, string>()
  let held = -1n
  let acked = -1n
  let firstRound = relays.length
  const done = defer<void>()
  // ends the retries once the caller is answered
  const stop = new AbortController()
  const signal = anySignal([stop.signal, options.signal])

  const check = (): void => {
    // refused as already acknowledged: the caller renumbers, so waiting for more is pointless
    const behind = acked >= record.sequence
    if (confirmed.length >= minRelays && (firstRound === 0 || confirmed.length === relays.length)) {
      done.resolve()
    } else if (behind && (firstRound === 0 || relays.length - refused.size < minRelays)) {
      done.resolve()
    } else if (relays.length - refused.size < minRelays) {
      const reasons = [...refused.entries()].map(([peer, reason]) => `${shortPeer(peer)}: ${reason}`).join(', ')
      done.reject(new CustodyRefusedError(`relays refused the record (${reasons}); ${confirmed.length} of ${minRelays} needed confirmed`))
    }
  }

  const attempt = async (relay: PeerId): Promise<void> => {
    let delay = RETRY_MIN
    let first = true
    while (!signal.aborted) {
      try {
        const response = await putRecord(node, relay, record.routingKey, record.bytes, {
          signal: anySignal([signal, AbortSignal.timeout(PUT_TIMEOUT)])
        })
        if (response.status === RelayResponse.Status.OK) {
          const proof = custodyProof(record, response, validator, now())
          if (proof.held == null) {
            // a relay that claims what it cannot show will not show it on a retry either
            const reason = `unproven confirmation: ${proof.reason}`
            refused.set(relay.toString(), reason)
            options.onProgress?.({ type: 'custody:refused', detail: { relay, reason } })
            return
          }
          if (proof.held > held) held = proof.held
          if (!confirmed.some(c => c.equals(relay))) confirmed.push(relay)
          options.onProgress?.({ type: 'custody:confirmed', detail: { relay, sequence: proof.held, confirmed: confirmed.length, needed: minRelays } })
          return
        }
        if (response.status === RelayResponse.Status.REFUSED) {
          const reason = response.error ?? 'refused'
          if (response.acked != null && response.acked > acked) acked = response.acked
          refused.set(relay.toString(), reason)
          options.onProgress?.({ type: 'custody:refused', detail: { relay, reason } })
          return
        }
        throw new Error(`relay answered ${RelayResponse.Status[response.status]}${response.error != null ? ` (${response.error})` : ''} with sequence ${String(response.sequence)}`)
      } catch (err: any) {
        if (signal.aborted) return
        lastError.set(relay.toString(), err?.message ?? String(err))
        options.onProgress?.({ type: 'custody:retry', detail: { relay, error: err, delay } })
      } finally {
        if (first) {
          first = false
          firstRound--
        }
        check()
      }
      await sleep(delay, signal)
      delay = Math.min(delay * 2, RETRY_MAX)
    }
  }

  const onAbort = (): void => {
    const missing = relays.filter(r => !confirmed.some(c => c.equals(r)))
      .map(r => `${shortPeer(r.toString())}: ${refused.get(r.toString()) ?? lastError.get(r.toString()) ?? 'no answer'}`)
    done.reject(new CustodyTimeoutError(`${confirmed.length} of ${minRelays} relays confirmed custody in time (${missing.join(', ')})`))
  }
  options.signal?.addEventListener('abort', onAbort, { once: true })
  // an abort event fires only once: a signal that has already ended gets no event
  if (options.signal?.aborted === true) onAbort()
  const tasks = relays.map(async relay => attempt(relay))
  check()
  try {
    await done.promise
    return { confirmed: [...confirmed], held, acked }
  } finally {
    options.signal?.removeEventListener('abort', onAbort)
    stop.abort()
    await Promise.allSettled(tasks)
  }
}

/**
 * What a relay's `OK` to a PUT proves about custody of `record`. The answer must carry exactly
 * one record, the one the relay holds for (tag, signer), and announce its sequence:
 * - our own bytes, announced at our sequence: the relay holds our record;
 * - a valid record for the same tag, signed by us, at a later sequence than ours (announced
 *   as such): the relay holds a later record of ours (our state was lost), which is custody of
 *   our sequence "or better".
 * Anything else (no record, another tag or signer, a bad signature, an expired record, a
 * sequence that does not match, another record of ours at our own sequence or below) proves
 * nothing. This shows the relay had the record when it answered, not that it keeps it.
 */
export function custodyProof (record: IptsRecord, response: RelayResponse, validator: RecordValidator, now: number): { held?: bigint, reason: string } {
  if (response.records.length !== 1) return { reason: `the answer carries ${response.records.length} records, not the one held` }
  const bytes = response.records[0]
  if (equalBytes(bytes, record.bytes)) {
    return response.sequence === record.sequence
      ? { held: record.sequence, reason: 'holds our record' }
      : { reason: `announced sequence ${String(response.sequence)} for our record ${record.sequence}` }
  }
  let held: IptsRecord
  try {
    held = validator.validate(bytes, { now, routingKey: record.routingKey })
  } catch (err: any) {
    return { reason: `the record it returned is not valid for this tag (${String(err?.name ?? err)})` }
  }
  if (!equalBytes(held.signer, record.signer)) return { reason: 'the record it returned is signed by someone else' }
  if (held.sequence !== response.sequence) return { reason: `announced sequence ${String(response.sequence)} but returned ${held.sequence}` }
  if (held.sequence <= record.sequence) return { reason: `holds another record of ours at sequence ${held.sequence}` }
  return { held: held.sequence, reason: 'holds a later record of ours' }
}

function equalBytes (a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && bytesEqual(a, b)
}
