/**
 * A relay in its own process, driven by a bench over IPC (see relay-process.ts). In its own
 * process, `process.cpuUsage()` is the relay's CPU alone (its event loop, LevelDB's thread pool,
 * V8's GC threads), and its memory is its own. It runs with the flags `ipts relay` uses
 * (`--max-semi-space-size=16`) plus `--expose-gc`.
 *
 * Requests are `{ id, cmd, ...args }`, answered with `{ id, result }` or `{ id, error }`;
 * `arm` later sends `{ event: 'stored-all', ... }`.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKeyPair, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { createTaggedRecord, tagRoutingKey } from '../src/record/index.ts'
import { envelopeToValue } from '../src/client/payload.ts'
import { createNode } from '../src/node.ts'
import { Relay } from '../src/relay/relay.ts'
import { FEED_TOPIC } from '../src/relay/feed.ts'
import { PrometheusExport } from '../src/metrics.ts'
import { cpuSecondsSince, gc } from './stats.ts'
import type { RelayInit } from '../src/relay/relay.ts'
import type { Message } from '@libp2p/gossipsub'

export interface HostInit {
  /** Relay options (the store's path is made here). */
  relay?: Omit<RelayInit, 'path'>
  /**
   * Count gossipsub's RPC bytes sent: the node runs with metrics (`src/metrics.ts`), which costs
   * a little per message. @default false
   */
  gossipBytes?: boolean
}

export interface Held { key: Uint8Array, bytes: Uint8Array }

const init: HostInit = JSON.parse(process.argv[2] ?? '{}')
const dir = await mkdtemp(join(tmpdir(), 'ipts-bench-relay-'))
const exported = init.gossipBytes === true ? new PrometheusExport() : undefined
const node = await createNode({ relay: true, metrics: exported?.node })
const relay = new Relay(node, { ...init.relay, path: dir })
await relay.start()

/** Every RPC gossipsub wrote, to every peer: fan-out, framing of messages and control. */
const RPC_SENT_BYTES = 'gossipsub_rpc_sent_bytes_total'
const RPC_SENT_MESSAGES = 'gossipsub_rpc_sent_message_total'

/** A metric's total over its labels (NaN without metrics). */
async function total (name: string): Promise<number> {
  const metric = exported?.registry.getSingleMetric(name)
  if (metric == null) return NaN
  const { values } = await metric.get()
  return values.reduce((sum, v) => sum + v.value, 0)
}

function send (message: unknown): void {
  process.send?.(message)
}

// --- memory sampling (between memory-baseline and memory-peak) --------------------------------
let peakRss = 0
let peakHeap = 0
let sampler: ReturnType<typeof setInterval> | undefined
function sample (): void {
  const m = process.memoryUsage()
  peakRss = Math.max(peakRss, m.rss)
  peakHeap = Math.max(peakHeap, m.heapUsed)
}

// --- armed ingest window (gossip) ---------------------------------------------------------------
let armed: { stores: number, stored: number, signed: number, unsigned: number, cpu: NodeJS.CpuUsage, t0: number } | undefined
relay.addEventListener('record:stored', () => {
  if (armed == null) return
  armed.stored++
  if (armed.stored === armed.stores) {
    const cpuSeconds = cpuSecondsSince(armed.cpu)
    const wallMs = performance.now() - armed.t0
    send({ event: 'stored-all', stored: armed.stored, cpuSeconds, wallMs, signed: armed.signed, unsigned: armed.unsigned })
    armed = undefined
  }
})
/** Feed messages since the last `arm`, counted past the window: a message is counted when its validation ends, after its stores. */
let feedMessages = 0
const countSigned = (evt: CustomEvent<Message>): void => {
  if (evt.detail.topic === FEED_TOPIC) feedMessages++
  if (armed == null) return
  if (evt.detail.type === 'signed') armed.signed++
  else armed.unsigned++
}
node.services.pubsub.addEventListener('message', countSigned)
node.services.feed?.addEventListener('message', countSigned)

/** `count` records from distinct new signers, spread over `tags` receivers made here. */
async function fill (args: { count: number, tags: number, sealed?: boolean, returnRecords?: boolean, lifetime?: number }): Promise<{ tagKeys: Uint8Array[], records: Held[] }> {
  const receivers = await Promise.all(Array.from({ length: args.tags }, async () => generateKeyPair('Ed25519')))
  const now = Date.now()
  const records: Held[] = []
  for (let i = 0; i < args.count; i += 250) {
    const batch = await Promise.all(Array.from({ length: Math.min(250, args.count - i) }, async (_, j) => {
      const receiver = receivers[(i + j) % receivers.length]
      const tag = receiver.publicKey.toMultihash().bytes
      const sender = await generateKeyPair('Ed25519')
      const value = args.sealed === true
        ? envelopeToValue({ messages: [{ seq: 1n, at: now, text: 'hello' }], receipts: [] }, { encryptTo: peerIdFromPrivateKey(receiver), sender: peerIdFromPrivateKey(sender) })
        : '/ipfs/bafkqaaa'
      const record = await createTaggedRecord(sender, { tag, value, sequence: 1n, lifetime: args.lifetime ?? 3_600_000, now })
      return { key: tagRoutingKey(tag), bytes: record.bytes }
    }))
    // 'sync' is stored without being published: nobody is listening yet anyway
    for (const r of batch) {
      const result = await relay.ingest.ingest(r.bytes, { now, routingKey: r.key, source: 'sync' })
      if (result.status !== 'stored') throw new Error(`fill: not stored: ${result.status}`)
    }
    if (args.returnRecords === true) records.push(...batch)
  }
  return { tagKeys: receivers.map(k => privateKeyToProtobuf(k)), records }
}

/**
 * The direct path (custody, sync): `inFlight` ingests at a time, as sync accepts items. With
 * `source: 'custody'` the relay also puts what it stores on the feed, as for custody PUTs.
 */
async function ingestDirect (args: { records: Held[], inFlight: number, source?: 'sync' | 'custody' }): Promise<{ stored: number, cpuSeconds: number, wallMs: number }> {
  const now = Date.now()
  gc()
  const cpu = process.cpuUsage()
  const t0 = performance.now()
  const inFlight = new Set<Promise<void>>()
  let stored = 0
  for (const r of args.records) {
    // 'custody' records are handed to other relays on the feed, as a custody PUT's are
    const p: Promise<void> = relay.ingest.ingest(r.bytes, { now, routingKey: r.key, source: args.source ?? 'sync' }).then((result) => {
      if (result.status !== 'stored') throw new Error(`not stored: ${result.status}`)
      stored++
    }).finally(() => { inFlight.delete(p) })
    inFlight.add(p)
    if (inFlight.size >= args.inFlight) await Promise.race(inFlight)
  }
  await Promise.all(inFlight)
  return { stored, cpuSeconds: cpuSecondsSince(cpu), wallMs: performance.now() - t0 }
}

/** One republish cycle, from its start until the publish queue is empty again. */
async function republish (args: { settleMs: number, timeoutMs: number }): Promise<{ cycleRecords: number, republished: number, rpcBytes: number, rpcMessages: number, ms: number }> {
  const republished0 = relay.counters.republished
  const bytes0 = await total(RPC_SENT_BYTES)
  const messages0 = await total(RPC_SENT_MESSAGES)
  const t0 = performance.now()
  const deadline = Date.now() + args.timeoutMs
  const ended = new Promise<number>((resolve) => {
    relay.republisher.addEventListener('republish:end', (evt) => { resolve(evt.detail.records) }, { once: true })
  })
  relay.republisher.startCycle()
  const cycleRecords = await Promise.race([ended, new Promise<number>((_resolve, reject) => setTimeout(() => { reject(new Error('republish cycle did not end')) }, args.timeoutMs).unref())])
  // the cycle has read the store; its last queued records still go out at the budget's pace:
  // wait until the republished count stops moving for settleMs (and a heartbeat's gossip went)
  let last = -1
  while (relay.counters.republished !== last && Date.now() < deadline) {
    last = relay.counters.republished
    await new Promise(resolve => setTimeout(resolve, args.settleMs))
  }
  return {
    cycleRecords,
    republished: relay.counters.republished - republished0,
    rpcBytes: await total(RPC_SENT_BYTES) - bytes0,
    rpcMessages: await total(RPC_SENT_MESSAGES) - messages0,
    ms: performance.now() - t0
  }
}

type Handler = (args: any) => unknown | Promise<unknown>

const handlers: Record<string, Handler> = {
  info: () => ({ addr: node.getMultiaddrs()[0].toString(), peerId: node.peerId.toString() }),
  fill,
  ingest: ingestDirect,
  arm: (args: { stores: number }) => {
    gc()
    feedMessages = 0
    armed = { stores: args.stores, stored: 0, signed: 0, unsigned: 0, cpu: process.cpuUsage(), t0: performance.now() }
    return { armed: true }
  },
  'feed-messages': () => feedMessages,
  disarm: () => {
    const stored = armed?.stored
    armed = undefined
    return { stored }
  },
  'memory-baseline': () => {
    gc()
    gc()
    const m = process.memoryUsage()
    peakRss = m.rss
    peakHeap = m.heapUsed
    clearInterval(sampler)
    sampler = setInterval(sample, 10)
    return { rss: m.rss, heapUsed: m.heapUsed }
  },
  'memory-peak': () => {
    clearInterval(sampler)
    sampler = undefined
    sample()
    const m = process.memoryUsage()
    return { peakRss, peakHeap, rss: m.rss, heapUsed: m.heapUsed }
  },
  dial: async (args: { addr: string }) => { await node.dial(multiaddr(args.addr)); return true },
  subscribe: (args: { topic: string }) => { node.services.pubsub.subscribe(args.topic); return true },
  // the implementation has it; the GossipSub interface does not declare it
  // `feed`: the feed's gossipsub (before it had one, the feed topic was on the node's only one)
  mesh: (args: { topic: string, feed?: boolean }) => ((args.feed === true ? node.services.feed ?? node.services.pubsub : node.services.pubsub) as unknown as { getMeshPeers(topic: string): string[] }).getMeshPeers(args.topic).length,
  subscribers: (args: { topic: string }) => node.services.pubsub.getSubscribers(args.topic).length,
  status: async () => {
    const s = relay.status()
    return { records: s.records, topics: s.topics, connections: s.connections, pushed: relay.counters.pushed, republished: relay.counters.republished, rpcBytes: await total(RPC_SENT_BYTES) }
  },
  republish,
  stop: async () => {
    clearInterval(sampler)
    await relay.stop()
    await node.stop()
    await rm(dir, { recursive: true, force: true })
    setImmediate(() => process.exit(0))
    return true
  }
}

process.on('message', (m: { id: number, cmd: string }) => {
  const handler = handlers[m.cmd]
  if (handler == null) {
    send({ id: m.id, error: `unknown command ${m.cmd}` })
    return
  }
  Promise.resolve().then(async () => handler(m)).then(
    (result) => { send({ id: m.id, result }) },
    (err: Error) => { send({ id: m.id, error: err.stack ?? err.message }) }
  )
})
// the parent went away: do not outlive it
process.on('disconnect', () => {
  void rm(dir, { recursive: true, force: true }).finally(() => process.exit(0))
})
send({ event: 'ready' })
