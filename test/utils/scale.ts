/**
 * Helpers for scale tests and the scale bench: fill a relay's store with many inboxes before it
 * starts (as a relay restarted with a full store), and build peers with gossipsub's default
 * configuration, as every Helia or js-libp2p user has it.
 */
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { publicKeyFromRaw } from '@libp2p/crypto/keys'
import { fetch } from '@libp2p/fetch'
import { gossipsub } from '@libp2p/gossipsub'
import { identify } from '@libp2p/identify'
import { tcp } from '@libp2p/tcp'
import { createLibp2p } from 'libp2p'
import { createTaggedRecord, RecordValidator } from '../../src/record/index.ts'
import { RecordStore } from '../../src/relay/store.ts'
import { key } from './network.ts'
import type { Fetch } from '@libp2p/fetch'
import type { GossipSub } from '@libp2p/gossipsub'
import type { Libp2p, PrivateKey } from '@libp2p/interface'

export type DefaultPeer = Libp2p<{ pubsub: GossipSub, fetch: Fetch, identify: unknown }>

/** A node with gossipsub's defaults (StrictSign, default decode limits), TCP on 127.0.0.1. */
export async function defaultPeer (privateKey?: PrivateKey): Promise<DefaultPeer> {
  const node = await createLibp2p({
    privateKey,
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: { identify: identify(), pubsub: gossipsub(), fetch: fetch() }
  })
  return node as unknown as DefaultPeer
}

/** A receiver's tag made of random key bytes: a valid peer ID nobody holds the key of. */
export function randomTag (): Uint8Array {
  return publicKeyFromRaw(randomBytes(32)).toMultihash().bytes
}

/**
 * Writes `inboxes` records, each to a different receiver, into the store a relay under `repo`
 * opens (`<repo>/relay`), as a relay that took them in and was then restarted.
 */
export async function fillInboxes (repo: string, inboxes: number, options: { now?: number, lifetime?: number } = {}): Promise<void> {
  const now = options.now ?? Date.now()
  const signer = await key()
  const validator = new RecordValidator()
  const store = new RecordStore({ path: join(repo, 'relay') })
  await store.open()
  try {
    const batch = 256
    for (let i = 0; i < inboxes; i += batch) {
      const n = Math.min(batch, inboxes - i)
      const records = await Promise.all(Array.from({ length: n }, async () =>
        createTaggedRecord(signer, { tag: randomTag(), value: '/ipfs/bafkqaaa', sequence: 1n, lifetime: options.lifetime ?? 24 * 3_600_000, now })))
      await Promise.all(records.map(async r => store.put(validator.validate(r.bytes, { now, routingKey: r.routingKey }), now)))
    }
  } finally {
    await store.close()
  }
}

/** Record topics this peer knows `other` to be subscribed to: what `other` announced to it. */
export function topicsLearntFrom (peer: DefaultPeer, other: string): string[] {
  const topics = (peer.services.pubsub as unknown as { topics: Map<string, Set<string>> }).topics
  const out: string[] = []
  for (const [topic, peers] of topics) {
    if (peers.has(other)) out.push(topic)
  }
  return out
}
