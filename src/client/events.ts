/**
 * Progress events of the client's long operations, passed to `onProgress`. The CLI renders them
 * (a progress line on a TTY, one line per event otherwise); libraries can log or ignore them.
 * Shaped like libp2p's progress events: `{ type, detail }`, types namespaced by operation.
 */
import type { PeerId } from '@libp2p/interface'

export type ClientProgressEvent =
  /** Relays reached for this operation, and the ones that could not be. */
  | { type: 'relays:reached', detail: { relays: PeerId[], failed: Array<{ relay: string, error: Error }> } }
  /** A relay confirmed it holds the record at `sequence` (ours or better). */
  | { type: 'custody:confirmed', detail: { relay: PeerId, sequence: bigint, confirmed: number, needed: number } }
  /**
   * The message went out numbered `seq`, above what this client's state knew: relays showed the
   * receiver acknowledged up to `acked`, or held our unread record `held` (carried inside the new
   * one when `carried`). Happens when the state was lost; said once per send.
   */
  | { type: 'send:renumbered', detail: { to: PeerId, seq: bigint, acked?: bigint, held?: bigint, carried: boolean, replaced?: bigint } }
  /**
   * The receiver named its chosen relays (`wanted` of them, `min` to hold each message): custody is
   * sought on those reached (`chosen`, in its order); with none reached, on any relay (`fallback`).
   */
  | { type: 'send:route', detail: { to: PeerId, chosen: PeerId[], wanted: number, min: number, fallback: boolean, failed: Array<{ relay: string, error: Error }> } }
  /** A relay refused the record; it is not asked again. */
  | { type: 'custody:refused', detail: { relay: PeerId, reason: string } }
  /** A PUT failed; it is retried after `delay` ms. */
  | { type: 'custody:retry', detail: { relay: PeerId, error: Error, delay: number } }
  /** One relay's inbox was read to the end. */
  | { type: 'inbox:drained', detail: { relay: PeerId, records: number } }
  /** Every reachable relay was drained once (with `watch`, new records come on the topic from now on). */
  | { type: 'inbox:caught-up', detail: { relays: number, drained: number } }
  /** One relay's inbox could not be read (the others still are). */
  | { type: 'inbox:relay-failed', detail: { relay: PeerId, error: Error } }
  /** A record under our tag failed validation and was dropped. */
  | { type: 'inbox:invalid', detail: { error: Error } }
  /** A valid record whose payload could not be opened (sealed to another key, malformed). */
  | { type: 'inbox:unreadable', detail: { from: PeerId, sequence: bigint, reason: string } }
  /** A relay applied our acknowledgement. */
  | { type: 'ack:applied', detail: { relay: PeerId, deleted: number } }
  /** A relay did not apply our acknowledgement. */
  | { type: 'ack:failed', detail: { relay: PeerId, error: Error } }
  /** A receipt record reached at least one relay. */
  | { type: 'receipt:sent', detail: { to: PeerId, seq: bigint, relays: PeerId[] } }
  /** A receipt record could not be handed to any relay; it goes out with the next record to that peer. */
  | { type: 'receipt:failed', detail: { to: PeerId, error: Error } }
  /** A peer acknowledged our records up to `seq`. */
  | { type: 'receipt:received', detail: { from: PeerId, seq: bigint, at: Date } }

export type ClientProgressType = ClientProgressEvent['type']

export interface ProgressOptions {
  /** Called with each progress event of the operation. */
  onProgress?(evt: ClientProgressEvent): void
}
