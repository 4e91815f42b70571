/** The relay side of the inbox bench: fills one tag with `count` records, then serves. */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parentPort, workerData } from 'node:worker_threads'
import { generateKeyPair, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { createTaggedRecord, tagRoutingKey } from '../src/record/index.ts'
import { envelopeToValue } from '../src/client/payload.ts'
import { createNode } from '../src/node.ts'
import { Relay } from '../src/relay/relay.ts'

const count: number = workerData.count
/** Seal a one-message envelope to Bob, as `ipts send` does, instead of a bare pointer. */
const sealed: boolean = workerData.sealed === true
const dir = await mkdtemp(join(tmpdir(), 'ipts-bench-inbox-'))
const node = await createNode({ relay: true })
const relay = new Relay(node, { path: dir, maxRecordsPerKey: count })
await relay.start()
const bob = await generateKeyPair('Ed25519')
const tag = bob.publicKey.toMultihash().bytes
const routingKey = tagRoutingKey(tag)
const now = Date.now()
const records: Uint8Array[] = []
for (let i = 0; i < count; i += 250) {
  const batch = await Promise.all(Array.from({ length: Math.min(250, count - i) }, async () => {
    const sender = await generateKeyPair('Ed25519')
    const value = sealed
      ? envelopeToValue({ messages: [{ seq: 1n, at: now, text: 'hello Bob' }], receipts: [] }, { encryptTo: peerIdFromPrivateKey(bob), sender: peerIdFromPrivateKey(sender) })
      : '/ipfs/bafkqaaa'
    const record = await createTaggedRecord(sender, { tag, value, sequence: 1n, lifetime: 3_600_000, now })
    return record.bytes
  }))
  for (const bytes of batch) {
    const result = await relay.ingest.ingest(bytes, { now, routingKey, source: 'custody' })
    if (result.status !== 'stored') throw new Error(`not stored: ${result.status}`)
  }
  records.push(...batch)
}
let peakHeap = process.memoryUsage().heapUsed
const sampler = setInterval(() => { peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed) }, 5)
parentPort?.on('message', (m) => {
  if (m.memory === true) parentPort?.postMessage({ heapUsed: process.memoryUsage().heapUsed, peakHeap })
})
parentPort?.postMessage({ addr: node.getMultiaddrs()[0].toString(), bobKey: privateKeyToProtobuf(bob), records: count <= 1000 ? records : [] })
process.on('exit', () => {
  clearInterval(sampler)
  void rm(dir, { recursive: true, force: true })
})
