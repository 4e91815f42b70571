/**
 * Baseline B, the DHT as a sloppy mailbox, as Textile did: the sender puts
 * `/ipts-sim/<receiver>/<sender>` -> its latest tagged record (carrying every message it sent to
 * that receiver) into a kad-dht, and the receiver, when online, gets the key of each of its
 * contacts. A separate DHT protocol keeps the sim's DHT apart from everything else.
 *
 * Who stores: every node is a DHT server, users included, as desktop IPFS nodes were: the
 * records land on the k closest peers, most of them users that churn. The `relays` count is
 * used for always-on infrastructure DHT servers that crash and restart on the relays' schedule.
 * Every node's datastore survives its restarts (a disk), except for the `dhtEphemeral` share of
 * users, whose nodes come back empty (browser or mobile nodes, reinstalls). Nothing republishes a record once its
 * sender is offline, and nothing can delete it before it expires: a receiver cannot say "done".
 *
 * Keys name the (receiver, sender) pair rather than the receiver alone: with one key per
 * receiver, records from different senders would overwrite one another (the DHT keeps one value
 * per key), which would sink this baseline for a reason it could avoid.
 */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import { Record as DhtRecord, kadDHT, passthroughMapper } from '@libp2p/kad-dht'
import { ping } from '@libp2p/ping'
import { peerIdFromString } from '@libp2p/peer-id'
import { tcp } from '@libp2p/tcp'
import { MemoryDatastore } from 'datastore-core'
import { createLibp2p } from 'libp2p'
import { RecordValidator, compareRecords, createTaggedRecord, tagRoutingKey, validateRecord } from '../../src/record/index.ts'
import { second } from '../../src/constants.ts'
import { createRng } from '../rng.ts'
import { decodeValue, encodeValue } from '../payload.ts'
import { Limiter, mapLimit } from '../util.ts'
import { Directory, Outboxes, RECORD_LIFETIME, errorName, Ports } from './common.ts'
import type { KadDHT } from '@libp2p/kad-dht'
import type { Libp2p, PrivateKey } from '@libp2p/interface'
import type { Send } from '../schedule.ts'
import type { Storage } from '../tracker.ts'
import type { SimSystem, SystemContext } from './types.ts'

/** The sim's own DHT (not the ipts rendezvous DHT, not the public one). */
export const SIM_DHT_PROTOCOL = '/ipts-sim/kad/1.0.0'
/** Key namespace, with its validator and selector registered on every node. */
export const SIM_DHT_NAMESPACE = 'ipts-sim'

const BOOTSTRAP_PEERS = 3
const DHT_ALPHA = 3
const DIAL_TIMEOUT = 10 * second
/** Bound on one put or get once it runs. */
const QUERY_TIMEOUT = 60 * second
/**
 * Puts and gets in flight at once in the whole run. Every node shares one thread: with dozens of
 * queries interleaved, each one's RPCs wait behind the others' and queries time out because the
 * machine is saturated, not because the DHT failed. Queued work costs the same CPU in the end.
 */
const DHT_OPS_AT_ONCE = 4
const JOIN_TIMEOUT = 5 * second

type DhtNode = Libp2p<{ dht: KadDHT }>

const utf8 = new TextEncoder()
const utf8d = new TextDecoder()

/** `/ipts-sim/<receiver peer ID>/<sender peer ID>`. */
function keyFor (to: PrivateKey, from: PrivateKey): Uint8Array {
  return utf8.encode(`/${SIM_DHT_NAMESPACE}/${to.publicKey.toString()}/${from.publicKey.toString()}`)
}

/** The key must name the record's tag and signer; the record must be a valid tagged record. */
function validate (key: Uint8Array, value: Uint8Array): void {
  const [, ns, to, from] = utf8d.decode(key).split('/')
  if (ns !== SIM_DHT_NAMESPACE || to == null || from == null) throw new Error('bad key')
  const tag = peerIdFromString(to).toMultihash().bytes
  const record = validateRecord(value, { now: Date.now(), routingKey: tagRoutingKey(tag) })
  const signer = peerIdFromString(from).toMultihash().bytes
  if (record.signer.byteLength !== signer.byteLength || !record.signer.every((b, i) => b === signer[i])) throw new Error('signer does not match key')
}

/** The latest record wins: highest sequence, then later EOL. */
function select (_key: Uint8Array, values: Uint8Array[]): number {
  let best = 0
  let bestRecord
  for (let i = 0; i < values.length; i++) {
    try {
      const record = validateRecord(values[i], { now: Date.now() })
      if (bestRecord == null || compareRecords(record, bestRecord) > 0) {
        best = i
        bestRecord = record
      }
    } catch {}
  }
  return best
}

async function createDhtNode (privateKey: PrivateKey, datastore: MemoryDatastore, listen: string): Promise<DhtNode> {
  const node = await createLibp2p({
    privateKey,
    datastore,
    addresses: { listen: [listen] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionManager: { maxConnections: 300, inboundConnectionThreshold: 10_000, allow: ['/ip4/127.0.0.1'] },
    connectionMonitor: { abortConnectionOnPingFailure: false, pingInterval: 30 * second },
    services: {
      identify: identify(),
      ping: ping(),
      dht: kadDHT({
        protocol: SIM_DHT_PROTOCOL,
        clientMode: false,
        peerInfoMapper: passthroughMapper,
        validators: { [SIM_DHT_NAMESPACE]: validate },
        selectors: { [SIM_DHT_NAMESPACE]: select },
        // as go-libp2p's DHT (what Textile ran): 3 queries in flight, one path. js-libp2p's
        // defaults (10 in flight, 20 disjoint paths) touch every node of a small network per query.
        alpha: DHT_ALPHA,
        disjointPaths: 1
      })
    }
  })
  return node as unknown as DhtNode
}

export class DhtSystem implements SimSystem {
  readonly name = 'dht-put' as const
  readonly deletions = false
  private readonly ctx: SystemContext
  private readonly infra: Array<DhtNode | undefined>
  private readonly ports = new Ports()
  private readonly users: Array<DhtNode | undefined>
  private readonly arrivedAt: number[]
  private readonly stores: MemoryDatastore[]
  /** Users whose node forgets its DHT store (and peer store) when it goes offline. */
  private readonly ephemeral: Set<number>
  private readonly directory: Directory
  private readonly outboxes: Outboxes
  private readonly validator = new RecordValidator()
  private readonly rng
  private readonly queries = new Limiter(DHT_OPS_AT_ONCE)

  constructor (ctx: SystemContext) {
    this.ctx = ctx
    this.infra = new Array(ctx.config.relays).fill(undefined)
    this.users = new Array(ctx.config.users).fill(undefined)
    this.arrivedAt = new Array(ctx.config.users).fill(-1)
    this.stores = Array.from({ length: ctx.config.relays + ctx.config.users }, () => new MemoryDatastore())
    this.directory = new Directory(ctx.userKeys)
    this.outboxes = new Outboxes(ctx.config.seed, ctx.config.messageBytes)
    this.rng = createRng(ctx.config.seed, `dht:${ctx.schedule.churn}`)
    const pick = createRng(ctx.config.seed, 'dht:ephemeral')
    this.ephemeral = new Set(Array.from({ length: ctx.config.users }, (_, u) => u).filter(() => pick.chance(ctx.config.dhtEphemeral)))
  }

  async start (): Promise<void> {
    for (let i = 0; i < this.infra.length; i++) await this.relayUp(i)
  }

  /** Dials a few nodes that are up: infrastructure first, then online users (a bootstrap list). */
  private async join (node: DhtNode): Promise<void> {
    const infra = this.rng.shuffled(this.infra.filter((n): n is DhtNode => n != null && n !== node))
    const users = this.rng.shuffled(this.users.filter((n): n is DhtNode => n != null && n !== node))
    let joined = 0
    for (const peer of [...infra, ...users]) {
      if (joined >= BOOTSTRAP_PEERS) break
      try {
        this.ctx.tracker.count('dials')
        await node.dial(peer.getMultiaddrs()[0], { signal: AbortSignal.timeout(DIAL_TIMEOUT) })
        joined++
      } catch {
        this.ctx.tracker.count('dial-failures')
      }
    }
    // wait (bounded) until the routing table has someone, or queries would stall
    const deadline = Date.now() + JOIN_TIMEOUT
    while (joined > 0 && (node.services.dht as any).routingTable?.size === 0 && Date.now() < deadline) {
      await new Promise(resolve => setTimeout(resolve, 50))
    }
  }

  async relayUp (i: number): Promise<void> {
    if (this.infra[i] != null) return
    const node = await this.ports.start(`relay-${i}`, async listen => createDhtNode(this.ctx.relayKeys[i], this.stores[i], listen))
    this.infra[i] = node
    await this.join(node)
  }

  async relayDown (i: number): Promise<void> {
    const node = this.infra[i]
    if (node == null) return
    this.infra[i] = undefined
    await node.stop()
  }

  async userOnline (u: number): Promise<void> {
    if (this.users[u] != null) return
    const node = await this.ports.start(`user-${u}`, async listen => createDhtNode(this.ctx.userKeys[u], this.stores[this.infra.length + u], listen))
    this.users[u] = node
    this.arrivedAt[u] = this.ctx.tracker.round
    await this.join(node)
  }

  async userOffline (u: number): Promise<void> {
    const node = this.users[u]
    if (node == null) return
    this.users[u] = undefined
    await node.stop()
    if (this.ephemeral.has(u)) {
      this.ctx.tracker.count('dht-stores-forgotten')
      this.stores[this.infra.length + u] = new MemoryDatastore()
    }
  }

  async send (s: Send): Promise<void> {
    const node = this.users[s.from]
    if (node == null) throw new Error(`sender ${s.from} is offline`)
    const box = `${s.from}>${s.to}`
    const messages = this.outboxes.add(box, this.outboxes.message(s))
    const record = await createTaggedRecord(this.ctx.userKeys[s.from], {
      tag: this.directory.multihashes[s.to],
      value: encodeValue(messages),
      sequence: this.outboxes.nextSequence(box),
      lifetime: RECORD_LIFETIME,
      now: Date.now()
    })
    this.ctx.tracker.sent(s.id)
    this.ctx.tracker.count('dht-puts')
    let replicas = 0
    try {
      await this.queries.run(async () => {
        for await (const event of node.services.dht.put(keyFor(this.ctx.userKeys[s.to], this.ctx.userKeys[s.from]), record.bytes, { signal: AbortSignal.timeout(QUERY_TIMEOUT) })) {
          if (event.name === 'SEND_QUERY') this.ctx.tracker.count('dht-put-rpcs')
          if (event.name === 'PEER_RESPONSE' && event.messageName === 'PUT_VALUE') replicas++
        }
      })
    } catch {
      this.ctx.tracker.count('dht-put-failures')
    }
    this.ctx.tracker.count('dht-replicas', replicas)
  }

  async poll (u: number, round: number): Promise<void> {
    const node = this.users[u]
    if (node == null) return
    if ((round - this.arrivedAt[u]) % this.ctx.config.dhtPollEvery !== 0) return
    const me = this.ctx.userKeys[u]
    const tag = this.directory.multihashes[u]
    await mapLimit(this.ctx.schedule.contacts[u], 2, async c => {
      this.ctx.tracker.count('dht-gets')
      try {
        await this.queries.run(async () => {
          for await (const event of node.services.dht.get(keyFor(me, this.ctx.userKeys[c]), { signal: AbortSignal.timeout(QUERY_TIMEOUT) })) {
            if (event.name === 'SEND_QUERY') this.ctx.tracker.count('dht-get-rpcs')
            if (event.name !== 'VALUE') continue
            try {
              const record = this.validator.validate(event.value, { now: Date.now(), routingKey: tagRoutingKey(tag) })
              for (const m of decodeValue(record.value)) {
                if (m.to === u) this.ctx.tracker.deliver(m.id, u)
              }
            } catch (err) {
              this.ctx.tracker.error(`invalid-record:${errorName(err)}`)
            }
          }
        })
      } catch {
        this.ctx.tracker.count('dht-get-failures')
      }
    })
  }

  async storage (): Promise<Storage> {
    const storage: Storage = { recordsHeld: 0, recordBytes: 0, staleRecords: 0 }
    const now = Date.now()
    for (const store of this.stores) {
      for await (const { value } of store.query({ prefix: '/dht/record' })) {
        try {
          const bytes = DhtRecord.deserialize(value).value
          const record = this.validator.validate(bytes, { now })
          storage.recordsHeld++
          storage.recordBytes += bytes.byteLength
          if (decodeValue(record.value).every(m => this.ctx.tracker.isDelivered(m.id))) storage.staleRecords = (storage.staleRecords ?? 0) + 1
        } catch {}
      }
    }
    return storage
  }

  async stop (): Promise<void> {
    await mapLimit(this.users.map((_, u) => u), 16, async u => this.userOffline(u))
    await mapLimit(this.infra.map((_, i) => i), 8, async i => this.relayDown(i))
  }
}
