/**
 * `createClient`: a sender and receiver, on its own libp2p node or inside an existing one.
 */
import { InvalidParametersError } from '@libp2p/interface'
import { loadOrCreateIdentity } from '../identity.ts'
import { createNode } from '../node.ts'
import { Client } from './client.ts'
import { FileState } from './file-state.ts'
import { MemoryState } from './state.ts'
import type { IptsNode } from '../node.ts'
import type { PrivateKey } from '@libp2p/interface'

export { Client, listReceipts } from './client.ts'
export { parsePeerId } from './peer.ts'
export type {
  ClientEvents, InboxOptions, ReceiptInfo, ReceiptsOptions, RelayListInfo, ResolveResult, SendContent, SendOptions, SendResult, SetRelaysResult
} from './client.ts'
export type { InboxMessage } from './inbox.ts'
export { relayListFromValue, relayListToValue } from './relay-list.ts'
export type { RelayList } from './relay-list.ts'
export { describeValue } from './value.ts'
export type { ValueContent } from './value.ts'
export type { Renumbered } from './recover.ts'
export type { ClientProgressEvent, ClientProgressType, ProgressOptions } from './events.ts'
export { findRelays } from './discover.ts'
export type { FindRelaysOptions } from './discover.ts'

export interface CreateClientOptions {
  /**
   * Directory holding the identity (used when `privateKey` is absent) and the client state in
   * `<repo>/client/` (sequence numbers, unacknowledged messages, receipts). Without a repo the
   * state lives in memory and is lost on exit. @default none
   */
  repo?: string
  /** The client's identity key (Ed25519). @default the repo's identity */
  privateKey?: PrivateKey
  /** Run inside this libp2p node (created with `createNode` or with the same services) instead of a new one. @default a new node */
  node?: IptsNode
  /** Relays to use: multiaddrs ending in /p2p/<peer ID>. @default [] */
  relays?: string[]
  /** Peers to connect to first; the relays among them are used. @default [] */
  bootstrap?: string[]
  /** Join the public IPFS network (new node only). @default false */
  public?: boolean
  /** The clock, ms since the epoch. @default Date.now */
  now?(): number
}

/**
 * Creates a client. With no `node`, starts a libp2p node that listens nowhere (it only dials
 * relays); `client.stop()` stops it.
 */
export async function createClient (options: CreateClientOptions = {}): Promise<Client> {
  let privateKey = options.privateKey
  if (privateKey == null) {
    if (options.repo == null) {
      throw new InvalidParametersError('createClient needs a privateKey or a repo to load the identity from')
    }
    privateKey = (await loadOrCreateIdentity(options.repo)).privateKey
  }
  const state = options.repo == null ? new MemoryState() : new FileState(options.repo)
  const node = options.node ?? await createNode({
    privateKey,
    listen: [],
    bootstrap: options.bootstrap,
    public: options.public,
    // a DHT client finds relays through the rendezvous when none is given
    dht: (options.bootstrap?.length ?? 0) > 0 || options.public === true ? 'client' : false
  })
  return new Client({
    privateKey,
    node,
    ownsNode: options.node == null,
    state,
    relays: options.relays,
    bootstrap: options.bootstrap,
    now: options.now
  })
}
