/**
 * Child process of bench/scale.ts: a relay started from a filled repo, in its own process so its
 * RSS and CPU are its own. argv: <repo> <mode>, mode `interest` (the relay as built) or `legacy`
 * (today's relay before the scale change, reproduced: it subscribes to the topic of every stored
 * key in batches of 500, as the old relay did on restart, and announces every subscription to
 * every peer, gossipsub's default).
 *
 * IPC, parent -> child: `{ cmd: 'idle', ms }` measures CPU over `ms` of idleness;
 * `{ cmd: 'sent', peer }` reports the subscription-announcement bytes sent to that peer;
 * `{ cmd: 'stop' }`. Child -> parent: `{ event: 'ready', ... }` and one answer per command.
 */
import { encodingLength } from 'uint8-varint'
import { createRelay } from '../src/relay/index.ts'
import { topicForKey } from '../src/record/index.ts'
import type { RelayHandle } from '../src/relay/index.ts'

const [repo, mode] = process.argv.slice(2)
if (repo == null || (mode !== 'interest' && mode !== 'legacy')) {
  console.error('usage: scale-relay <repo> interest|legacy')
  process.exit(2)
}
const send = (msg: unknown): void => { process.send?.(msg) }

const relay: RelayHandle = await createRelay({ repo, dht: false })
// performance.now() counts from process start: module loading and store opening included
const readyMs = performance.now()
const pubsub = relay.node.services.pubsub as unknown as {
  sendRpc(id: string, rpc: { subscriptions?: Array<{ topic?: string, subscribe?: boolean }> }): boolean
  sendSubscriptions(to: string, topics: string[], subscribe: boolean): void
  subscribe(topic: string): void
  topicValidators: Map<string, unknown>
  getTopics(): string[]
}

// count the subscription-announcement bytes each peer is sent, as gossipsub encodes them
const announced = new Map<string, number>()
const sendRpc = pubsub.sendRpc.bind(pubsub)
pubsub.sendRpc = (id, rpc) => {
  let bytes = 0
  for (const sub of rpc.subscriptions ?? []) bytes += subOptsBytes(sub.topic ?? '')
  if (bytes > 0) announced.set(id, (announced.get(id) ?? 0) + bytes)
  return sendRpc(id, rpc)
}

let subscribedMs = readyMs
if (mode === 'legacy') {
  // the old relay: announce-everything, and rejoin the topic of every stored key on restart
  delete (pubsub as Partial<typeof pubsub>).sendSubscriptions
  const keys = [...relay.relay.store.keys()]
  for (let i = 0; i < keys.length; i += 500) {
    for (const key of keys.slice(i, i + 500)) {
      const topic = topicForKey(key)
      pubsub.topicValidators.set(topic, async () => 'accept')
      pubsub.subscribe(topic)
    }
    await new Promise(resolve => setImmediate(resolve))
  }
  subscribedMs = performance.now()
}

const heap = (): number => process.memoryUsage().heapUsed
send({
  event: 'ready',
  readyMs,
  subscribedMs,
  addrs: relay.node.getMultiaddrs().map(a => a.toString()),
  peerId: relay.node.peerId.toString(),
  keys: relay.relay.store.stats().keys
})

process.on('message', (msg: { cmd: string, ms?: number, peer?: string }) => {
  void (async () => {
    switch (msg.cmd) {
      case 'idle': {
        const cpu0 = process.cpuUsage()
        const t0 = performance.now()
        await new Promise(resolve => setTimeout(resolve, msg.ms ?? 10_000))
        const cpu = process.cpuUsage(cpu0)
        const wall = performance.now() - t0
        send({
          event: 'idle',
          cpuPercent: (cpu.user + cpu.system) / 1000 / wall * 100,
          rss: process.memoryUsage().rss,
          heap: heap(),
          topics: pubsub.getTopics().filter(t => t.startsWith('/record/')).length
        })
        break
      }
      case 'sent':
        send({ event: 'sent', bytes: announced.get(msg.peer ?? '') ?? 0 })
        break
      case 'stop':
        await relay.stop()
        process.exit(0)
    }
  })()
})

/** Bytes of one SubOpts inside an RPC: `subscriptions` entry (field 1) of { subscribe (1), topic (2) }. */
function subOptsBytes (topic: string): number {
  const topicLength = Buffer.byteLength(topic)
  const inner = 2 + 1 + encodingLength(topicLength) + topicLength
  return 1 + encodingLength(inner) + inner
}
