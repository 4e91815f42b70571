/**
 * What the simulated messages look like inside a record value, the same for all three systems:
 * an `/ipfs/` path of an inline CID (raw codec, identity multihash, base64url) whose bytes are
 * DAG-CBOR `{ m: [[to, id, text], ...] }`. `to` is the receiver's user index (a plain IPNS name
 * carries messages to several receivers; a tagged record to one). The text is random filler of
 * the configured size: relays never look inside, and the sim measures sizes, not content.
 */
import * as dagCbor from '@ipld/dag-cbor'
import { CID } from 'multiformats/cid'
import { base64url } from 'multiformats/bases/base64'
import { identity } from 'multiformats/hashes/identity'

const RAW = 0x55
const PREFIX = '/ipfs/'

export interface SimMessage {
  to: number
  id: number
  text: Uint8Array
}

export function encodeValue (messages: SimMessage[]): string {
  const bytes = dagCbor.encode({ m: messages.map(m => [m.to, m.id, m.text]) })
  return PREFIX + CID.createV1(RAW, identity.digest(bytes)).toString(base64url)
}

/** The messages in a value; [] for anything that is not one of ours. */
export function decodeValue (value: string): SimMessage[] {
  if (!value.startsWith(PREFIX)) return []
  try {
    const cid = CID.parse(value.slice(PREFIX.length), base64url)
    if (cid.multihash.code !== identity.code) return []
    const decoded = dagCbor.decode<{ m?: unknown }>(cid.multihash.digest)
    if (!Array.isArray(decoded.m)) return []
    const out: SimMessage[] = []
    for (const entry of decoded.m) {
      if (Array.isArray(entry) && typeof entry[0] === 'number' && typeof entry[1] === 'number' && entry[2] instanceof Uint8Array) {
        out.push({ to: entry[0], id: entry[1], text: entry[2] })
      }
    }
    return out
  } catch {
    return []
  }
}

/** The newest messages that fit in `budget` bytes of value (older ones are dropped first). */
export function fitMessages (messages: SimMessage[], budget: number): SimMessage[] {
  let kept = messages
  while (kept.length > 1 && encodeValue(kept).length > budget) {
    kept = kept.slice(Math.max(1, Math.floor(kept.length / 8)))
  }
  return kept
}
