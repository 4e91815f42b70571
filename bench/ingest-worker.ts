/** The relay side of the gossip ingest bench, on its own thread (its own core). */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parentPort, workerData } from 'node:worker_threads'
import { performance } from 'node:perf_hooks'
import { createNode } from '../src/node.ts'
import { Relay } from '../src/relay/relay.ts'

const n: number = workerData.n
const dir = await mkdtemp(join(tmpdir(), 'ipts-bench-gossip-'))
const node = await createNode({ relay: true })
const relay = new Relay(node, { path: dir, maxRecordsPerKey: n, maxPublishesPerPeerPerMinute: 1e9, maxTopicsPerPeer: 1e6 })
await relay.start()
let start = 0
let startElu = performance.eventLoopUtilization()
let stored = 0
relay.addEventListener('record:stored', () => {
  if (stored === 0) {
    start = performance.now()
    startElu = performance.eventLoopUtilization()
  }
  stored++
  if (stored === n) {
    // busy time of this thread's event loop: the relay's own cost, whatever the publisher's pace
    const elu = performance.eventLoopUtilization(startElu)
    parentPort?.postMessage({ done: true, stored: n - 1, ms: performance.now() - start, activeMs: elu.active })
  }
})
parentPort?.on('message', () => {})
parentPort?.postMessage({ addr: node.getMultiaddrs()[0].toString() })
process.on('exit', () => { void rm(dir, { recursive: true, force: true }) })
