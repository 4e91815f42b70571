/**
 * Relay-to-relay reconciliation (`/ipts/sync/1.0.0`): two relays find the symmetric difference
 * of their item sets with rateless IBLT coded symbols, at a cost that grows with the difference
 * rather than the set size, then exchange exactly the missing items. See docs/protocol.md §9.
 */
export { sync, type SyncComponents } from './sync.ts'
export { SYNC_PROTOCOL } from './constants.ts'
export { encodeItem, decodeItem, symbolOf, ITEM_RECORD, ITEM_ACK, ITEM_TOPIC, type SyncItem } from './item.ts'
export type { Sync, SyncInit, SyncOptions, SyncSource, SyncStats, SyncEvents, SyncSessionEvent, SyncEndEvent, SyncErrorEvent } from './types.ts'
