/**
 * End to end, online: from `send` to a watching `inbox` yielding the message, through one relay,
 * against raw gossipsub over the same two hops, measured in the same run.
 *
 * The relay runs in a child process (relay-host.ts). The receiver is a client watching its
 * inbox (`inbox({ watch: true })`); the sender is a libp2p node listening nowhere, connected to
 * the relay only, so every message crosses two hops: sender -> relay -> receiver.
 * - ipts: a client on the sender's node calls `send(receiver, { text })` (sealed, custody from
 *   the one relay); the clock runs from the call to the receiver's `inbox` yielding the text.
 *   Each sample is a new sender identity on the same, already connected node, so every record
 *   carries exactly one message (one identity's later records would carry its earlier unacked
 *   ones too). Custody (when `send` resolves) is reported beside it.
 * - baseline: the sender's node publishes a payload of the same size as the ipts record on a
 *   plain topic that the relay's node and the receiver's node subscribe to; the clock runs from
 *   `publish` to the receiver node's `message` event. Same nodes, same connections, same
 *   StrictSign checks, no relay logic.
 * Samples alternate between the two, after a few unrecorded warm-up samples of each; the ratio
 * is median over median, its extremes from the per-pair ratios.
 *
 * Run: npm run bench -- online   (or: node --expose-gc dist/bench/online.js [samples])
 */
import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { createClient } from '../src/client/index.ts'
import { createNode } from '../src/node.ts'
import { envelopeToValue } from '../src/client/payload.ts'
import { createTaggedRecord, tagRoutingKey, topicForKey } from '../src/record/index.ts'
import { RelayProcess } from './relay-process.ts'
import { assertPlausible, gc, load, rounded, spread, until } from './stats.ts'
import type { Spread, SummaryRow } from './stats.ts'
import type { IptsNode } from '../src/node.ts'
import type { Message } from '@libp2p/gossipsub'
import type { PeerId } from '@libp2p/interface'

export interface OnlineBenchOptions {
  /** recorded samples of each path. @default 20 */
  samples?: number
  /** unrecorded samples of each path first. @default 3 */
  warmup?: number
}

const RAW_TOPIC = '/ipts-bench/raw/1.0.0'
const SAMPLE_TIMEOUT = 10_000
/**
 * The ipts path crosses the raw path's hops and does more; wall-clock noise on a loaded machine
 * can still put a median a little below 1 (the row then says so). Half means a broken bench.
 */
const MIN_RATIO = 0.5

export interface OnlineBenchResult {
  samples: number
  loadBefore: number[]
  loadAfter: number[]
  recordBytes: number
  /** send -> watching inbox yields, ms */
  ipts: Spread
  /** send -> send resolved (custody from the relay), ms */
  custody: Spread
  /** publish -> receiver's message event on a plain topic, same two hops, ms */
  rawGossip: Spread
  ratio: Spread
  rows: SummaryRow[]
}

function withTimeout<T> (p: Promise<T>, what: string): Promise<T> {
  return Promise.race([p, new Promise<T>((_resolve, reject) => setTimeout(() => { reject(new Error(`${what}: nothing within ${SAMPLE_TIMEOUT} ms`)) }, SAMPLE_TIMEOUT).unref())])
}

export async function run (options: OnlineBenchOptions = {}): Promise<OnlineBenchResult> {
  const samples = options.samples ?? 20
  const warmup = options.warmup ?? 3
  const loadBefore = load()
  const host = await RelayProcess.start({})
  const receiverKey = await generateKeyPair('Ed25519')
  const receiverId = peerIdFromPrivateKey(receiverKey)
  const receiver = await createClient({ privateKey: receiverKey, relays: [host.addr] })
  const sender: IptsNode = await createNode({ listen: [] })
  const watching = new AbortController()
  const waiting = new Map<string, (at: number) => void>()
  let watcher: Promise<void> | undefined
  try {
    await sender.dial(multiaddr(host.addr))

    // the receiver watches its inbox
    let caughtUp = false
    watcher = (async () => {
      for await (const message of receiver.inbox({ watch: true, signal: watching.signal, onProgress: (evt) => { if (evt.type === 'inbox:caught-up') caughtUp = true } })) {
        const at = performance.now()
        if (message.text != null) waiting.get(message.text)?.(at)
      }
    })().catch((err) => { if (!watching.signal.aborted) throw err })
    const tagTopic = topicForKey(tagRoutingKey(receiverId.toMultihash().bytes))
    await until('the receiver to catch up', () => caughtUp)

    // the baseline's plain topic: the relay's node and the receiver's node follow it
    await host.request('subscribe', { topic: RAW_TOPIC })
    receiver.node.services.pubsub.subscribe(RAW_TOPIC)
    receiver.node.services.pubsub.addEventListener('message', (evt: CustomEvent<Message>) => {
      if (evt.detail.topic !== RAW_TOPIC) return
      const at = performance.now()
      waiting.get(Buffer.from(evt.detail.data.subarray(0, 16)).toString('hex'))?.(at)
    })
    // both paths ready: the relay has the receiver in its mesh for both topics, and the sender
    // knows the relay follows the plain topic (a relay announces to each peer only the record
    // topics that peer follows, so the sender's own gossip copy of a record may reach no one:
    // custody, then the relay's publish, carries it; that is the product's path)
    await until('the relay to mesh with the receiver', async () =>
      (await host.request<number>('mesh', { topic: tagTopic })) > 0 && (await host.request<number>('mesh', { topic: RAW_TOPIC })) > 0)
    await until('the sender to see the relay subscribed', () => sender.services.pubsub.getSubscribers(RAW_TOPIC).length > 0)

    // the baseline's payload weighs what a one-message sealed record does
    const recordBytes = await sealedRecordBytes(receiverId)
    const iptsSample = async (i: number): Promise<{ yielded: number, custody: number }> => {
      const client = await createClient({ privateKey: await generateKeyPair('Ed25519'), node: sender, relays: [host.addr] })
      const text = `online ${i} ${randomBytes(4).toString('hex')}`
      const arrived = new Promise<number>(resolve => waiting.set(text, resolve))
      gc()
      const t0 = performance.now()
      const sent = client.send(receiverId, { text }, { minRelays: 1 }).then(() => performance.now())
      try {
        const yielded = await withTimeout(arrived, 'ipts: the watching inbox')
        const custody = await withTimeout(sent, 'ipts: custody')
        return { yielded: yielded - t0, custody: custody - t0 }
      } finally {
        waiting.delete(text)
        await client.stop()
      }
    }
    const rawSample = async (): Promise<number> => {
      const payload = randomBytes(recordBytes)
      const id = payload.subarray(0, 16).toString('hex')
      const arrived = new Promise<number>(resolve => waiting.set(id, resolve))
      gc()
      const t0 = performance.now()
      await sender.services.pubsub.publish(RAW_TOPIC, payload)
      try {
        return (await withTimeout(arrived, 'raw gossipsub: the receiver')) - t0
      } finally {
        waiting.delete(id)
      }
    }

    for (let i = 0; i < warmup; i++) {
      await iptsSample(-1 - i)
      await rawSample()
    }
    const ipts: number[] = []
    const custody: number[] = []
    const raw: number[] = []
    for (let i = 0; i < samples; i++) {
      const s = await iptsSample(i)
      ipts.push(s.yielded)
      custody.push(s.custody)
      raw.push(await rawSample())
    }
    const i = spread(ipts)
    const r = spread(raw)
    const pairs = spread(ipts.map((ms, k) => ms / raw[k]))
    const result: OnlineBenchResult = {
      samples,
      loadBefore,
      loadAfter: load(),
      recordBytes,
      ipts: rounded(i),
      custody: rounded(spread(custody)),
      rawGossip: rounded(r),
      ratio: rounded({ median: i.median / r.median, min: pairs.min, max: pairs.max, runs: samples }),
      rows: []
    }
    result.rows = [{
      measure: 'end to end online: send -> a watching inbox yields, through one relay / raw gossipsub over the same two hops',
      value: result.ipts,
      unit: 'ms',
      baseline: { label: 'raw gossipsub, two hops', value: result.rawGossip, unit: 'ms' },
      ratio: result.ratio,
      target: '<= 1.2',
      note: `custody confirmed at ${result.custody.median} ms${result.ratio.median < 1 ? '; below 1: wall-clock noise on a loaded machine exceeds the difference' : ''}`
    }]
    assertPlausible('online: latencies, ms', [...ipts, ...raw, ...custody], { min: 0.001 })
    assertPlausible('online: ipts / raw gossipsub', result.ratio.median, { min: MIN_RATIO, why: 'the ipts path crosses the same hops and does more' })
    return result
  } finally {
    watching.abort()
    await watcher?.catch(() => {})
    await receiver.stop()
    await sender.stop()
    await host.stop()
  }
}

/** The bytes of a one-message sealed record as `send` makes it (built here, not sent). */
async function sealedRecordBytes (to: PeerId): Promise<number> {
  const key = await generateKeyPair('Ed25519')
  const value = envelopeToValue({ messages: [{ seq: 1n, at: Date.now(), text: 'online 0 00000000' }], receipts: [] }, { encryptTo: to, sender: peerIdFromPrivateKey(key) })
  const record = await createTaggedRecord(key, { tag: to.toMultihash().bytes, value, sequence: 1n, lifetime: 86_400_000, now: Date.now() })
  return record.bytes.byteLength
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(JSON.stringify(await run({ samples: Number(process.argv[2] ?? 20) }), null, 2))
}
