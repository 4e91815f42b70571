/**
 * Framed sync items and their symbols (pure, no I/O).
 *
 * Everything two relays reconcile is an item: a record under its routing key, an
 * acknowledgement statement (whose tombstones travel with it), or a bare topic the relay
 * follows. An item's symbol is the big-endian uint64 of the first 8 bytes of SHA-256 over the
 * framed bytes, so two relays holding the same item hold the same symbol.
 *
 * Frames:
 * - `0x01 | u16be(len(routingKey)) | routingKey | record`: a record (IpnsEntry bytes)
 * - `0x02 | ack`: a SignedAck
 * - `0x03 | routingKey`: a topic followed without a record
 */
import { createHash } from 'node:crypto'
import { InvalidSyncItemError } from '../errors.ts'
import { MAX_SYNC_ITEM_SIZE, MAX_SYNC_ROUTING_KEY_SIZE } from './constants.ts'

export const ITEM_RECORD = 0x01
export const ITEM_ACK = 0x02
export const ITEM_TOPIC = 0x03

export type SyncItem =
  | { kind: 'record', routingKey: Uint8Array, record: Uint8Array }
  | { kind: 'ack', ack: Uint8Array }
  | { kind: 'topic', routingKey: Uint8Array }

/** Frame an item for sync. Throws `InvalidSyncItemError` when a part is empty or too large. */
export function encodeItem (item: SyncItem): Uint8Array<ArrayBuffer> {
  let out: Uint8Array<ArrayBuffer>
  switch (item.kind) {
    case 'record': {
      checkRoutingKey(item.routingKey)
      if (item.record.byteLength === 0) {
        throw new InvalidSyncItemError('empty record')
      }
      out = new Uint8Array(3 + item.routingKey.byteLength + item.record.byteLength)
      out[0] = ITEM_RECORD
      out[1] = item.routingKey.byteLength >> 8
      out[2] = item.routingKey.byteLength & 0xff
      out.set(item.routingKey, 3)
      out.set(item.record, 3 + item.routingKey.byteLength)
      break
    }
    case 'ack': {
      if (item.ack.byteLength === 0) {
        throw new InvalidSyncItemError('empty acknowledgement')
      }
      out = new Uint8Array(1 + item.ack.byteLength)
      out[0] = ITEM_ACK
      out.set(item.ack, 1)
      break
    }
    case 'topic': {
      checkRoutingKey(item.routingKey)
      out = new Uint8Array(1 + item.routingKey.byteLength)
      out[0] = ITEM_TOPIC
      out.set(item.routingKey, 1)
      break
    }
    default:
      throw new InvalidSyncItemError('unknown item kind')
  }
  if (out.byteLength > MAX_SYNC_ITEM_SIZE) {
    throw new InvalidSyncItemError(`item of ${out.byteLength} bytes exceeds ${MAX_SYNC_ITEM_SIZE}`)
  }
  return out
}

/**
 * Parse a framed item. The parts are views into `bytes`. Throws `InvalidSyncItemError` on an
 * unknown kind, a truncated frame, an empty part or an oversized item.
 */
export function decodeItem (bytes: Uint8Array): SyncItem {
  if (bytes.byteLength < 2) {
    throw new InvalidSyncItemError('item too short')
  }
  if (bytes.byteLength > MAX_SYNC_ITEM_SIZE) {
    throw new InvalidSyncItemError(`item of ${bytes.byteLength} bytes exceeds ${MAX_SYNC_ITEM_SIZE}`)
  }
  switch (bytes[0]) {
    case ITEM_RECORD: {
      if (bytes.byteLength < 3) {
        throw new InvalidSyncItemError('record item too short')
      }
      const keyLength = (bytes[1] << 8) | bytes[2]
      if (keyLength === 0 || keyLength > MAX_SYNC_ROUTING_KEY_SIZE) {
        throw new InvalidSyncItemError('bad routing key length')
      }
      if (3 + keyLength >= bytes.byteLength) {
        throw new InvalidSyncItemError('record item truncated')
      }
      return {
        kind: 'record',
        routingKey: bytes.subarray(3, 3 + keyLength),
        record: bytes.subarray(3 + keyLength)
      }
    }
    case ITEM_ACK:
      return { kind: 'ack', ack: bytes.subarray(1) }
    case ITEM_TOPIC: {
      const routingKey = bytes.subarray(1)
      checkRoutingKey(routingKey)
      return { kind: 'topic', routingKey }
    }
    default:
      throw new InvalidSyncItemError(`unknown item kind 0x${bytes[0].toString(16).padStart(2, '0')}`)
  }
}

/** The item's 64-bit symbol: big-endian uint64 of the first 8 bytes of sha256(framed bytes). */
export function symbolOf (itemBytes: Uint8Array): bigint {
  const digest = createHash('sha256').update(itemBytes).digest()
  return digest.readBigUInt64BE(0)
}

function checkRoutingKey (key: Uint8Array): void {
  if (key.byteLength === 0 || key.byteLength > MAX_SYNC_ROUTING_KEY_SIZE) {
    throw new InvalidSyncItemError('bad routing key length')
  }
}
