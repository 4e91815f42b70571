/**
 * ipts: senders PUT tagged records to `custody` relays and may go offline at once; receivers,
 * whenever they are online, subscribe to their tag topic (relays push on subscribe and gossip new
 * records live) and drain their inbox from `drainRelays` relays each round, then acknowledge what
 * they got so that relays delete it. Relays know a few other relays (or find them through the DHT
 * rendezvous with `--rendezvous`), sync, and crash and restart from their repo (same port, same
 * key).
 */
import { join } from 'node:path'
import { pbStream } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import { createNode } from '../../src/node.ts'
import { createRelay } from '../../src/relay/index.ts'
import { RelayRequest, RelayResponse } from '../../src/pb/relay.ts'
import { MAX_RESPONSE_BYTES, RELAY_PROTOCOL } from '../../src/relay/protocol.ts'
import { RecordValidator, createAck, createTaggedRecord, tagRoutingKey, topicForKey } from '../../src/record/index.ts'
import { createRng } from '../rng.ts'
import { decodeValue, encodeValue } from '../payload.ts'
import { mapLimit } from '../util.ts'
import { Directory, Outboxes, RECORD_LIFETIME, diskUsage, errorName, Ports } from './common.ts'
import type { RelayHandle, CreateRelayOptions } from '../../src/relay/index.ts'
import type { IptsNode } from '../../src/node.ts'
import type { AckEntry } from '../../src/record/index.ts'
import type { Send } from '../schedule.ts'
import type { Storage } from '../tracker.ts'
import type { SimSystem, SystemContext } from './types.ts'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { Message } from '@libp2p/gossipsub'

/** Relay-to-relay sync every 3 s (production: 10 minutes), so that a restarted relay catches up within a round or two. */
const SIM_SYNC = { interval: 3000 }

/**
 * With `--rendezvous`, relays find one another through the DHT rendezvous, with schedules brisk
 * enough for a run of minutes. Off by default: dozens of relays in one process spend most of a
 * core on look-ups (each relay keeps finding relays it had not seen, so its backoff does not
 * settle for minutes, and every restart starts over), which stretches rounds without changing
 * what is delivered. Without it each relay is configured with a few other relays (`bootstrap`).
 */
const SIM_RENDEZVOUS: Partial<CreateRelayOptions> = {
  dht: true,
  rendezvous: { findInterval: 5000, maxFindInterval: 60_000, findTimeout: 5000, provideTimeout: 5000, redialDelay: 200, maxRedialDelay: 2000, redialAttempts: 3, aloneAfter: 1000 }
}

/**
 * Every simulated host shares 127.0.0.1, so the per-address budgets (which would charge all of
 * them to one address) are off; the per-peer budgets stay at their defaults.
 */
const SIM_BUDGETS: Partial<CreateRelayOptions> = {
  maxPutsPerIpPerMinute: Infinity,
  maxAcksPerIpPerMinute: Infinity,
  maxPublishesPerIpPerMinute: Infinity,
  maxRelayItemsPerIpPerMinute: Infinity
}

/** Relays each relay is configured with (dialled at start). */
const RELAY_BOOTSTRAP = 4

/** Bound on one relay-protocol exchange. */
const RPC_TIMEOUT = 10_000

interface User {
  node: IptsNode
  /** Relays this user drains (indices), replaced when they fail. */
  drain: number[]
  /** Received but not yet acknowledged: signer multihash (base64 key) -> entry. */
  pendingAcks: Map<string, AckEntry>
}

export class IptsSystem implements SimSystem {
  readonly name = 'ipts' as const
  readonly deletions = true
  private readonly ctx: SystemContext
  private readonly relays: Array<RelayHandle | undefined>
  private readonly relayIds: string[]
  private readonly ports = new Ports()
  private readonly users: Array<User | undefined>
  private readonly directory: Directory
  private readonly outboxes: Outboxes
  private readonly validator = new RecordValidator()
  private readonly rng
  /** Highest sequence acknowledged per (receiver, signer), so an ack is sent once. */
  private readonly acked = new Map<string, bigint>()

  constructor (ctx: SystemContext) {
    this.ctx = ctx
    this.relays = new Array(ctx.config.relays).fill(undefined)
    this.relayIds = ctx.relayKeys.map(k => k.publicKey.toString())
    this.users = new Array(ctx.config.users).fill(undefined)
    this.directory = new Directory(ctx.userKeys)
    this.outboxes = new Outboxes(ctx.config.seed, ctx.config.messageBytes)
    this.rng = createRng(ctx.config.seed, `ipts:${ctx.schedule.churn}`)
  }

  async start (): Promise<void> {
    for (let i = 0; i < this.relays.length; i++) {
      await this.relayUp(i)
    }
  }

  private readonly relayAddrs = new Map<string, Multiaddr>()

  private relayAddr (i: number): Multiaddr {
    const text = `/ip4/127.0.0.1/tcp/${this.ports.port(`relay-${i}`)}/p2p/${this.relayIds[i]}`
    let addr = this.relayAddrs.get(text)
    if (addr == null) {
      addr = multiaddr(text)
      this.relayAddrs.set(text, addr)
    }
    return addr
  }

  async relayUp (i: number): Promise<void> {
    if (this.relays[i] != null) return
    // a few relays that are up; with the rendezvous on, it finds the rest
    const up = this.relays.map((r, j) => r != null && j !== i ? j : -1).filter(j => j >= 0)
    const bootstrap = this.rng.shuffled(up).slice(0, this.ctx.config.rendezvous ? 2 : RELAY_BOOTSTRAP).map(j => this.relayAddr(j).toString())
    this.relays[i] = await this.ports.start(`relay-${i}`, async listen => createRelay({
      ...(this.ctx.config.rendezvous ? SIM_RENDEZVOUS : { dht: false }),
      ...SIM_BUDGETS,
      sync: SIM_SYNC,
      repo: join(this.ctx.dir, `relay-${i}`),
      privateKey: this.ctx.relayKeys[i],
      listen: [listen],
      bootstrap
    }), handle => handle.node.getMultiaddrs()[0])
  }

  async relayDown (i: number): Promise<void> {
    const handle = this.relays[i]
    if (handle == null) return
    this.relays[i] = undefined
    // the store is closed cleanly (the LevelDB lock must be released to reopen it in this process)
    await handle.stop()
  }

  async userOnline (u: number): Promise<void> {
    if (this.users[u] != null) return
    const node = await this.ports.start(`user-${u}`, async listen => createNode({ privateKey: this.ctx.userKeys[u], listen: [listen], maxConnections: 64 }))
    const user: User = { node, drain: [], pendingAcks: new Map() }
    this.users[u] = user
    const myKey = tagRoutingKey(this.directory.multihashes[u])
    const topic = topicForKey(myKey)
    node.services.pubsub.addEventListener('message', (evt: CustomEvent<Message>) => {
      if (evt.detail.topic !== topic) return
      this.ctx.tracker.count('gossip-records-received')
      this.accept(u, user, evt.detail.data, myKey)
    })
    // as `ipts inbox --watch` does: the relays it is connected to follow the topic and push
    node.services.pubsub.subscribe(topic)
    await this.pickDrainRelays(user)
  }

  async userOffline (u: number): Promise<void> {
    const user = this.users[u]
    if (user == null) return
    this.users[u] = undefined
    await user.node.stop()
  }

  /** Chooses drain relays among all (the user does not know which are up) and connects. */
  private async pickDrainRelays (user: User): Promise<void> {
    const want = Math.min(this.ctx.config.drainRelays, this.relays.length)
    const order = this.rng.shuffled(this.relays.map((_, i) => i)).filter(i => !user.drain.includes(i))
    for (const i of order) {
      if (user.drain.length >= want) break
      try {
        await user.node.dial(this.relayAddr(i), { signal: AbortSignal.timeout(RPC_TIMEOUT) })
        user.drain.push(i)
      } catch {
        this.ctx.tracker.count('relay-dial-failures')
      }
    }
  }

  private async request (node: IptsNode, relay: number, request: Partial<RelayRequest> & { type: RelayRequest.Type }): Promise<RelayResponse[]> {
    const signal = AbortSignal.timeout(RPC_TIMEOUT)
    const stream = await node.dialProtocol(this.relayAddr(relay), RELAY_PROTOCOL, { signal })
    try {
      const pb = pbStream(stream, { maxDataLength: MAX_RESPONSE_BYTES })
      await pb.write({ key: new Uint8Array(), signer: new Uint8Array(), ...request }, RelayRequest, { signal })
      const responses: RelayResponse[] = []
      // an inbox is paged; a bound on pages keeps the loop finite whatever the relay says
      for (let page = 0; page < 1000; page++) {
        const response = await pb.read(RelayResponse, { signal })
        responses.push(response)
        if (request.type !== RelayRequest.Type.INBOX || response.done || response.status !== RelayResponse.Status.OK) break
      }
      await stream.close({ signal })
      return responses
    } catch (err: any) {
      stream.abort(err)
      throw err
    }
  }

  async send (s: Send): Promise<void> {
    const user = this.users[s.from]
    if (user == null) throw new Error(`sender ${s.from} is offline`)
    const box = `${s.from}>${s.to}`
    const messages = this.outboxes.add(box, this.outboxes.message(s))
    const tag = this.directory.multihashes[s.to]
    const record = await createTaggedRecord(this.ctx.userKeys[s.from], {
      tag,
      value: encodeValue(messages),
      sequence: this.outboxes.nextSequence(box),
      lifetime: RECORD_LIFETIME,
      now: Date.now()
    })
    this.ctx.tracker.sent(s.id)
    // custody: try relays in random order until enough confirm (the sender does not know which are up)
    let confirmed = 0
    // relays it is connected to first, as a client uses the relays it knows
    const others = this.rng.shuffled(this.relays.map((_, j) => j).filter(j => !user.drain.includes(j)))
    for (const i of [...this.rng.shuffled(user.drain), ...others]) {
      if (confirmed >= this.ctx.config.custody) break
      try {
        this.ctx.tracker.count('custody-puts')
        const [response] = await this.request(user.node, i, { type: RelayRequest.Type.PUT, key: record.routingKey, record: record.bytes })
        if (response?.status === RelayResponse.Status.OK && (response.sequence ?? 0n) >= record.sequence) {
          confirmed++
          this.ctx.tracker.custodyRelays.set(s.id, [...(this.ctx.tracker.custodyRelays.get(s.id) ?? []), i])
        }
        else this.ctx.tracker.count(`custody-refused:${response?.error ?? 'unknown'}`)
      } catch {
        this.ctx.tracker.count('custody-put-failures')
      }
    }
    this.ctx.tracker.custody.set(s.id, confirmed)
  }

  /** Validates a record that arrived (inbox or gossip) and delivers its messages. */
  private accept (u: number, user: User, bytes: Uint8Array, routingKey: Uint8Array): void {
    try {
      const record = this.validator.validate(bytes, { now: Date.now(), routingKey })
      const from = this.directory.userOf(record.signer)
      if (from == null) return
      for (const m of decodeValue(record.value)) {
        if (m.to === u) this.ctx.tracker.deliver(m.id, u)
      }
      const ackKey = `${u}<${from}`
      if ((this.acked.get(ackKey) ?? 0n) < record.sequence) {
        const pending = user.pendingAcks.get(ackKey)
        if (pending == null || pending.sequence < record.sequence) {
          user.pendingAcks.set(ackKey, { signer: record.signer, sequence: record.sequence, eol: record.eol })
        }
      }
    } catch (err) {
      this.ctx.tracker.error(`invalid-record:${errorName(err)}`)
    }
  }

  async poll (u: number): Promise<void> {
    const user = this.users[u]
    if (user == null) return
    const routingKey = tagRoutingKey(this.directory.multihashes[u])
    if (user.drain.length < this.ctx.config.drainRelays) await this.pickDrainRelays(user)
    const failed: number[] = []
    for (const i of user.drain) {
      try {
        this.ctx.tracker.count('inbox-drains')
        const pages = await this.request(user.node, i, { type: RelayRequest.Type.INBOX, key: routingKey })
        for (const page of pages) {
          for (const bytes of page.records) {
            this.ctx.tracker.count('inbox-records-received')
            this.accept(u, user, bytes, routingKey)
          }
        }
      } catch {
        this.ctx.tracker.count('inbox-failures')
        failed.push(i)
      }
    }
    user.drain = user.drain.filter(i => !failed.includes(i))
    await this.flushAcks(u, user)
  }

  /** Acknowledges what arrived to one drain relay; relays forward acks to one another. */
  private async flushAcks (u: number, user: User): Promise<void> {
    if (user.pendingAcks.size === 0) return
    const entries = [...user.pendingAcks.values()]
    const ack = await createAck(this.ctx.userKeys[u], { entries, now: Date.now() })
    for (const i of user.drain) {
      try {
        this.ctx.tracker.count('acks-sent')
        const [response] = await this.request(user.node, i, { type: RelayRequest.Type.ACK, ack: ack.bytes })
        if (response?.status !== RelayResponse.Status.OK) continue
        for (const [key, entry] of user.pendingAcks) {
          if ((this.acked.get(key) ?? 0n) < entry.sequence) this.acked.set(key, entry.sequence)
        }
        user.pendingAcks.clear()
        return
      } catch {
        this.ctx.tracker.count('ack-failures')
      }
    }
  }

  async storage (): Promise<Storage> {
    const storage: Storage = { recordsHeld: 0, recordBytes: 0, diskBytes: 0, staleRecords: 0 }
    const now = Date.now()
    for (let i = 0; i < this.relays.length; i++) {
      const handle = this.relays[i]
      if (handle == null) continue
      const stats = handle.relay.store.stats()
      storage.recordsHeld += stats.records
      storage.recordBytes += stats.bytes
      for (let u = 0; u < this.ctx.config.users; u++) {
        const routingKey = tagRoutingKey(this.directory.multihashes[u])
        const page = await handle.relay.store.page(routingKey, { limit: 1000, now })
        for (const bytes of page.records) {
          const record = this.validator.validate(bytes, { now, routingKey })
          if (decodeValue(record.value).every(m => this.ctx.tracker.isDelivered(m.id))) storage.staleRecords = (storage.staleRecords ?? 0) + 1
        }
      }
    }
    for (let i = 0; i < this.relays.length; i++) {
      storage.diskBytes = (storage.diskBytes ?? 0) + await diskUsage(join(this.ctx.dir, `relay-${i}`))
    }
    return storage
  }

  async stop (): Promise<void> {
    await mapLimit(this.users.map((_, u) => u), 16, async u => this.userOffline(u))
    await mapLimit(this.relays.map((_, i) => i), 8, async i => this.relayDown(i))
  }
}
