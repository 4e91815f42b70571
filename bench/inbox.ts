/**
 * Time to inbox: a receiver starting cold gets N pending records from a relay.
 * Target (BRIEF): within twice the floor set by one dial plus verifying those N records on the
 * receiver, both measured in the same run. The relay runs in a worker thread (its own core).
 * Also reports the drain of a 10,000-record inbox: time and peak memory on both sides.
 * Run: npm run bench -- inbox
 */
import { Worker } from 'node:worker_threads'
import { fileURLToPath } from 'node:url'
import { multiaddr } from '@multiformats/multiaddr'
import { pbStream } from '@libp2p/utils'
import { RecordValidator, tagRoutingKey } from '../src/record/index.ts'
import { createNode } from '../src/node.ts'
import { RelayRequest, RelayResponse } from '../src/pb/relay.ts'
import { MAX_RESPONSE_BYTES, RELAY_PROTOCOL } from '../src/relay/protocol.ts'
import { privateKeyFromProtobuf } from '@libp2p/crypto/keys'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createClient } from '../src/client/index.ts'

interface Ready { addr: string, bobKey: Uint8Array, records: Uint8Array[] }

async function startRelay (count: number, sealed = false): Promise<{ worker: Worker, ready: Ready }> {
  const worker = new Worker(fileURLToPath(new URL('./inbox-worker.js', import.meta.url)), { workerData: { count, sealed } })
  const ready = await new Promise<Ready>((resolve, reject) => {
    worker.on('message', (m) => { if (m.addr != null) resolve(m) })
    worker.once('error', reject)
  })
  return { worker, ready }
}

async function relayRss (worker: Worker): Promise<number> {
  worker.postMessage({ memory: true })
  return new Promise(resolve => { worker.on('message', (m) => { if (m.heapUsed != null) resolve(m.peakHeap) }) })
}

/** One cold receiver: new node, dial, drain with INBOX, verify every record. */
async function drain (ready: Ready): Promise<{ ms: number, records: number, peakHeap: number }> {
  const privateKey = privateKeyFromProtobuf(ready.bobKey)
  const routingKey = tagRoutingKey(privateKey.publicKey.toMultihash().bytes)
  const validator = new RecordValidator()
  let peakHeap = process.memoryUsage().heapUsed
  const start = performance.now()
  const node = await createNode({ privateKey })
  try {
    const stream = await node.dialProtocol(multiaddr(ready.addr), RELAY_PROTOCOL)
    const pb = pbStream(stream, { maxDataLength: MAX_RESPONSE_BYTES })
    await pb.write({ type: RelayRequest.Type.INBOX, key: routingKey, signer: new Uint8Array(), pageSize: 256 }, RelayRequest)
    let records = 0
    while (true) {
      const page = await pb.read(RelayResponse)
      const now = Date.now()
      for (const bytes of page.records) {
        validator.validate(bytes, { now, routingKey })
        records++
      }
      peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed)
      if (page.done) break
    }
    await stream.close()
    return { ms: performance.now() - start, records, peakHeap }
  } finally {
    await node.stop()
  }
}

/** The whole client: `createClient().inbox()` from cold, verifying and decrypting every message. */
async function clientInbox (ready: Ready): Promise<{ ms: number, messages: number }> {
  const repo = await mkdtemp(join(tmpdir(), 'ipts-bench-client-'))
  try {
    const start = performance.now()
    const client = await createClient({ privateKey: privateKeyFromProtobuf(ready.bobKey), repo, relays: [ready.addr] })
    let messages = 0
    try {
      for await (const message of client.inbox()) {
        if (message.text != null) messages++
      }
    } finally {
      await client.stop()
    }
    return { ms: performance.now() - start, messages }
  } finally {
    await rm(repo, { recursive: true, force: true })
  }
}

/** The floor: one dial to the relay, plus verifying the same records locally. */
async function floor (ready: Ready): Promise<{ dialMs: number, verifyMs: number }> {
  const privateKey = privateKeyFromProtobuf(ready.bobKey)
  const routingKey = tagRoutingKey(privateKey.publicKey.toMultihash().bytes)
  const node = await createNode()
  const dialStart = performance.now()
  await node.dial(multiaddr(ready.addr))
  const dialMs = performance.now() - dialStart
  await node.stop()
  const validator = new RecordValidator()
  const verifyStart = performance.now()
  const now = Date.now()
  for (const bytes of ready.records) validator.validate(bytes, { now, routingKey })
  return { dialMs, verifyMs: performance.now() - verifyStart }
}

export async function run (): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {}
  {
    const { worker, ready } = await startRelay(1000)
    try {
      const f = await floor(ready)
      const runs: number[] = []
      for (let i = 0; i < 5; i++) runs.push((await drain(ready)).ms)
      runs.sort((a, b) => a - b)
      const median = runs[2]
      const floorMs = f.dialMs + f.verifyMs
      out.timeToInbox1000 = {
        dialMs: round(f.dialMs),
        verify1000Ms: round(f.verifyMs),
        floorMs: round(floorMs),
        coldReceiverMedianMs: round(median),
        ratioToFloor: round(median / floorMs),
        target: '<= 2'
      }
    } finally {
      await worker.terminate()
    }
  }
  {
    // the same 1,000 records as `ipts send` makes them (sealed), read by the client library
    const { worker, ready } = await startRelay(1000, true)
    try {
      const f = await floor(ready)
      const runs: number[] = []
      let messages = 0
      for (let i = 0; i < 3; i++) {
        const result = await clientInbox(ready)
        runs.push(result.ms)
        messages = result.messages
      }
      runs.sort((a, b) => a - b)
      const floorMs = f.dialMs + f.verifyMs
      out.clientInbox1000Sealed = {
        messagesDecrypted: messages,
        floorMs: round(floorMs),
        clientMedianMs: round(runs[1]),
        ratioToFloor: round(runs[1] / floorMs)
      }
    } finally {
      await worker.terminate()
    }
  }
  {
    const { worker, ready } = await startRelay(10_000)
    try {
      const before = process.memoryUsage().heapUsed
      const result = await drain(ready)
      out.drain10000 = {
        records: result.records,
        ms: round(result.ms),
        receiverHeapGrowthMiB: round((result.peakHeap - before) / 1048576),
        relayPeakHeapMiB: round(await relayRss(worker) / 1048576)
      }
    } finally {
      await worker.terminate()
    }
  }
  return out
}

function round (n: number): number {
  return Math.round(n * 100) / 100
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(JSON.stringify(await run(), null, 2))
}
