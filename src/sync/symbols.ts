/**
 * Symbol lists: wire packing (8-byte big-endian each), set snapshots and the sorted-merge
 * difference used by the full-list fallback (pure, no I/O).
 */
import { InvalidSyncMessageError } from '../errors.ts'
import { SYMBOL_BYTES } from './constants.ts'

/** Pack symbols as concatenated 8-byte big-endian unsigned integers. */
export function packSymbols (symbols: ArrayLike<bigint>, start = 0, end = symbols.length): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array((end - start) * SYMBOL_BYTES)
  const view = new DataView(out.buffer)
  for (let i = start; i < end; i++) {
    view.setBigUint64((i - start) * SYMBOL_BYTES, symbols[i])
  }
  return out
}

/**
 * Unpack a symbol list. Throws `InvalidSyncMessageError` when the length is not a multiple of 8
 * or the list holds more than `max` symbols.
 */
export function unpackSymbols (bytes: Uint8Array, max: number): bigint[] {
  if (bytes.byteLength % SYMBOL_BYTES !== 0) {
    throw new InvalidSyncMessageError(`symbol list of ${bytes.byteLength} bytes is not a multiple of ${SYMBOL_BYTES}`)
  }
  const count = bytes.byteLength / SYMBOL_BYTES
  if (count > max) {
    throw new InvalidSyncMessageError(`symbol list of ${count} exceeds ${max}`)
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const out = new Array<bigint>(count)
  for (let i = 0; i < count; i++) {
    out[i] = view.getBigUint64(i * SYMBOL_BYTES)
  }
  return out
}

/** A sorted, duplicate-free copy of a symbol set. */
export function sortedUnique (symbols: Iterable<bigint> | ArrayLike<bigint>): BigUint64Array {
  const all = BigUint64Array.from(symbols as Iterable<bigint>)
  all.sort()
  let w = 0
  for (let r = 0; r < all.length; r++) {
    if (r === 0 || all[r] !== all[w - 1]) {
      all[w++] = all[r]
    }
  }
  return all.subarray(0, w)
}

export interface SetDifference {
  /** In `local` only. */
  localOnly: bigint[]
  /** In `remote` only. */
  remoteOnly: bigint[]
}

/** The difference of two sorted, duplicate-free sets, by one merge walk. */
export function sortedDifference (local: BigUint64Array, remote: BigUint64Array): SetDifference {
  const localOnly: bigint[] = []
  const remoteOnly: bigint[] = []
  let i = 0
  let j = 0
  while (i < local.length && j < remote.length) {
    if (local[i] === remote[j]) {
      i++
      j++
    } else if (local[i] < remote[j]) {
      localOnly.push(local[i++])
    } else {
      remoteOnly.push(remote[j++])
    }
  }
  while (i < local.length) localOnly.push(local[i++])
  while (j < remote.length) remoteOnly.push(remote[j++])
  return { localOnly, remoteOnly }
}
