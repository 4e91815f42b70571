/**
 * Tagged and plain IPNS records: create, validate, select, routing keys and topics, and
 * signed acknowledgements. Pure: no I/O, no libp2p node, no datastore, no clock (callers
 * pass `now`). Errors are the typed classes of `src/errors.ts`.
 */
export type { RecordKind, IptsRecord, CreateTaggedInit, CreatePlainInit, ValidateOptions } from './types.ts'
export { createTaggedRecord, createPlainRecord } from './create.ts'
export { RecordValidator, validateRecord, parseRecordData } from './validate.ts'
export type { RecordData } from './validate.ts'
export { compareRecords, isBetter } from './select.ts'
export { tagRoutingKey, nameRoutingKey, parseRoutingKey, topicForKey, keyForTopic, isRecordTopic } from './routing.ts'
export { createAck, validateAck } from './ack.ts'
export type { Ack, AckEntry, ValidateAckOptions } from './ack.ts'
export { parseValidity, formatValidity } from './validity.ts'
export {
  DEFAULT_LIFETIME, DEFAULT_TTL_NS, DEFAULT_KEY_CACHE_SIZE, MAX_RECORD_SIZE, MAX_ACK_SIZE,
  MAX_ACK_ENTRIES, TOPIC_PREFIX
} from './constants.ts'
