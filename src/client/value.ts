/**
 * Record values as IPFS paths: parsing `/ipfs/<cid>[/path]`, and what a value that is not an ipts
 * payload holds, so the inbox can show records other tagged-IPNS tools write.
 *
 * Decoding follows the CID's codec (protocol section 7.1):
 * - an identity CID with the raw codec (or json / dag-json) holds its content inline: `text` when
 *   the bytes are UTF-8, else `data`;
 * - any other CID (another codec, or a real hash): `cid`, the CID itself (the value keeps any path);
 * - `/ipns/` paths and anything else: nothing besides the value.
 *
 * Pure: no I/O.
 */
import { CID } from 'multiformats/cid'
import { base64url } from 'multiformats/bases/base64'
import { identity } from 'multiformats/hashes/identity'

/** The raw codec: the digest of an identity CID is the content. */
export const RAW_CODEC = 0x55
/** The json codec: UTF-8 JSON text. */
export const JSON_CODEC = 0x0200
/** The dag-json codec: UTF-8 JSON text. */
export const DAG_JSON_CODEC = 0x0129
/**
 * Longest CID string parsed in a base whose decoder is quadratic in its input (base36, base58btc):
 * ~90-190 ms for one 10 KiB value, so a sender could make a receiver's inbox crawl with them.
 * Longer ones stay values. CIDs with real hashes are far shorter; ipts writes base64url.
 */
export const MAX_QUADRATIC_CID_CHARS = 1024

const IPFS_PREFIX = '/ipfs/'
const strictUtf8 = new TextDecoder('utf-8', { fatal: true })

/** What a value that is not an ipts payload holds, besides the value itself. */
export interface ValueContent {
  /** Inline content that is UTF-8 text. */
  text?: string
  /** Inline content that is not UTF-8 text. */
  data?: Uint8Array
  /** The CID of an `/ipfs/` value that does not hold its content inline. */
  cid?: string
}

/** `/ipfs/<cid>[/path]`: the CID and the rest of the path (`''` when none); else undefined. */
export function parseIpfsPath (value: string): { cid: CID, path: string } | undefined {
  if (!value.startsWith(IPFS_PREFIX)) return undefined
  const rest = value.slice(IPFS_PREFIX.length)
  const slash = rest.indexOf('/')
  const text = slash === -1 ? rest : rest.slice(0, slash)
  const quadratic = text.startsWith('k') || text.startsWith('z') || text.startsWith('Q')
  if (text.length === 0 || (quadratic && text.length > MAX_QUADRATIC_CID_CHARS)) return undefined
  try {
    const cid = text.startsWith(base64url.prefix) ? CID.parse(text, base64url) : CID.parse(text)
    return { cid, path: slash === -1 ? '' : rest.slice(slash) }
  } catch {
    return undefined
  }
}

/** The inline bytes of an identity CID with no path, of codec `codec`; else undefined. */
export function inlineContent (value: string, codec?: number): Uint8Array | undefined {
  const parsed = parseIpfsPath(value)
  if (parsed == null || parsed.path !== '' || parsed.cid.multihash.code !== identity.code) return undefined
  if (codec != null && parsed.cid.code !== codec) return undefined
  return parsed.cid.multihash.digest
}

/** What a value that is not an ipts payload holds (see the module docs). */
export function describeValue (value: string): ValueContent {
  const parsed = parseIpfsPath(value)
  if (parsed == null) return {}
  const { cid, path } = parsed
  const inlineCodec = cid.code === RAW_CODEC || cid.code === JSON_CODEC || cid.code === DAG_JSON_CODEC
  if (path === '' && cid.multihash.code === identity.code && inlineCodec) {
    const bytes = cid.multihash.digest
    try {
      return { text: strictUtf8.decode(bytes) }
    } catch {
      return { data: bytes.slice() }
    }
  }
  return { cid: cid.toString() }
}
