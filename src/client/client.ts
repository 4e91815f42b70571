/**
 * The sender and receiver: `send` hands a record to relays and waits for custody, `inbox` drains
 * and decrypts what relays hold for us (and follows our topic with `watch`), `ack` makes relays
 * delete what we read and sends receipts back, `receipts` and `waitForReceipt` tell a sender its
 * messages arrived, `resolve` reads a plain IPNS name through relays.
 */
import { InvalidParametersError } from '@libp2p/interface'
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { CID } from 'multiformats/cid'
import { day, second, minute } from '../constants.ts'
import { SafeEventEmitter } from '../events.ts'
import { CustodyRefusedError, DrainTimeoutError, NameNotFoundError, NoRelaysError, ReceiptTimeoutError, RelayProtocolError } from '../errors.ts'
import {
  DEFAULT_LIFETIME, MAX_ACK_ENTRIES, RecordValidator, createAck, createPlainRecord, createTaggedRecord, isBetter,
  nameRoutingKey, topicForKey
} from '../record/index.ts'
import { Channel } from './channel.ts'
import { dialChosen, resolveRelayList } from './chosen.ts'
import { ensureCustody } from './custody.ts'
import { checkRelayList, relayListToValue } from './relay-list.ts'
import { MAX_CARRIED } from './payload.ts'
import { planRecovery, probeRelays } from './recover.ts'
import { connectedRelays, findRelays } from './discover.ts'
import { InboxReader, bigMax } from './inbox.ts'
import { checkMessageFits, draftRecord } from './outbox.ts'
import { parsePeerId } from './peer.ts'
import { inboxPages, sendAck } from './relay-rpc.ts'
import { ackedSequence, applyReceipt, peerState } from './state.ts'
import { anySignal, defer, shortPeer, sleep } from './util.ts'
import type { CustodyOptions, CustodyResult } from './custody.ts'
import type { ClientProgressEvent, ProgressOptions } from './events.ts'
import type { Recovery, RelayView, Renumbered } from './recover.ts'
import type { RelayList } from './relay-list.ts'
import type { InboxMessage, ReceivedRecord } from './inbox.ts'
import type { NewMessage } from './outbox.ts'
import type { ClientState, StateData } from './state.ts'
import type { IptsNode } from '../node.ts'
import type { IptsRecord } from '../record/index.ts'
import type { AbortOptions, Logger, PeerId, PrivateKey } from '@libp2p/interface'
import type { Message as PubsubMessage } from '@libp2p/gossipsub'

/** Time allowed to dial one relay, ms. */
export const DIAL_TIMEOUT = 5 * second
/** Default custody deadline of `send`, ms. */
export const DEFAULT_SEND_TIMEOUT = 30 * second
/** Default deadline for a relay's acknowledgement answer, ms. */
export const ACK_TIMEOUT = 10 * second
/** Deadline for handing a receipt record to a relay, ms. */
export const RECEIPT_SEND_TIMEOUT = 10 * second
/** Lifetime of a record that only carries receipts, ms. */
export const RECEIPT_LIFETIME = DEFAULT_LIFETIME
/** How often `inbox({ watch: true })` reconnects to relays and drains them again, ms. */
export const WATCH_REFRESH = minute
/** Default deadline of `waitForReceipt`, ms. */
export const DEFAULT_RECEIPT_TIMEOUT = 60 * second
/**
 * Default deadline of one round of inbox drains (reaching the relays and reading each to the
 * end), ms: far above what an honest relay needs (1,000 records take well under a second on a
 * LAN; 10 MB at 1 Mbit/s about 80 s), so only a relay that stalls or never ends hits it.
 */
export const DEFAULT_DRAIN_TIMEOUT = 2 * minute
/** Inbox records queued for the reader before relay streams are slowed down. */
const INBOX_QUEUE = 256
/** Lifetime of a relay-list record: the longest relays accept by default (30 days), ms. */
export const RELAY_LIST_LIFETIME = 30 * day
/** Times one send renumbers past relays before it gives up (twice: a race with another writer). */
export const MAX_RENUMBERS = 2

export interface ClientInit {
  /** The client's key: it signs records and is the tag others send to. */
  privateKey: PrivateKey
  /** The libp2p node to use (started). */
  node: IptsNode
  /** Whether `stop()` stops the node too (it was created for this client). */
  ownsNode: boolean
  state: ClientState
  /** Relay multiaddrs (with /p2p/) to use. */
  relays?: string[]
  /** Multiaddrs dialled to find relays among them. */
  bootstrap?: string[]
  /** The clock. @default Date.now */
  now?(): number
}

/** What to send: text, a small file (inline), a CID, or text with one of the others. */
export interface SendContent {
  text?: string
  file?: { name: string, data: Uint8Array }
  /** A CID, or an `/ipfs/` or `/ipns/` path, of content the receiver fetches from IPFS. */
  cid?: string
}

export interface SendOptions extends AbortOptions, ProgressOptions {
  /** How long relays keep the message, ms. @default 86_400_000 (24 h) */
  lifetime?: number
  /** Relays that must confirm custody. @default 2 when 2 or more relays are reachable, else 1 */
  minRelays?: number
  /** Deadline for reaching relays and custody, ms. @default 30_000 */
  timeout?: number
  /** Seal the message to the receiver's key. @default true */
  encrypt?: boolean
}

export interface SendResult {
  to: PeerId
  /** The message's number: the sequence of the record it was first sent in. */
  seq: bigint
  /** The record's value (an inline `/ipfs/` payload). */
  value: string
  /** Relays that confirmed custody. */
  relays: PeerId[]
  encrypted: boolean
  /**
   * Set when the message was numbered above what this client's state knew, because relays showed
   * the state was behind (lost, or restored from a backup): see protocol section 8.
   */
  renumbered?: Renumbered
}

export interface InboxOptions extends AbortOptions, ProgressOptions {
  /** Keep following the tag's topic for new records after draining. @default false */
  watch?: boolean
  /**
   * Acknowledge what was read: relays delete it and the senders get receipts. Without `watch`,
   * this happens once every relay is drained and the messages were consumed; with `watch`,
   * whenever the reader catches up. @default false
   */
  ack?: boolean
  /**
   * Deadline of each round of drains (reaching relays and reading each to the end), ms. A relay
   * whose drain has not ended by then is given up (`inbox:relay-failed` with a
   * `DrainTimeoutError`), and what the others delivered stands. @default 120_000 (2 min)
   */
  timeout?: number
}

export interface ReceiptsOptions extends AbortOptions, ProgressOptions {
  /** Deadline for reaching relays and draining them for receipts, ms. @default 120_000 (2 min) */
  timeout?: number
}

export interface ReceiptInfo {
  /** The peer that acknowledged our records. */
  from: PeerId
  /** Our records (messages) up to this sequence reached it. */
  seq: bigint
  at: Date
}

export interface ResolveResult {
  name: PeerId
  value: string
  sequence: bigint
  eol: number
}

export interface SetRelaysResult {
  list: RelayList
  /** The list record's sequence. */
  sequence: bigint
  /** When relays drop it unless it is set again, ms since the epoch. */
  eol: number
  /** Relays that confirmed they hold it. */
  relays: PeerId[]
  /** Listed relays that could not be dialled now. */
  unreachable: string[]
}

export interface RelayListInfo extends RelayList {
  peer: PeerId
  sequence: bigint
  eol: number
}

export interface ClientEvents {
  /** A peer acknowledged our records up to `seq`. */
  receipt: CustomEvent<ReceiptInfo>
}

/** An acknowledgement entry with the sender as a peer ID. */
interface PendingAck {
  from: PeerId
  sequence: bigint
  eol: number
}

export class Client extends SafeEventEmitter<ClientEvents> {
  readonly node: IptsNode
  readonly peerId: PeerId
  private readonly privateKey: PrivateKey
  private readonly ownsNode: boolean
  private readonly state: ClientState
  private readonly relayAddrs: string[]
  private readonly bootstrapAddrs: string[]
  private readonly now: () => number
  private readonly log: Logger
  private readonly validator = new RecordValidator()
  private readonly shutdown = new AbortController()
  private stopped = false
  /** Why the configured relays could not be reached on the last attempt. */
  private lastFailures: Array<{ relay: string, error: Error }> = []
  /**
   * Peers this client has reason to treat as relays: those it dialled from its configured relay
   * and bootstrap addresses, and those the rendezvous found. Other connected peers that announce
   * the relay protocol are not used (their custody confirmations would count).
   */
  private readonly knownRelays = new Set<string>()

  constructor (init: ClientInit) {
    super()
    this.node = init.node
    this.privateKey = init.privateKey
    this.peerId = peerIdFromPrivateKey(init.privateKey)
    this.ownsNode = init.ownsNode
    this.state = init.state
    this.relayAddrs = init.relays ?? []
    this.bootstrapAddrs = init.bootstrap ?? []
    this.now = init.now ?? Date.now
    this.log = init.node.logger.forComponent('ipts:client')
  }

  /** Stops pending operations, and the node if the client created it. Idempotent. */
  async stop (): Promise<void> {
    if (this.stopped) return
    this.stopped = true
    this.shutdown.abort()
    if (this.ownsNode) await this.node.stop()
  }

  /**
   * Dials the configured relays and returns every relay reachable now: the configured ones, the
   * bootstrap peers that are relays, and (with neither) the relays the rendezvous finds. Other
   * connected peers are not relays to this client, whatever they announce.
   */
  async reachRelays (options: AbortOptions & ProgressOptions = {}): Promise<PeerId[]> {
    const signal = anySignal([options.signal, this.shutdown.signal])
    const failed: Array<{ relay: string, error: Error }> = []
    const reached = new Map<string, PeerId>()
    const dial = async (addr: string, isRelay: boolean): Promise<void> => {
      try {
        const connection = await this.node.dial(multiaddr(addr), { signal: anySignal([signal, AbortSignal.timeout(DIAL_TIMEOUT)]) })
        this.knownRelays.add(connection.remotePeer.toString())
        if (isRelay) reached.set(connection.remotePeer.toString(), connection.remotePeer)
      } catch (err: any) {
        failed.push({ relay: addr, error: err })
      }
    }
    await Promise.all([
      ...this.relayAddrs.map(async addr => dial(addr, true)),
      ...this.bootstrapAddrs.map(async addr => dial(addr, false))
    ])
    // relays we were given are enough; look for others only without them
    const accept = (peer: PeerId): boolean => this.knownRelays.has(peer.toString())
    const found = reached.size > 0 ? (await connectedRelays(this.node)).filter(accept) : await findRelays(this.node, { signal, accept })
    for (const peer of found) {
      // what the rendezvous found becomes known; connected ones already were
      this.knownRelays.add(peer.toString())
      reached.set(peer.toString(), peer)
    }
    const relays = [...reached.values()]
    this.lastFailures = failed
    options.onProgress?.({ type: 'relays:reached', detail: { relays, failed } })
    return relays
  }

  /**
   * Sends a message to `to` and resolves once enough relays hold it (custody). The record also
   * carries every earlier message to `to` that has no receipt yet, and our latest receipt for
   * `to`'s messages.
   *
   * @throws InvalidPeerIdError if `to` is not an Ed25519 peer ID
   * @throws NoRelaysError if no relay (or fewer than `minRelays`) can be reached
   * @throws PayloadTooLargeError if the message does not fit in a record (send a CID instead)
   * @throws OutboxFullError if it fits alone but not with the unacknowledged earlier messages
   * @throws CustodyTimeoutError if fewer than `minRelays` relays confirmed before the timeout
   * @throws CustodyRefusedError if too many relays refused the record
   */
  async send (to: PeerId | string, content: SendContent, options: SendOptions = {}): Promise<SendResult> {
    const receiver = parsePeerId(to)
    const message = newMessage(content, options)
    checkMessageFits(message, receiver)
    const signal = anySignal([options.signal, this.shutdown.signal, AbortSignal.timeout(options.timeout ?? DEFAULT_SEND_TIMEOUT)])
    const reachable = await this.reachRelays({ signal, onProgress: options.onProgress })
    if (reachable.length === 0) throw new NoRelaysError(this.noRelaysReason(0, options.minRelays ?? 1))
    // what the relays hold of ours (deliver's first question) is asked while the receiver's relay
    // list resolves: two requests per relay side by side instead of one after the other. Used
    // when the list sends us to the same relays (no list, the usual case); otherwise deliver asks
    // the chosen relays itself
    const early = probeRelays(this.node, this.validator, reachable, receiver, this.peerId, { signal, now: this.now() })
    early.catch(() => {})
    // the receiver's chosen relays, when it named some and one of them answers (section 12)
    const chosen = await this.reachChosen(receiver, reachable, { signal })
    const relays = chosen.reached.length > 0 ? chosen.reached : reachable
    const sameRelays = relays.length === reachable.length && relays.every(r => reachable.some(p => p.equals(r)))
    if (chosen.list != null) {
      options.onProgress?.({ type: 'send:route', detail: { to: receiver, chosen: chosen.reached, wanted: chosen.list.relays.length, min: chosen.list.min, fallback: chosen.reached.length === 0, failed: chosen.failed } })
    }
    const minRelays = options.minRelays ?? (chosen.reached.length > 0 ? Math.min(chosen.list?.min ?? 1, chosen.reached.length) : relays.length >= 2 ? 2 : 1)
    if (relays.length < minRelays) {
      throw new NoRelaysError(this.noRelaysReason(relays.length, minRelays))
    }
    const delivery: Delivery = { seq: undefined }
    try {
      const { record, custody, renumbered } = await this.deliver(receiver, message, relays, { minRelays, signal, onProgress: options.onProgress }, delivery, sameRelays ? early : undefined)
      const result: SendResult = { to: receiver, seq: record.sequence, value: record.value, relays: custody.confirmed, encrypted: message.encrypt }
      if (renumbered != null) {
        result.renumbered = renumbered
        options.onProgress?.({ type: 'send:renumbered', detail: { to: receiver, seq: record.sequence, ...renumbered } })
      }
      return result
    } catch (err) {
      // the caller is told it failed: later records must not carry it (a refused message
      // would make every later record refused too). Its sequence stays used.
      if (delivery.seq != null) await this.withdraw(receiver, delivery.seq).catch(() => {})
      throw err
    }
  }

  /**
   * Reads our inbox: drains every reachable relay (in parallel, streaming) and yields each
   * message not read before, verified and decrypted, as it arrives. Messages from the same sender
   * are yielded once per run even when several relays hold them. Without `ack`, a later run
   * yields them again (relays keep them until they expire or are acknowledged).
   *
   * @throws NoRelaysError if no relay can be reached, or none could be drained
   */
  async * inbox (options: InboxOptions = {}): AsyncGenerator<InboxMessage> {
    const watch = options.watch ?? false
    const ack = options.ack ?? false
    const timeout = options.timeout ?? DEFAULT_DRAIN_TIMEOUT
    const run = new AbortController()
    const signal = anySignal([options.signal, this.shutdown.signal, run.signal])
    // the first round's deadline covers reaching the relays too
    let deadline = AbortSignal.timeout(timeout)
    const relays = await this.reachRelays({ signal: anySignal([signal, deadline]), onProgress: options.onProgress })
    if (relays.length === 0) throw new NoRelaysError(this.noRelaysReason(0, 1))
    const state = await this.state.read()
    const reader = this.newReader(state)
    // `null` marks the end of a round of drains: the reader may acknowledge what it has read
    const channel = new Channel<ReceivedRecord | null>(INBOX_QUEUE)
    const pending = new Map<string, PendingAck>()
    const reached = new Map(relays.map(r => [r.toString(), r]))
    let stopWatching = (): void => {}
    let drainsDone = false

    const onBytes = async (bytes: Uint8Array): Promise<void> => {
      const received = this.readRecord(reader, bytes, options)
      if (received != null) await channel.push(received)
    }
    if (watch) {
      stopWatching = this.watchTopic(reader.routingKey, onBytes)
    }
    const drainAll = async (targets: PeerId[]): Promise<number> => {
      const results = await Promise.all(targets.map(async relay => this.drainRelay(relay, reader.routingKey, onBytes, { signal, deadline, timeout, onProgress: options.onProgress })))
      return results.filter(ok => ok).length
    }
    const background = (async () => {
      // our chosen relays first: that is where senders put our mail (section 12)
      const chosen = await this.reachChosen(this.peerId, relays, { signal: anySignal([signal, deadline]) })
      for (const r of chosen.reached) reached.set(r.toString(), r)
      const rest = relays.filter(r => !chosen.reached.some(c => c.equals(r)))
      const drained = (chosen.reached.length > 0 ? await drainAll(chosen.reached) : 0) + await drainAll(rest)
      drainsDone = true
      options.onProgress?.({ type: 'inbox:caught-up', detail: { relays: chosen.reached.length + rest.length, drained } })
      if (!watch) {
        channel.close(drained === 0 ? new NoRelaysError('no relay could be drained') : undefined)
        return
      }
      await channel.push(null)
      while (!signal.aborted) {
        await sleep(WATCH_REFRESH, signal)
        if (signal.aborted) break
        deadline = AbortSignal.timeout(timeout)
        const again = await this.reachRelays({ signal: anySignal([signal, deadline]) }).catch(() => [])
        for (const r of again) reached.set(r.toString(), r)
        await drainAll(again)
        await channel.push(null)
      }
    })().catch((err) => { channel.close(err) })
    signal.addEventListener('abort', () => { channel.close() }, { once: true })

    try {
      for await (const received of channel) {
        if (received != null) {
          await this.takeReceipts(received, options)
          for (const message of received.messages) {
            yield message
          }
          if (received.readable) {
            pending.set(received.from.toString(), { from: received.from, sequence: received.record.sequence, eol: received.record.eol })
          }
        }
        if (ack && watch && drainsDone && channel.size === 0 && pending.size > 0) {
          // what no relay applied is kept for the next catch-up
          const applied = await this.applyAck([...pending.values()], [...reached.values()], { signal, onProgress: options.onProgress, strict: false })
          for (const e of applied) pending.delete(e.from.toString())
        }
      }
      if (ack && pending.size > 0 && !signal.aborted) {
        await this.applyAck([...pending.values()], [...reached.values()], { signal: options.signal, onProgress: options.onProgress, strict: true })
      }
    } finally {
      stopWatching()
      run.abort()
      channel.close()
      await background
    }
  }

  /**
   * Acknowledges messages read from `inbox()`: relays delete the records that carried them (and
   * refuse them from then on), and each sender gets a receipt.
   */
  async ack (messages: InboxMessage[], options: AbortOptions & ProgressOptions = {}): Promise<void> {
    const entries = new Map<string, PendingAck>()
    for (const m of messages) {
      const current = entries.get(m.from.toString())
      if (current == null || current.sequence < m.record.sequence) {
        entries.set(m.from.toString(), { from: m.from, sequence: m.record.sequence, eol: m.record.eol })
      }
    }
    if (entries.size === 0) return
    const relays = await this.reachRelays(options)
    if (relays.length === 0) throw new NoRelaysError(this.noRelaysReason(0, 1))
    await this.applyAck([...entries.values()], relays, { ...options, strict: true })
  }

  /**
   * Drains our inbox for receipts (messages are left for `inbox`) and returns every receipt we
   * hold, oldest first per peer.
   */
  async receipts (options: ReceiptsOptions = {}): Promise<ReceiptInfo[]> {
    const signal = anySignal([options.signal, this.shutdown.signal])
    const timeout = options.timeout ?? DEFAULT_DRAIN_TIMEOUT
    const deadline = AbortSignal.timeout(timeout)
    const relays = await this.reachRelays({ signal: anySignal([signal, deadline]), onProgress: options.onProgress })
    if (relays.length === 0) throw new NoRelaysError(this.noRelaysReason(0, 1))
    await this.collectReceipts(await this.withOwnChosen(relays, { signal: anySignal([signal, deadline]) }), { signal, deadline, timeout, onProgress: options.onProgress })
    return listReceipts(await this.state.read())
  }

  /**
   * Waits until `to` acknowledges our message `seq` (or a later one): follows our topic and
   * drains relays with backoff, bounded by `timeout`.
   *
   * @throws ReceiptTimeoutError if no receipt arrived in time
   */
  async waitForReceipt (to: PeerId | string, seq: bigint, options: AbortOptions & ProgressOptions & { timeout?: number } = {}): Promise<ReceiptInfo> {
    const peer = parsePeerId(to)
    const timeout = options.timeout ?? DEFAULT_RECEIPT_TIMEOUT
    const deadline = AbortSignal.timeout(timeout)
    const done = new AbortController()
    const signal = anySignal([options.signal, this.shutdown.signal, deadline, done.signal])
    const found = (data: StateData): ReceiptInfo | undefined => {
      const latest = data.peers[peer.toString()]?.receipts.at(-1)
      return latest != null && BigInt(latest.seq) >= seq ? { from: peer, seq: BigInt(latest.seq), at: new Date(latest.at) } : undefined
    }
    const already = found(await this.state.read())
    if (already != null) return already

    const arrived = defer<ReceiptInfo>()
    const onReceipt = (evt: CustomEvent<ReceiptInfo>): void => {
      if (evt.detail.from.equals(peer) && evt.detail.seq >= seq) arrived.resolve(evt.detail)
    }
    this.addEventListener('receipt', onReceipt)
    const reader = this.newReader(await this.state.read())
    const onBytes = this.receiptTaker(reader, options)
    const stopWatching = this.watchTopic(reader.routingKey, onBytes)
    const poll = (async () => {
      let delay = second
      while (!signal.aborted) {
        const relays = await this.reachRelays({ signal }).then(async r => this.withOwnChosen(r, { signal })).catch(() => [])
        await Promise.all(relays.map(async relay => this.drainRelay(relay, reader.routingKey, onBytes, { signal })))
        await sleep(delay, signal)
        delay = Math.min(delay * 2, 8 * second)
      }
    })()
    const onAbort = (): void => {
      if (done.signal.aborted) return
      arrived.reject(deadline.aborted
        ? new ReceiptTimeoutError(`no receipt from ${peer.toString()} for message ${seq} within ${Math.round(timeout / second)} s`)
        : signal.reason)
    }
    signal.addEventListener('abort', onAbort, { once: true })
    if (signal.aborted) onAbort()
    try {
      return await arrived.promise
    } finally {
      signal.removeEventListener('abort', onAbort)
      done.abort()
      this.removeEventListener('receipt', onReceipt)
      stopWatching()
      await poll.catch(() => {})
    }
  }

  /**
   * Publishes our relay list (section 12): the relays we want our mail kept on, in order, and how
   * many of them must hold each message. Signed with our key as our IPNS name's record, numbered
   * above any list relays hold, and handed to every relay reached and every relay in the list.
   *
   * @throws InvalidRelayListError if the list is not valid
   * @throws NoRelaysError if no relay can be reached
   * @throws CustodyTimeoutError / CustodyRefusedError if no relay took it
   */
  async setRelays (list: RelayList, options: AbortOptions & ProgressOptions & { lifetime?: number } = {}): Promise<SetRelaysResult> {
    const checked = checkRelayList(list)
    const value = relayListToValue(checked)
    const signal = anySignal([options.signal, this.shutdown.signal])
    const relays = await this.reachRelays({ signal, onProgress: options.onProgress })
    const listed = await dialChosen(this.node, checked, { signal, timeout: DIAL_TIMEOUT })
    const targets = [...new Map([...relays, ...listed.reached].map(p => [p.toString(), p])).values()]
    if (targets.length === 0) throw new NoRelaysError(this.noRelaysReason(0, 1))
    const current = await resolveRelayList(this.node, this.validator, targets, this.peerId, { signal, now: this.now(), timeout: DIAL_TIMEOUT })
    const record = await this.state.update(async data => {
      const held = current.resolved?.record.sequence ?? 0n
      const sequence = bigMax(BigInt(data.relayList?.seq ?? '0'), held) + 1n
      data.relayList = { seq: sequence.toString() }
      const now = this.now()
      return createPlainRecord(this.privateKey, { value, sequence, lifetime: options.lifetime ?? RELAY_LIST_LIFETIME, now })
    })
    this.publishBestEffort(record)
    const custody = await ensureCustody(this.node, targets, record, { minRelays: 1, signal: anySignal([signal, AbortSignal.timeout(DEFAULT_SEND_TIMEOUT)]), onProgress: options.onProgress })
    return { list: checked, sequence: record.sequence, eol: record.eol, relays: custody.confirmed, unreachable: listed.failed.map(f => f.relay) }
  }

  /**
   * Resolves `peer`'s relay list (ours by default) through the relays we reach.
   *
   * @throws NameNotFoundError if no reachable relay holds a valid list for it
   */
  async relayList (peer?: PeerId | string, options: AbortOptions & ProgressOptions = {}): Promise<RelayListInfo> {
    const target = peer == null ? this.peerId : parsePeerId(peer)
    const signal = anySignal([options.signal, this.shutdown.signal])
    const relays = await this.reachRelays({ signal, onProgress: options.onProgress })
    if (relays.length === 0) throw new NoRelaysError(this.noRelaysReason(0, 1))
    const { resolved, refused } = await resolveRelayList(this.node, this.validator, relays, target, { signal, now: this.now(), timeout: DIAL_TIMEOUT })
    if (resolved == null) {
      throw new NameNotFoundError(`no relay holds a valid relay list for ${target.toString()}${refused.length > 0 ? ` (${refused.join(', ')})` : ''}`)
    }
    return { peer: target, ...resolved.list, sequence: resolved.record.sequence, eol: resolved.record.eol }
  }

  /**
   * Resolves a plain IPNS name (a peer ID, or `/ipns/<peer ID>`) through relays, with libp2p fetch
   * as the IPNS-over-pubsub router defines it, and returns the best valid record's value.
   *
   * @throws NameNotFoundError if no reachable relay holds a valid record for it
   */
  async resolve (name: string, options: AbortOptions & ProgressOptions = {}): Promise<ResolveResult> {
    const peer = parsePeerId(name.startsWith('/ipns/') ? name.slice('/ipns/'.length) : name, { anyKeyType: true })
    const key = nameRoutingKey(peer.toMultihash().bytes)
    const signal = anySignal([options.signal, this.shutdown.signal])
    const relays = await this.reachRelays({ signal, onProgress: options.onProgress })
    if (relays.length === 0) throw new NoRelaysError(this.noRelaysReason(0, 1))
    let best: IptsRecord | undefined
    const errors: string[] = []
    await Promise.all(relays.map(async relay => {
      try {
        const bytes = await this.node.services.fetch.fetch(relay, key, { signal: anySignal([signal, AbortSignal.timeout(DIAL_TIMEOUT)]) })
        if (bytes == null) return
        const record = this.validator.validate(bytes, { now: this.now(), routingKey: key })
        if (isBetter(record, best)) best = record
      } catch (err: any) {
        errors.push(`${shortPeer(relay)}: ${err?.message ?? err}`)
      }
    }))
    if (best == null) {
      throw new NameNotFoundError(`no relay holds a valid record for ${peer.toString()}${errors.length > 0 ? ` (${errors.join(', ')})` : ''}`)
    }
    return { name: peer, value: best.value, sequence: best.sequence, eol: best.eol }
  }

  // --- internals --------------------------------------------------------------------------------

  private newReader (state: StateData): InboxReader {
    return new InboxReader({
      privateKey: this.privateKey,
      validator: this.validator,
      acked: (from) => ackedSequence(state, from)
    })
  }

  /** Feeds bytes to the reader; reports what it drops. */
  private readRecord (reader: InboxReader, bytes: Uint8Array, options: ProgressOptions): ReceivedRecord | undefined {
    const result = reader.read(bytes, this.now())
    if (result.status === 'invalid') {
      options.onProgress?.({ type: 'inbox:invalid', detail: { error: result.error } })
      return undefined
    }
    if (result.status !== 'new') return undefined
    const { received } = result
    if (!received.readable || received.reason != null) {
      options.onProgress?.({ type: 'inbox:unreadable', detail: { from: received.from, sequence: received.record.sequence, reason: received.reason ?? 'unreadable' } })
    }
    return received
  }

  /** Stores the receipts a record carries and announces the new ones. */
  private async takeReceipts (received: ReceivedRecord, options: ProgressOptions): Promise<void> {
    if (received.receipts.length === 0) return
    const latest = received.receipts.reduce((a, b) => (b.seq > a.seq ? b : a))
    const from = received.from.toString()
    const news = await this.state.update(data => applyReceipt(data, from, latest))
    if (!news) return
    const info: ReceiptInfo = { from: received.from, seq: latest.seq, at: new Date(latest.at) }
    options.onProgress?.({ type: 'receipt:received', detail: info })
    this.safeDispatch('receipt', info)
  }

  /** A record handler that keeps the receipts records carry and leaves their messages for `inbox`. */
  private receiptTaker (reader: InboxReader, options: ProgressOptions): (bytes: Uint8Array) => Promise<void> {
    return async (bytes) => {
      const received = this.readRecord(reader, bytes, options)
      if (received != null) await this.takeReceipts(received, options)
    }
  }

  /**
   * Streams one relay's inbox into `onBytes`. Resolves false (after reporting) if it failed or
   * did not end before `deadline` (a `DrainTimeoutError` then; `timeout` is its length, for the
   * message). The caller's `signal` ends it without a report.
   */
  private async drainRelay (relay: PeerId, key: Uint8Array, onBytes: (bytes: Uint8Array) => Promise<void>,
    options: AbortOptions & ProgressOptions & { deadline?: AbortSignal, timeout?: number }): Promise<boolean> {
    let records = 0
    try {
      for await (const page of inboxPages(this.node, relay, key, { signal: anySignal([options.signal, options.deadline]) })) {
        for (const bytes of page) {
          records++
          await onBytes(bytes)
        }
      }
      options.onProgress?.({ type: 'inbox:drained', detail: { relay, records } })
      return true
    } catch (err: any) {
      if (options.signal?.aborted !== true) {
        const error = options.deadline?.aborted === true
          ? new DrainTimeoutError(`the drain did not end within ${Math.round((options.timeout ?? 0) / second)} s (${records} records read)`)
          : err
        options.onProgress?.({ type: 'inbox:relay-failed', detail: { relay, error } })
      }
      return false
    }
  }

  /** Drains relays once, keeping only receipts. */
  private async collectReceipts (relays: PeerId[], options: AbortOptions & ProgressOptions & { deadline?: AbortSignal, timeout?: number }): Promise<void> {
    const reader = this.newReader(await this.state.read())
    const onBytes = this.receiptTaker(reader, options)
    const results = await Promise.all(relays.map(async relay => this.drainRelay(relay, reader.routingKey, onBytes, options)))
    if (!results.some(ok => ok)) throw new NoRelaysError('no relay could be drained')
  }

  /** Subscribes to a topic and passes every message's bytes on; returns the unsubscribe. */
  private watchTopic (routingKey: Uint8Array, onBytes: (bytes: Uint8Array) => Promise<void>): () => void {
    const pubsub = this.node.services.pubsub
    const topic = topicForKey(routingKey)
    const onMessage = (evt: CustomEvent<PubsubMessage>): void => {
      if (evt.detail.topic !== topic) return
      onBytes(evt.detail.data).catch(() => {})
    }
    pubsub.addEventListener('message', onMessage)
    pubsub.subscribe(topic)
    return () => {
      pubsub.removeEventListener('message', onMessage)
      try {
        pubsub.unsubscribe(topic)
      } catch {
        // the node is stopping
      }
    }
  }

  /**
   * Signs and sends acknowledgements to every relay (in chunks of MAX_ACK_ENTRIES senders),
   * records what some relay applied, then sends a receipt to each of those senders. Returns the
   * entries some relay applied. `strict`: throw if any relay did not apply any chunk; otherwise
   * the caller keeps the entries not returned for a later attempt.
   */
  private async applyAck (entries: PendingAck[], relays: PeerId[], options: AbortOptions & ProgressOptions & { strict: boolean }): Promise<PendingAck[]> {
    const failures: string[] = []
    const applied: PendingAck[] = []
    for (let i = 0; i < entries.length; i += MAX_ACK_ENTRIES) {
      const chunk = entries.slice(i, i + MAX_ACK_ENTRIES)
      const ack = await createAck(this.privateKey, {
        entries: chunk.map(e => ({ signer: e.from.toMultihash().bytes, sequence: e.sequence, eol: e.eol })),
        now: this.now()
      })
      let chunkApplied = false
      await Promise.all(relays.map(async relay => {
        try {
          const deleted = await sendAck(this.node, relay, ack.bytes, { signal: anySignal([options.signal, AbortSignal.timeout(ACK_TIMEOUT)]) })
          chunkApplied = true
          options.onProgress?.({ type: 'ack:applied', detail: { relay, deleted } })
        } catch (err: any) {
          failures.push(`${shortPeer(relay)}: ${err?.message ?? err}`)
          options.onProgress?.({ type: 'ack:failed', detail: { relay, error: err } })
        }
      }))
      // a chunk counts only if some relay applied that chunk
      if (chunkApplied) applied.push(...chunk)
    }
    if (applied.length === 0) {
      if (!options.strict) return applied
      throw new RelayProtocolError(`no relay applied the acknowledgement (${failures.join(', ')})`)
    }
    const at = this.now()
    await this.state.update(data => {
      for (const e of applied) {
        const peer = peerState(data, e.from.toString())
        if (peer.acked == null || BigInt(peer.acked.seq) < e.sequence) {
          peer.acked = { seq: e.sequence.toString(), at }
        }
      }
    })
    await Promise.all(applied.map(async e => this.sendReceipt(e.from, relays, options)))
    if (options.strict && failures.length > 0) {
      const unapplied = entries.length - applied.length
      throw new RelayProtocolError(unapplied > 0
        ? `no relay applied the acknowledgement of ${unapplied} of ${entries.length} senders (${failures.join(', ')})`
        : `acknowledgement not applied by every relay (${failures.join(', ')})`)
    }
    return applied
  }

  /** A record to `to` carrying our receipt (and our unacknowledged messages to it), custody 1. */
  private async sendReceipt (to: PeerId, relays: PeerId[], options: AbortOptions & ProgressOptions): Promise<void> {
    try {
      const signal = anySignal([options.signal, this.shutdown.signal, AbortSignal.timeout(RECEIPT_SEND_TIMEOUT)])
      // to the relays the sender chose, when it chose some (section 12)
      const chosen = await this.reachChosen(to, relays, { signal })
      const { record, custody } = await this.deliver(to, undefined, chosen.reached.length > 0 ? chosen.reached : relays, { minRelays: 1, signal })
      options.onProgress?.({ type: 'receipt:sent', detail: { to, seq: record.sequence, relays: custody.confirmed } })
    } catch (err: any) {
      options.onProgress?.({ type: 'receipt:failed', detail: { to, error: err } })
    }
  }

  /**
   * Hands the next record to `to` (carrying `message`, if any) to relays and waits for custody.
   * When relays show our state is behind (they hold, or refuse as acknowledged, a sequence at or
   * above ours), renumbers above it, carries an unread record the state did not know, and tries
   * again (at most MAX_RENUMBERS times). Relays are asked first (one `QUERY` each, in parallel),
   * so a sender that lost its state neither publishes a record bound to be refused nor, with the
   * same sequence as an unread record it forgot, replaces that record.
   * `delivery.seq` is the message's latest sequence (for withdrawing it on failure). `asked`:
   * those relays' answers, when the caller already asked them.
   *
   * @throws CustodyRefusedError if relays stay ahead after renumbering (another client with this key?)
   */
  private async deliver (to: PeerId, message: NewMessage | undefined, relays: PeerId[], options: CustodyOptions, delivery: Delivery = { seq: undefined }, asked?: Promise<RelayView>): Promise<{ record: IptsRecord, custody: CustodyResult, renumbered?: Renumbered }> {
    let renumbered: Renumbered | undefined
    const first = await (asked ?? probeRelays(this.node, this.validator, relays, to, this.peerId, { signal: options.signal, now: this.now() }))
    let recovery = planRecovery(first, BigInt((await this.state.read()).peers[to.toString()]?.seq ?? '0'))
    if (recovery != null) renumbered = noteRecovery(renumbered, first, recovery)
    let record = await this.draft(to, message, recovery)
    if (message != null) delivery.seq = record.sequence
    for (let attempt = 0; ; attempt++) {
      this.publishBestEffort(record)
      const custody = await ensureCustody(this.node, relays, record, options)
      if (custody.acked < record.sequence && custody.held <= record.sequence) {
        return { record, custody, renumbered }
      }
      if (attempt >= MAX_RENUMBERS) {
        throw new CustodyRefusedError(`relays still hold or refuse sequence ${bigMax(custody.held, custody.acked)} of ours to ${to.toString()} after renumbering to ${record.sequence}: is another client writing with this identity?`)
      }
      const view = await probeRelays(this.node, this.validator, relays, to, this.peerId, { signal: options.signal, now: this.now() })
      recovery = planRecovery(view, record.sequence - 1n, { acked: custody.acked, held: custody.held })
      if (recovery == null) {
        // every claim above us was unbelievable (see MAX_BELIEVED_SEQUENCE)
        throw new CustodyRefusedError(`relays report sequence ${bigMax(custody.held, custody.acked)} for our records to ${to.toString()}, beyond what honest numbering reaches`)
      }
      if (message != null) recovery.replaces = record.sequence
      renumbered = noteRecovery(renumbered, view, recovery, custody)
      record = await this.draft(to, message, recovery)
      if (message != null) delivery.seq = record.sequence
    }
  }

  /**
   * Builds and signs the next record to `to` under the state lock, so the sequence and the
   * outbox are persisted before the record leaves. With `recovery`, first numbers past what
   * relays hold and takes the record to carry.
   */
  private async draft (to: PeerId, message?: NewMessage, recovery?: Recovery): Promise<IptsRecord> {
    return this.state.update(async data => {
      const peer = peerState(data, to.toString())
      if (recovery != null) {
        if (recovery.replaces != null) peer.outbox = peer.outbox.filter(m => BigInt(m.seq) !== recovery.replaces)
        const carry = recovery.carry
        // carried only if this state (read again under the lock) does not know that record
        if (carry != null && BigInt(carry.seq) > BigInt(peer.seq) && !(peer.carried ?? []).some(c => c.seq === carry.seq)) {
          peer.carried = [...(peer.carried ?? []), carry].slice(-MAX_CARRIED)
        }
        if (BigInt(peer.seq) < recovery.above) peer.seq = recovery.above.toString()
      }
      const now = this.now()
      const draft = draftRecord(peer, { to, from: this.peerId, message, receiptLifetime: RECEIPT_LIFETIME, now })
      return createTaggedRecord(this.privateKey, { tag: to, value: draft.value, sequence: draft.sequence, eol: draft.eol, now })
    })
  }

  /** Drops message `seq` from the outbox to `to`. */
  private async withdraw (to: PeerId, seq: bigint): Promise<void> {
    await this.state.update(data => {
      const peer = peerState(data, to.toString())
      peer.outbox = peer.outbox.filter(m => BigInt(m.seq) !== seq)
    })
  }

  /** Publishes on the record's topic for subscribers online now; custody does not depend on it. */
  private publishBestEffort (record: IptsRecord): void {
    const pubsub = this.node.services.pubsub
    const topic = topicForKey(record.routingKey)
    // nobody we know of follows the topic (relays announce a record topic only to its own
    // subscribers): gossipsub would sign and encode a message for no one, on the path to custody
    if (pubsub.getSubscribers(topic).length === 0) return
    pubsub.publish(topic, record.bytes).catch(() => {})
  }

  /** `peer`'s relay list, if a relay has one, and the relays in it we could dial, in its order. */
  private async reachChosen (peer: PeerId, relays: PeerId[], options: AbortOptions): Promise<{ list?: RelayList, reached: PeerId[], failed: Array<{ relay: string, error: Error }> }> {
    const { resolved } = await resolveRelayList(this.node, this.validator, relays, peer, { signal: options.signal, now: this.now(), timeout: DIAL_TIMEOUT })
    if (resolved == null) return { reached: [], failed: [] }
    const dialled = await dialChosen(this.node, resolved.list, { signal: options.signal, timeout: DIAL_TIMEOUT })
    return { list: resolved.list, ...dialled }
  }

  /** `relays` plus the relays of our own list we could dial (where our mail, receipts included, is kept). */
  private async withOwnChosen (relays: PeerId[], options: AbortOptions): Promise<PeerId[]> {
    const { reached } = await this.reachChosen(this.peerId, relays, options)
    return [...new Map([...reached, ...relays].map(p => [p.toString(), p])).values()]
  }

  private noRelaysReason (reachable: number, needed: number): string {
    const given = [...this.relayAddrs, ...this.bootstrapAddrs]
    if (given.length === 0) {
      return 'no relay configured: pass --relay MULTIADDR (or --bootstrap MULTIADDR)'
    }
    if (reachable === 0) {
      const why = new Map(this.lastFailures.map(f => [f.relay, f.error.message]))
      return `no relay reachable (tried ${given.map(addr => why.has(addr) ? `${addr}: ${why.get(addr) ?? ''}` : addr).join('; ')})`
    }
    return `${needed} relays needed for custody but only ${reachable} reachable`
  }

  private safeDispatch<K extends keyof ClientEvents> (type: K, detail: ClientEvents[K]['detail']): void {
    this.dispatchEvent(new CustomEvent(type, { detail }))
  }

  protected onListenerError (type: string, err: unknown): void {
    this.log.error('%s listener failed - %e', type, err)
  }
}

/** Every receipt in the state, per peer in arrival order. */
export function listReceipts (data: StateData): ReceiptInfo[] {
  const out: ReceiptInfo[] = []
  for (const [peer, state] of Object.entries(data.peers)) {
    for (const r of state.receipts) {
      out.push({ from: peerIdFromString(peer), seq: BigInt(r.seq), at: new Date(r.at) })
    }
  }
  return out
}

/** Validates what to send and turns it into an outbox message. */
function newMessage (content: SendContent, options: SendOptions): NewMessage {
  const lifetime = options.lifetime ?? DEFAULT_LIFETIME
  if (!Number.isSafeInteger(lifetime) || lifetime <= 0) {
    throw new InvalidParametersError('lifetime must be a positive number of ms')
  }
  const message: NewMessage = { encrypt: options.encrypt ?? true, lifetime }
  if (content.text != null) message.text = content.text
  if (content.file != null) {
    message.data = content.file.data
    message.name = content.file.name
  }
  if (content.cid != null) message.cid = checkPointer(content.cid)
  if (message.text == null && message.data == null && message.cid == null) {
    throw new InvalidParametersError('nothing to send: give a text, a file or a CID')
  }
  return message
}

/** A CID, or an `/ipfs/<cid>[/path]` or `/ipns/<name>[/path]` path. */
function checkPointer (pointer: string): string {
  const text = pointer.trim()
  const match = /^\/(ipfs|ipns)\/([^/]+)(\/.*)?$/.exec(text)
  if (match?.[1] === 'ipns' && match[2].length > 0) return text
  const cid = match?.[1] === 'ipfs' ? match[2] : text
  try {
    CID.parse(cid)
  } catch {
    throw new InvalidParametersError(`"${pointer}" is not a CID or an /ipfs/ or /ipns/ path`)
  }
  return text
}

/** Where `deliver` keeps the sequence the message has now. */
interface Delivery {
  seq: bigint | undefined
}

/** Merges what one recovery learnt into what the sender is told. */
function noteRecovery (previous: Renumbered | undefined, view: RelayView, recovery: Recovery, custody?: CustodyResult): Renumbered {
  const note: Renumbered = { ...previous, carried: (previous?.carried ?? false) || recovery.carry != null }
  const acked = bigMax(view.acked, custody?.acked ?? -1n)
  if (acked >= 0n) note.acked = bigMax(acked, note.acked ?? -1n)
  const held = view.held?.sequence ?? (custody != null && custody.held > -1n ? custody.held : undefined)
  if (held != null && held > acked) note.held = bigMax(held, note.held ?? -1n)
  if (recovery.uncarried != null) note.replaced = recovery.uncarried
  return note
}
