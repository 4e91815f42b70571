/**
 * Which of two records for the same (routing key, signer) slot is better: higher `Sequence`,
 * then later EOL, as the IPNS selector decides.
 *
 * Records that tie on both compare equal, whatever their bytes: anyone can re-encode a
 * record without touching its signed data (strip the V1 fields, append unknown protobuf
 * fields), so a byte-based tie-break would let a third party make relays replace and
 * re-broadcast a record at will. Keep the one already held.
 */
import type { IptsRecord } from './types.ts'

/** `> 0` if `a` is better than `b`, `< 0` if worse, `0` if neither. */
export function compareRecords (a: IptsRecord, b: IptsRecord): number {
  if (a.sequence !== b.sequence) {
    return a.sequence > b.sequence ? 1 : -1
  }

  if (a.eol !== b.eol) {
    return a.eol > b.eol ? 1 : -1
  }

  return 0
}

/** Whether `candidate` should replace `current` (always, when there is none). */
export function isBetter (candidate: IptsRecord, current: IptsRecord | undefined): boolean {
  return current == null || compareRecords(candidate, current) > 0
}
