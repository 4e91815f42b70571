/**
 * Ingest: how much relay CPU a stored record costs, as a rate (records per CPU-second of the
 * relay's process), against the raw Ed25519 verify rate (verifies per CPU-second) measured in
 * the same run.
 *
 * The relay runs in a child process of its own (relay-host.ts, with the flags `ipts relay` uses),
 * so `process.cpuUsage()` there is the relay's CPU alone: its event loop, LevelDB's thread pool
 * and V8's GC threads, which an event-loop-utilisation figure leaves out. Each path starts a new
 * relay, so every signer is new to it.
 * - direct (custody PUT and sync: one signature check per record): `Ingest.ingest()` with 64 in
 *   flight, as sync accepts items. Measured twice: records from first-seen signers, against
 *   verify with a key import; then a newer record from each of the same signers (the relay has
 *   their keys cached), against verify with a cached key.
 * - gossip (two checks: gossipsub's message signature and the record's): a publisher node floods
 *   the records over TCP to the relay. The relay's CPU and clock start when the relay is armed,
 *   before the first publish, and stop at the last store, so everything the burst costs it
 *   (decoding, gossipsub's signature checks, validation, the store's batches, GC) is counted.
 * - feed (relay to relay, on the feed topic `/ipts/relay/records/1.0.0`): a second relay process
 *   takes the records in as custody (64 in flight) and hands them to the relay under
 *   measurement over the feed, as it does in service; same window as gossip. Whether the
 *   messages carried a gossipsub signature is counted and printed (it sets the plausibility
 *   bound: one check per record when unsigned, two when signed), and records per message.
 *
 * Every path is run `runs` times; each run's ratio is taken against raw verify measured just
 * before and after it (averaged: the machine's load drifts). The result gives the median and
 * the extremes over the runs. A ratio outside what the work allows (gossip above 0.55 of verify
 * when every message carried a signature, direct above 1.0, anything below 0) throws
 * ImplausibleFigureError: the measurement is broken, not the relay fast.
 *
 * Run: npm run bench -- ingest   (or: node --expose-gc dist/bench/ingest.js [records] [runs])
 */
import crypto from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { multiaddr } from '@multiformats/multiaddr'
import { createTaggedRecord, tagRoutingKey, topicForKey } from '../src/record/index.ts'
import { RAW_PUBLIC } from '../src/record/keys.ts'
import { createNode } from '../src/node.ts'
import { FEED_TOPIC } from '../src/relay/feed.ts'
import { RelayProcess } from './relay-process.ts'
import { assertPlausible, cpuSecondsSince, gc, load, rounded, spread, until } from './stats.ts'
import type { Spread, SummaryRow } from './stats.ts'
import type { PrivateKey } from '@libp2p/interface'

const HOUR = 3_600_000
const SPKI_ED25519 = Buffer.from('302a300506032b6570032100', 'hex')
/** Two signature checks per gossip message: at most half the verify rate, plus noise. */
export const MAX_GOSSIP_RATIO_SIGNED = 0.55
/** One check per record: never above the verify rate. */
export const MAX_ONE_CHECK_RATIO = 1.0

export interface IngestBenchOptions {
  /** records per path and run. @default 5000 */
  records?: number
  /** runs of each path. @default 5 */
  runs?: number
}

interface VerifyMaterial {
  messages: Buffer[]
  signatures: Buffer[]
  raw: Buffer[]
  cached: crypto.KeyObject[]
}

/** The key import the relay's validator does for a first-seen signer (src/record/keys.ts). */
function importKey (raw: Buffer): crypto.KeyObject {
  return RAW_PUBLIC
    ? crypto.createPublicKey({ key: raw, format: 'raw-public', asymmetricKeyType: 'ed25519' })
    : crypto.createPublicKey({ key: Buffer.concat([SPKI_ED25519, raw]), format: 'der', type: 'spki' })
}

function verifyMaterial (n: number): VerifyMaterial {
  const m: VerifyMaterial = { messages: [], signatures: [], raw: [], cached: [] }
  for (let i = 0; i < n; i++) {
    const pair = crypto.generateKeyPairSync('ed25519')
    // a record's signed bytes are ~200 B ("ipns-signature:" + DAG-CBOR data)
    const message = crypto.randomBytes(200)
    const raw = pair.publicKey.export({ format: 'der', type: 'spki' }).subarray(SPKI_ED25519.length)
    m.messages.push(message)
    m.signatures.push(crypto.sign(null, message, pair.privateKey))
    m.raw.push(Buffer.from(raw))
    m.cached.push(importKey(Buffer.from(raw)))
  }
  return m
}

/**
 * Raw Ed25519 verifies per CPU-second: with the signer's KeyObject made beforehand
 * (`importEach: false`), or imported from its 32 raw bytes for each verify, as a first-seen
 * signer costs (`importEach: true`).
 */
function rawVerifyRate (m: VerifyMaterial, importEach: boolean): number {
  gc()
  const start = process.cpuUsage()
  for (let i = 0; i < m.messages.length; i++) {
    const key = importEach ? importKey(m.raw[i]) : m.cached[i]
    if (!crypto.verify(null, m.messages[i], key, m.signatures[i])) throw new Error('verify failed')
  }
  return m.messages.length / cpuSecondsSince(start)
}

interface Made { key: Uint8Array, bytes: Uint8Array }

/** Records from `signers` (one each) spread over `tags`, built before any clock starts. */
async function makeRecords (signers: PrivateKey[], tags: Uint8Array[], sequence: bigint): Promise<Made[]> {
  const now = Date.now()
  const out: Made[] = []
  for (let i = 0; i < signers.length; i += 256) {
    out.push(...await Promise.all(signers.slice(i, i + 256).map(async (signer, j) => {
      const tag = tags[(i + j) % tags.length]
      const record = await createTaggedRecord(signer, { tag, value: '/ipfs/bafkqaaa', sequence, lifetime: HOUR, now })
      return { key: tagRoutingKey(tag), bytes: record.bytes }
    })))
  }
  return out
}

async function newKeys (n: number): Promise<PrivateKey[]> {
  return Promise.all(Array.from({ length: n }, async () => generateKeyPair('Ed25519')))
}

// the bench measures ingest, not the budgets: every per-peer and per-host budget is lifted
const relayOptions = (n: number): Record<string, number> => ({
  maxRecordsPerKey: n,
  maxTopicsPerPeer: 1e6,
  maxPublishesPerPeerPerMinute: 1e9,
  maxPublishesPerIpPerMinute: 1e9,
  maxPutsPerMinute: 1e9,
  maxPutsPerIpPerMinute: 1e9,
  maxRelayItemsPerMinute: 1e9,
  maxRelayItemsPerIpPerMinute: 1e9
})

interface DirectRun { firstSeen: number, known: number, wall: number }

/** The direct path on a new relay: first-seen signers, then the same signers again. */
async function directRun (n: number): Promise<DirectRun> {
  const host = await RelayProcess.start({ relay: relayOptions(n) })
  try {
    const tags = (await newKeys(100)).map(k => k.publicKey.toMultihash().bytes)
    const signers = await newKeys(n)
    const first = await makeRecords(signers, tags, 1n)
    const again = await makeRecords(signers, tags, 2n)
    const a = await host.request<{ stored: number, cpuSeconds: number, wallMs: number }>('ingest', { records: first, inFlight: 64 })
    const b = await host.request<{ stored: number, cpuSeconds: number, wallMs: number }>('ingest', { records: again, inFlight: 64 })
    if (a.stored !== n || b.stored !== n) throw new Error(`direct: stored ${a.stored} and ${b.stored} of ${n}`)
    return { firstSeen: n / a.cpuSeconds, known: n / b.cpuSeconds, wall: n / (a.wallMs / 1000) }
  } finally {
    await host.stop()
  }
}

interface GossipRun { perCpuSec: number, wall: number, signed: number, unsigned: number, cpuSeconds: number }

/**
 * The gossip path on a new relay: a publisher floods n records over 20 topics. `withRelay`:
 * another relay (own process) is connected, so the relay hands every record it stores on to it
 * over the feed, as a relay in a network of relays does.
 */
async function gossipRun (n: number, withRelay = false): Promise<GossipRun> {
  const host = await RelayProcess.start({ relay: relayOptions(n) })
  const other = withRelay ? await RelayProcess.start({ relay: relayOptions(n) }) : undefined
  const publisher = await createNode()
  try {
    if (other != null) {
      await other.request('dial', { addr: host.addr })
      await until('the feed mesh', async () =>
        (await host.request<number>('mesh', { topic: FEED_TOPIC, feed: true })) > 0 &&
        (await other.request<number>('mesh', { topic: FEED_TOPIC, feed: true })) > 0)
    }
    await publisher.dial(multiaddr(host.addr))
    const tags = (await newKeys(20)).map(k => k.publicKey.toMultihash().bytes)
    const topics = tags.map(t => topicForKey(tagRoutingKey(t)))
    // the relay follows the topics its peers subscribe to
    for (const t of topics) publisher.services.pubsub.subscribe(t)
    await until('the relay to join every topic', () => topics.every(t => publisher.services.pubsub.getSubscribers(t).length > 0))
    const records = await makeRecords(await newKeys(n), tags, 1n)
    gc()
    const done = host.next<{ stored: number, cpuSeconds: number, wallMs: number, signed: number, unsigned: number }>('stored-all', Math.max(120_000, n * 50))
    await host.request('arm', { stores: n })
    for (let i = 0; i < records.length; i++) {
      await publisher.services.pubsub.publish(topics[i % topics.length], records[i].bytes)
      // let the socket drain now and then: gossipsub has no publish backpressure
      if (i % 200 === 199) await new Promise(resolve => setImmediate(resolve))
    }
    const r = await done
    return { perCpuSec: r.stored / r.cpuSeconds, wall: r.stored / (r.wallMs / 1000), signed: r.signed, unsigned: r.unsigned, cpuSeconds: r.cpuSeconds }
  } finally {
    await publisher.stop()
    await other?.stop()
    await host.stop()
  }
}

interface FeedRun extends GossipRun { perMessage: number }

/**
 * The relay-to-relay path on a new relay: another relay (its own process too) takes n records
 * in as custody, 64 in flight, and hands them on over the feed as it does in service (batched
 * per turn of its event loop); the relay measured is the one receiving them.
 */
async function feedRun (n: number): Promise<FeedRun> {
  const host = await RelayProcess.start({ relay: relayOptions(n) })
  const source = await RelayProcess.start({ relay: relayOptions(n) })
  try {
    await source.request('dial', { addr: host.addr })
    // each relay in the other's feed mesh
    await until('the feed mesh', async () =>
      (await host.request<number>('mesh', { topic: FEED_TOPIC, feed: true })) > 0 &&
      (await source.request<number>('mesh', { topic: FEED_TOPIC, feed: true })) > 0)
    const tags = (await newKeys(20)).map(k => k.publicKey.toMultihash().bytes)
    const records = await makeRecords(await newKeys(n), tags, 1n)
    gc()
    const done = host.next<{ stored: number, cpuSeconds: number, wallMs: number, signed: number, unsigned: number }>('stored-all', Math.max(120_000, n * 50))
    await host.request('arm', { stores: n })
    const fed = await source.request<{ stored: number }>('ingest', { records, inFlight: 64, source: 'custody' })
    if (fed.stored !== n) throw new Error(`feed: the source relay stored ${fed.stored} of ${n}`)
    const r = await done
    const messages = await host.request<number>('feed-messages')
    return { perCpuSec: r.stored / r.cpuSeconds, wall: r.stored / (r.wallMs / 1000), signed: r.signed, unsigned: r.unsigned, cpuSeconds: r.cpuSeconds, perMessage: r.stored / Math.max(1, messages) }
  } finally {
    await source.stop()
    await host.stop()
  }
}

export interface IngestBenchResult {
  records: number
  runs: number
  loadBefore: number[]
  loadAfter: number[]
  /** verifies per CPU-second */
  rawVerifyCachedKey: Spread
  rawVerifyKeyImport: Spread
  /** records per CPU-second of the relay process */
  directFirstSeen: Spread
  directKnown: Spread
  directWallPerSec: Spread
  gossip: Spread
  gossipWallPerSec: Spread
  /** the same with another relay on the feed (the relay hands each record on) */
  gossipWithRelay: Spread
  /** share of gossip messages that carried a gossipsub signature */
  gossipSignedShare: number
  /** relay to relay, records per CPU-second of the relay process */
  feed: Spread
  feedWallPerSec: Spread
  /** share of feed messages that carried a gossipsub signature */
  feedSignedShare: number
  /** records per feed message (the sending relay batches per turn of its event loop) */
  feedRecordsPerMessage: Spread
  ratios: {
    directFirstSeenToKeyImport: Spread
    directFirstSeenToCached: Spread
    directKnownToCached: Spread
    gossipToKeyImport: Spread
    gossipToCached: Spread
    gossipWithRelayToKeyImport: Spread
    feedToKeyImport: Spread
    feedToCached: Spread
  }
  rows: SummaryRow[]
}

export async function run (options: IngestBenchOptions = {}): Promise<IngestBenchResult> {
  const n = options.records ?? 5000
  const runs = options.runs ?? 5
  const loadBefore = load()
  const material = verifyMaterial(n)
  // warm the verify paths once, outside the figures
  rawVerifyRate(material, false)
  rawVerifyRate(material, true)

  const cached: number[] = []
  const imported: number[] = []
  const direct: DirectRun[] = []
  const gossip: GossipRun[] = []
  const gossipWithRelay: GossipRun[] = []
  const feed: FeedRun[] = []
  const r = {
    directFirstSeenToKeyImport: [] as number[],
    directFirstSeenToCached: [] as number[],
    directKnownToCached: [] as number[],
    gossipToKeyImport: [] as number[],
    gossipToCached: [] as number[],
    gossipWithRelayToKeyImport: [] as number[],
    feedToKeyImport: [] as number[],
    feedToCached: [] as number[]
  }
  for (let i = 0; i < runs; i++) {
    const c0 = rawVerifyRate(material, false)
    const k0 = rawVerifyRate(material, true)
    const d = await directRun(n)
    const g = await gossipRun(n)
    const gr = await gossipRun(n, true)
    const f = await feedRun(n)
    const c = (c0 + rawVerifyRate(material, false)) / 2
    const k = (k0 + rawVerifyRate(material, true)) / 2
    cached.push(c)
    imported.push(k)
    direct.push(d)
    gossip.push(g)
    gossipWithRelay.push(gr)
    feed.push(f)
    r.directFirstSeenToKeyImport.push(d.firstSeen / k)
    r.directFirstSeenToCached.push(d.firstSeen / c)
    r.directKnownToCached.push(d.known / c)
    r.gossipToKeyImport.push(g.perCpuSec / k)
    r.gossipToCached.push(g.perCpuSec / c)
    r.gossipWithRelayToKeyImport.push(gr.perCpuSec / k)
    r.feedToKeyImport.push(f.perCpuSec / k)
    r.feedToCached.push(f.perCpuSec / c)
    console.error(`  ingest run ${i + 1}/${runs}: gossip ${g.perCpuSec.toFixed(0)}/CPU-s (${(g.perCpuSec / k).toFixed(2)} of key-import verify; ${(gr.perCpuSec / k).toFixed(2)} with a relay on the feed), feed ${f.perCpuSec.toFixed(0)}/CPU-s (${(f.perCpuSec / k).toFixed(2)}, ${f.unsigned === 0 ? 'signed' : 'unsigned'}, ${f.perMessage.toFixed(1)} per message), direct ${d.firstSeen.toFixed(0)}/CPU-s (${(d.firstSeen / k).toFixed(2)}), load ${load()[0]}`)
  }

  const signed = gossip.reduce((s, g) => s + g.signed, 0)
  const unsigned = gossip.reduce((s, g) => s + g.unsigned, 0)
  const signedShare = signed / Math.max(1, signed + unsigned)
  const feedSigned = feed.reduce((s, f) => s + f.signed, 0)
  const feedUnsigned = feed.reduce((s, f) => s + f.unsigned, 0)
  const result: IngestBenchResult = {
    records: n,
    runs,
    loadBefore,
    loadAfter: load(),
    rawVerifyCachedKey: rounded(spread(cached), 0),
    rawVerifyKeyImport: rounded(spread(imported), 0),
    directFirstSeen: rounded(spread(direct.map(d => d.firstSeen)), 0),
    directKnown: rounded(spread(direct.map(d => d.known)), 0),
    directWallPerSec: rounded(spread(direct.map(d => d.wall)), 0),
    gossip: rounded(spread(gossip.map(g => g.perCpuSec)), 0),
    gossipWallPerSec: rounded(spread(gossip.map(g => g.wall)), 0),
    gossipWithRelay: rounded(spread(gossipWithRelay.map(g => g.perCpuSec)), 0),
    gossipSignedShare: Math.round(signedShare * 1000) / 1000,
    feed: rounded(spread(feed.map(f => f.perCpuSec)), 0),
    feedWallPerSec: rounded(spread(feed.map(f => f.wall)), 0),
    feedSignedShare: Math.round(feedSigned / Math.max(1, feedSigned + feedUnsigned) * 1000) / 1000,
    feedRecordsPerMessage: rounded(spread(feed.map(f => f.perMessage)), 1),
    ratios: {
      directFirstSeenToKeyImport: rounded(spread(r.directFirstSeenToKeyImport)),
      directFirstSeenToCached: rounded(spread(r.directFirstSeenToCached)),
      directKnownToCached: rounded(spread(r.directKnownToCached)),
      gossipToKeyImport: rounded(spread(r.gossipToKeyImport)),
      gossipToCached: rounded(spread(r.gossipToCached)),
      gossipWithRelayToKeyImport: rounded(spread(r.gossipWithRelayToKeyImport)),
      feedToKeyImport: rounded(spread(r.feedToKeyImport)),
      feedToCached: rounded(spread(r.feedToCached))
    },
    rows: []
  }
  const verifyUnit = 'verifies/CPU-s'
  result.rows = [
    {
      measure: 'gossip ingest / raw verify with key import (first-seen signers)',
      value: result.gossip,
      unit: 'records/relay CPU-s',
      baseline: { label: 'raw verify, key import', value: result.rawVerifyKeyImport, unit: verifyUnit },
      ratio: result.ratios.gossipToKeyImport,
      target: '>= 0.4',
      note: `against cached-key verify ${result.ratios.gossipToCached.median}; wall ${result.gossipWallPerSec.median}/s`
    },
    {
      measure: 'gossip ingest with another relay connected (each stored record handed on over the feed) / raw verify with key import',
      value: result.gossipWithRelay,
      unit: 'records/relay CPU-s',
      baseline: { label: 'raw verify, key import', value: result.rawVerifyKeyImport, unit: verifyUnit },
      ratio: result.ratios.gossipWithRelayToKeyImport,
      target: '>= 0.4',
      note: 'the relay\'s cost includes handing the records on'
    },
    {
      measure: `relay-to-relay feed ingest / raw verify with key import (first-seen signers; ${feedUnsigned === 0 ? 'every message signed' : feedSigned === 0 ? 'messages unsigned' : 'some messages signed'})`,
      value: result.feed,
      unit: 'records/relay CPU-s',
      baseline: { label: 'raw verify, key import', value: result.rawVerifyKeyImport, unit: verifyUnit },
      ratio: result.ratios.feedToKeyImport,
      target: '>= 0.4',
      note: `against cached-key verify ${result.ratios.feedToCached.median}; wall ${result.feedWallPerSec.median}/s; ${result.feedRecordsPerMessage.median} records per feed message`
    },
    {
      measure: 'custody and sync ingest, first-seen signers / raw verify with key import',
      value: result.directFirstSeen,
      unit: 'records/relay CPU-s',
      baseline: { label: 'raw verify, key import', value: result.rawVerifyKeyImport, unit: verifyUnit },
      ratio: result.ratios.directFirstSeenToKeyImport,
      target: '>= 0.8',
      note: `against cached-key verify ${result.ratios.directFirstSeenToCached.median}; wall ${result.directWallPerSec.median}/s`
    },
    {
      measure: 'custody and sync ingest, known signers / raw verify with cached key',
      value: result.directKnown,
      unit: 'records/relay CPU-s',
      baseline: { label: 'raw verify, cached key', value: result.rawVerifyCachedKey, unit: verifyUnit },
      ratio: result.ratios.directKnownToCached,
      target: '>= 0.8',
      note: 'a newer record from each signer, replacing its first'
    }
  ]

  // figures no correct measurement can give
  assertPlausible('raw verify rates', [...cached, ...imported], { min: 1 })
  assertPlausible('direct ingest, first-seen / key-import verify', r.directFirstSeenToKeyImport, { max: MAX_ONE_CHECK_RATIO, why: 'one signature check per record cannot beat verifying alone' })
  assertPlausible('direct ingest, known / cached-key verify', r.directKnownToCached, { max: MAX_ONE_CHECK_RATIO, why: 'one signature check per record cannot beat verifying alone' })
  // every message signed (StrictSign): two checks per record. Unsigned (StrictNoSign): one.
  const gossipMax = unsigned === 0 ? MAX_GOSSIP_RATIO_SIGNED : MAX_ONE_CHECK_RATIO
  assertPlausible('gossip ingest with a relay on the feed / key-import verify', r.gossipWithRelayToKeyImport, { max: MAX_GOSSIP_RATIO_SIGNED, why: 'two signature checks per message (gossipsub\'s and the record\'s)' })
  assertPlausible('gossip ingest / key-import verify', r.gossipToKeyImport, { max: gossipMax, why: unsigned === 0 ? 'two signature checks per message (gossipsub\'s and the record\'s)' : 'one signature check per record' })
  const feedMax = feedUnsigned === 0 ? MAX_GOSSIP_RATIO_SIGNED : MAX_ONE_CHECK_RATIO
  assertPlausible('feed ingest / key-import verify', r.feedToKeyImport, { max: feedMax, why: feedUnsigned === 0 ? 'two signature checks per message (gossipsub\'s and the record\'s)' : 'one signature check per record' })
  return result
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(JSON.stringify(await run({ records: Number(process.argv[2] ?? 5000), runs: Number(process.argv[3] ?? 5) }), null, 2))
}
