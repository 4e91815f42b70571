/**
 * Routing keys and pubsub topics, as the IPNS-over-pubsub router defines them:
 * key = `/ipns/` + name multihash (plain) or `/ipts/` + tag multihash (tagged), and
 * topic = `/record/` + base64url-unpadded(key).
 */
import { base64url } from 'multiformats/bases/base64'
import { InvalidRoutingKeyError } from '../errors.ts'
import { IPNS_PREFIX, IPTS_PREFIX, TOPIC_PREFIX } from './constants.ts'
import { concat, startsWith } from './bytes.ts'
import { checkPeerIdMultihash } from './keys.ts'
import type { RecordKind } from './types.ts'

function checkedMultihash (multihash: Uint8Array): Uint8Array {
  if (!(multihash instanceof Uint8Array)) {
    throw new InvalidRoutingKeyError('multihash must be a Uint8Array')
  }

  try {
    checkPeerIdMultihash(multihash)
  } catch (err: any) {
    throw new InvalidRoutingKeyError(`not a peer ID multihash: ${err?.message}`)
  }

  return multihash
}

/** `/ipts/` + the tag's peer-ID multihash. Throws `InvalidRoutingKeyError` for a tag that is not a peer ID. */
export function tagRoutingKey (tag: Uint8Array): Uint8Array {
  return concat(IPTS_PREFIX, checkedMultihash(tag))
}

/** `/ipns/` + the name's peer-ID multihash. Throws `InvalidRoutingKeyError` for a name that is not a peer ID. */
export function nameRoutingKey (name: Uint8Array): Uint8Array {
  return concat(IPNS_PREFIX, checkedMultihash(name))
}

/**
 * Splits a routing key into its kind and peer-ID multihash (a view into `key`).
 * Throws `InvalidRoutingKeyError` for anything but `/ipns/<peer ID>` or `/ipts/<peer ID>`.
 */
export function parseRoutingKey (key: Uint8Array): { kind: RecordKind, multihash: Uint8Array } {
  if (!(key instanceof Uint8Array)) {
    throw new InvalidRoutingKeyError('routing key must be a Uint8Array')
  }

  let kind: RecordKind

  if (startsWith(key, IPTS_PREFIX)) {
    kind = 'tagged'
  } else if (startsWith(key, IPNS_PREFIX)) {
    kind = 'plain'
  } else {
    throw new InvalidRoutingKeyError('routing key must start with /ipns/ or /ipts/')
  }

  return { kind, multihash: checkedMultihash(key.subarray(IPNS_PREFIX.byteLength)) }
}

/** The pubsub topic of a routing key: `/record/` + base64url-unpadded(key). */
export function topicForKey (key: Uint8Array): string {
  parseRoutingKey(key)
  return TOPIC_PREFIX + base64url.baseEncode(key)
}

/**
 * The routing key of a `/record/` topic. Throws `InvalidRoutingKeyError` for any other topic,
 * for non-canonical base64url, and for keys that are not `/ipns/` or `/ipts/` + a peer ID.
 */
export function keyForTopic (topic: string): Uint8Array {
  if (typeof topic !== 'string' || !topic.startsWith(TOPIC_PREFIX)) {
    throw new InvalidRoutingKeyError('topic must start with /record/')
  }

  const encoded = topic.slice(TOPIC_PREFIX.length)
  let key: Uint8Array

  try {
    key = base64url.baseDecode(encoded)
  } catch {
    throw new InvalidRoutingKeyError('topic is not base64url')
  }

  // one key, one topic: refuse alternative encodings (trailing bits, padding)
  if (base64url.baseEncode(key) !== encoded) {
    throw new InvalidRoutingKeyError('topic is not canonical base64url')
  }

  parseRoutingKey(key)
  return key
}

/** Whether `topic` is a `/record/` topic of a valid `/ipns/` or `/ipts/` routing key. */
export function isRecordTopic (topic: string): boolean {
  try {
    keyForTopic(topic)
    return true
  } catch {
    return false
  }
}
