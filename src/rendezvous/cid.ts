/**
 * The rendezvous key: the CID every relay provides in the DHT and every seeker looks up.
 *
 * Derivation (reproducible with any multiformats implementation):
 *
 * 1. take the UTF-8 bytes of the versioned string {@link RENDEZVOUS_KEY}, `ipts/relay/rendezvous/v1`;
 * 2. hash them with sha2-256 (multihash code 0x12, 32-byte digest);
 * 3. wrap the multihash in a CIDv1 with the `raw` codec (0x55).
 *
 * The result, base32 encoded, is {@link RENDEZVOUS_CID_STRING}. A future incompatible relay
 * protocol bumps the version suffix (`/v2`), which gives a disjoint rendezvous.
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import * as Digest from 'multiformats/hashes/digest'

/** The versioned string whose sha2-256 digest is the rendezvous CID's multihash. */
export const RENDEZVOUS_KEY = 'ipts/relay/rendezvous/v1'

/** Multihash code of sha2-256. */
const SHA2_256 = 0x12

/** CIDv1(raw, sha2-256(utf8({@link RENDEZVOUS_KEY}))). */
export const RENDEZVOUS_CID: CID = CID.createV1(
  raw.code,
  Digest.create(SHA2_256, sha256(new TextEncoder().encode(RENDEZVOUS_KEY)))
)

/** {@link RENDEZVOUS_CID} in its canonical base32 string form (a test vector). */
export const RENDEZVOUS_CID_STRING = 'bafkreibc2vpmrsosvby4idnerfpz47wwsoeco7euekhnftx2xfbfg5qn7e'
