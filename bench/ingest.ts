/**
 * Ingest: how fast a relay validates and stores records, against the raw Ed25519 verify rate
 * measured in the same run.
 * - direct path (custody PUT and sync: one signature check per record): Ingest.ingest() on a real
 *   LevelDB store, records from distinct signers;
 * - gossip path (two checks: gossipsub's message signature and the record's): a publisher node
 *   floods records over TCP to a relay running in a worker thread (its own core); the rate is
 *   records per second of the relay thread's busy time (event-loop utilisation), so a slower
 *   publisher does not count against the relay. Wall-clock rate is printed beside it.
 * Every record comes from a distinct signer (the relay has no key cached), so two baselines are
 * printed: verify with a cached key object, and verify building the key first.
 * Run: npm run bench -- ingest
 */
import { createPublicKey, generateKeyPairSync, sign, verify } from 'node:crypto'
import { Worker } from 'node:worker_threads'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { multiaddr } from '@multiformats/multiaddr'
import { createTaggedRecord, tagRoutingKey, topicForKey } from '../src/record/index.ts'
import { createNode } from '../src/node.ts'
import { Relay } from '../src/relay/relay.ts'

const HOUR = 3_600_000

/**
 * Raw Ed25519 verifies per second with node:crypto: with a KeyObject cached per signer
 * (`distinct: false`, 64 signers), or built from the raw key for each verify as every new signer
 * needs (`distinct: true`, what @libp2p/crypto does on every call).
 */
export function rawVerifyRate (n = 5000, distinct = false): number {
  const keys = Array.from({ length: distinct ? n : 64 }, () => generateKeyPairSync('ed25519'))
  const msg = new Uint8Array(200).fill(7)
  const sigs = keys.map(k => sign(null, msg, k.privateKey))
  const pubs = keys.map(k => createPublicKey({ key: k.publicKey.export({ format: 'der', type: 'spki' }), format: 'der', type: 'spki' }))
  const ders = keys.map(k => k.publicKey.export({ format: 'der', type: 'spki' }))
  const start = performance.now()
  for (let i = 0; i < n; i++) {
    const j = i % keys.length
    const pub = distinct ? createPublicKey({ key: ders[j], format: 'der', type: 'spki' }) : pubs[j]
    if (!verify(null, msg, pub, sigs[j])) throw new Error('verify failed')
  }
  return n / ((performance.now() - start) / 1000)
}

async function makeRecords (n: number, tags: Uint8Array[]): Promise<Array<{ key: Uint8Array, bytes: Uint8Array }>> {
  const now = Date.now()
  const out: Array<{ key: Uint8Array, bytes: Uint8Array }> = []
  for (let i = 0; i < n; i += 256) {
    const batch = await Promise.all(Array.from({ length: Math.min(256, n - i) }, async (_, j) => {
      const tag = tags[(i + j) % tags.length]
      const record = await createTaggedRecord(await generateKeyPair('Ed25519'), { tag, value: '/ipfs/bafkqaaa', sequence: 1n, lifetime: HOUR, now })
      return { key: tagRoutingKey(tag), bytes: record.bytes }
    }))
    out.push(...batch)
  }
  return out
}

async function directRate (n: number): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), 'ipts-bench-ingest-'))
  const node = await createNode({ relay: true })
  const relay = new Relay(node, { path: dir, maxRecordsPerKey: n, maxPublishesPerPeerPerMinute: 1e9 })
  await relay.start()
  try {
    const tags = await Promise.all(Array.from({ length: 100 }, async () => (await generateKeyPair('Ed25519')).publicKey.toMultihash().bytes))
    const records = await makeRecords(n, tags)
    const now = Date.now()
    const start = performance.now()
    // 64 in flight, as relay sync accepts items
    const inFlight = new Set<Promise<void>>()
    for (const r of records) {
      const p: Promise<void> = relay.ingest.ingest(r.bytes, { now, routingKey: r.key, source: 'sync' }).then((result) => {
        if (result.status !== 'stored') throw new Error(`not stored: ${result.status}`)
      }).finally(() => { inFlight.delete(p) })
      inFlight.add(p)
      if (inFlight.size >= 64) await Promise.race(inFlight)
    }
    await Promise.all(inFlight)
    return n / ((performance.now() - start) / 1000)
  } finally {
    await relay.stop()
    await node.stop()
    await rm(dir, { recursive: true, force: true })
  }
}

async function gossipRate (n: number): Promise<{ wall: number, busy: number }> {
  const worker = new Worker(fileURLToPath(new URL('./ingest-worker.js', import.meta.url)), { workerData: { n } })
  const ready = await new Promise<{ addr: string }>((resolve, reject) => {
    worker.once('message', resolve)
    worker.once('error', reject)
  })
  const publisher = await createNode()
  try {
    await publisher.dial(multiaddr(ready.addr))
    const tags = await Promise.all(Array.from({ length: 20 }, async () => (await generateKeyPair('Ed25519')).publicKey.toMultihash().bytes))
    const topics = tags.map(t => topicForKey(tagRoutingKey(t)))
    for (const t of topics) publisher.services.pubsub.subscribe(t)
    // wait until the relay has joined every topic
    const deadline = Date.now() + 30_000
    while (!topics.every(t => publisher.services.pubsub.getSubscribers(t).length > 0)) {
      if (Date.now() > deadline) throw new Error('relay did not join the topics')
      await new Promise(resolve => setTimeout(resolve, 20))
    }
    const records = await makeRecords(n, tags)
    const done = new Promise<{ stored: number, ms: number, activeMs: number }>((resolve) => { worker.on('message', (m) => { if (m.done === true) resolve(m) }) })
    worker.postMessage({ start: true })
    for (let i = 0; i < records.length; i++) {
      await publisher.services.pubsub.publish(topics[i % topics.length], records[i].bytes)
      // let the socket drain now and then: gossipsub has no publish backpressure
      if (i % 200 === 199) await new Promise(resolve => setImmediate(resolve))
    }
    const result = await done
    return { wall: result.stored / (result.ms / 1000), busy: result.stored / (result.activeMs / 1000) }
  } finally {
    await publisher.stop()
    await worker.terminate()
  }
}

export async function run (options: { records?: number } = {}): Promise<Record<string, number>> {
  const n = options.records ?? 5000
  const cached = rawVerifyRate()
  const fresh = rawVerifyRate(n, true)
  const direct = await directRate(n)
  const gossip = await gossipRate(n)
  // measured on both sides of the ingest runs, averaged: the machine's load drifts
  const cachedBaseline = (cached + rawVerifyRate()) / 2
  const freshBaseline = (fresh + rawVerifyRate(n, true)) / 2
  const ratio = (rate: number, base: number): number => Number((rate / base).toFixed(2))
  return {
    records: n,
    rawVerifyCachedKeyPerSec: Math.round(cachedBaseline),
    rawVerifyNewKeyPerSec: Math.round(freshBaseline),
    directIngestPerSec: Math.round(direct),
    directRatioCached: ratio(direct, cachedBaseline),
    directRatioNewKey: ratio(direct, freshBaseline),
    gossipIngestWallPerSec: Math.round(gossip.wall),
    gossipIngestBusyPerSec: Math.round(gossip.busy),
    gossipRatioCached: ratio(gossip.busy, cachedBaseline),
    gossipRatioNewKey: ratio(gossip.busy, freshBaseline)
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(await run({ records: Number(process.argv[2] ?? 5000) }))
}

