/**
 * The libp2p assembly that relays and clients share: TCP and WebSockets + noise + yamux, identify, ping,
 * gossipsub (StrictSign, as Helia and Kubo use for IPNS over pubsub), fetch, and optionally
 * kad-dht (the rendezvous) and bootstrap. Relay nodes run a second gossipsub, `feed`, on a
 * protocol of its own (FEED_PROTOCOL) with unsigned messages, for the relay-to-relay feed.
 *
 * Nothing here reaches beyond the addresses it is given: no default bootstrap list, no mDNS,
 * no UPnP, no DNS look-ups. `public: true` is the only way to join the public IPFS network.
 */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { bootstrap } from '@libp2p/bootstrap'
import { fetch } from '@libp2p/fetch'
import { gossipsub, StrictNoSign } from '@libp2p/gossipsub'
import { identify, identifyPush } from '@libp2p/identify'
import { kadDHT, passthroughMapper, removePrivateAddressesMapper } from '@libp2p/kad-dht'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { webSockets } from '@libp2p/websockets'
import { createLibp2p } from 'libp2p'
import { hour, minute, second, MiB } from './constants.ts'
import { baseGossipsubOptions } from './gossip-options.ts'
import type { Fetch } from '@libp2p/fetch'
import type { TCPSocketOptions } from '@libp2p/tcp'
import type { GossipSub, GossipSubComponents, GossipsubOpts } from '@libp2p/gossipsub'
import type { Identify, IdentifyPush } from '@libp2p/identify'
import type { KadDHT } from '@libp2p/kad-dht'
import type { Ping } from '@libp2p/ping'
import type { NodeMetrics } from './metrics.ts'
import type { Libp2p, PrivateKey } from '@libp2p/interface'

/** The DHT protocol of the ipts rendezvous network (a separate DHT from the public IPFS one). */
export const IPTS_DHT_PROTOCOL = '/ipts/kad/1.0.0'
/** The public IPFS DHT, used only with `public: true`. */
export const PUBLIC_DHT_PROTOCOL = '/ipfs/kad/1.0.0'

/**
 * Bootstrap peers of the public IPFS network, used only with `public: true`. Written as
 * `/ip4/` addresses so that joining costs no DNS look-up of dnsaddrs.
 */
export const PUBLIC_BOOTSTRAP = [
  '/ip4/104.131.131.82/tcp/4001/p2p/QmaCpDMGvV2BGHeYERUEnRQAwe3N8SzbUtfsmvsqQLuvuJ'
]

export type IptsServices = {
  pubsub: GossipSub
  /** The relays' feed: a gossipsub of relays only, unsigned messages (relay nodes only). */
  feed?: GossipSub
  fetch: Fetch
  identify: Identify
  identifyPush: IdentifyPush
  ping: Ping
  dht?: KadDHT
}

export type IptsNode = Libp2p<IptsServices>

export interface NodeOptions {
  /** The node's identity. A new Ed25519 key when absent. */
  privateKey?: PrivateKey
  /** Addresses to listen on. @default ['/ip4/127.0.0.1/tcp/0'] */
  listen?: string[]
  /** Multiaddrs (with /p2p/) dialled at start-up. @default [] */
  bootstrap?: string[]
  /** Join the public IPFS network: its DHT protocol and bootstrap peers. @default false */
  public?: boolean
  /** Run the rendezvous DHT. Relays run it as servers, clients as DHT clients. @default false */
  dht?: boolean | 'server' | 'client'
  /** Relays set gossipsub's decode limits deliberately (see RELAY_MAX_*). @default false */
  relay?: boolean
  /** Upper bound on open connections. @default 300 */
  maxConnections?: number
  /** Metrics for libp2p, gossipsub and every service (`new PrometheusExport().node`). @default none */
  metrics?: NodeMetrics
  /**
   * Source address of outgoing TCP connections (a multi-homed host, or a test standing in for a
   * second host with `127.0.0.2`). @default chosen by the OS
   */
  localAddress?: string
}

/** How long a provider record lives on the ipts DHT (kad-dht's `reprovide.validity`). */
export const PRIVATE_PROVIDER_VALIDITY = hour
/** kad-dht re-provides our own record when less than this is left of its validity. */
export const PRIVATE_REPROVIDE_THRESHOLD = 20 * minute

/**
 * Addresses exempt from libp2p's inbound connection limits (5 new connections per second per IP,
 * 10 pending, `maxConnections`): the loopback host only. Other 127.0.0.0/8 addresses are not
 * exempt, so tests can stand in for remote hosts with them.
 */
export const LOOPBACK_ALLOW = ['/ip4/127.0.0.1', '/ip6/::1']

/** The same hosts as IP strings, as gossipsub's peer scoring names them. */
const LOOPBACK_IPS = ['127.0.0.1', '::1']

/**
 * How many subscriptions one gossipsub RPC may carry before it is rejected whole (relay nodes).
 * gossipsub's own default: relays no longer learn each other's topic sets from announcements
 * (sync and the feed topic carry records), and a client follows a handful of topics.
 */
export const RELAY_MAX_SUBSCRIPTIONS_PER_RPC = 5000
/**
 * Topic-name bytes a relay accepts per peer (gossipsub charges ~1 KiB per topic, so ~1,000
 * topics, the default per-peer follow cap). Bounds the memory one peer occupies in gossipsub.
 */
export const RELAY_MAX_TOPIC_BYTES_PER_PEER = MiB

/**
 * The gossipsub protocol of the relays' feed (`src/relay/feed.ts`): a mesh of relays only, whose
 * messages carry no gossipsub signature (`StrictNoSign`, as Waku's relay runs): every record on it
 * is signed by its author and checked by each relay, so a second signature per message bought
 * nothing and cost half of a relay's ingest. Not on gossipsub's version ladder, so peers on it
 * negotiate no PRUNE backoff and no IDONTWANT (records are a few hundred bytes).
 */
export const FEED_PROTOCOL = '/ipts/relay/feed/1.0.0'

/**
 * gossipsub's own heartbeat and bookkeeping settings shared by both instances; `pubsub` adds its
 * limits and metrics.
 */
function commonGossipsub (): Partial<GossipsubOpts> {
  return {
    ...baseGossipsubOptions(),
    // gossipsub scores down every peer of an IP that has more than 10 peers connected (P6, IP
    // colocation): past 13 it stops publishing to them, so a relay with a dozen local peers
    // stopped delivering live to any of them (test/faults/load.test.ts). Loopback peers are
    // processes on this machine, exempt as from the connection limits (LOOPBACK_ALLOW).
    scoreParams: { IPColocationFactorWhitelist: new Set(LOOPBACK_IPS) }
  }
}

/**
 * The feed's gossipsub: unsigned messages on FEED_PROTOCOL only. gossipsub 17.1 declares a
 * `protocols` option but ignores it, so the list is set on the instance before libp2p starts it
 * (it registers its handler and topology in `start`).
 */
/**
 * Streams a peer may open on a connection before this node has finished setting it up (libp2p
 * buffers them until then). yamux allows 10 and past that aborts the whole connection; a client
 * that sends a few requests at once as soon as its dial returns, beside identify and pubsub,
 * opens more while a relay under load is still upgrading its side (seen: 10 custody PUTs at once
 * to a relay that had just started). As many as the relay protocol's 32 streams per connection,
 * plus room for identify, pubsub, fetch and sync.
 */
export const MAX_EARLY_STREAMS = 48

/** yamux, with room for the streams a peer opens before this node has set up the connection. */
export function streamMuxer (): ReturnType<typeof yamux> {
  return yamux({ maxEarlyStreams: MAX_EARLY_STREAMS })
}

/**
 * A relay gossipsub's RPC decode limits, with `maxSubscriptions` subscriptions per RPC. They
 * replace gossipsub's defaults rather than merging with them, so they are given whole.
 */
function relayRpcLimits (maxSubscriptions: number): GossipsubOpts['decodeRpcLimits'] {
  return {
    maxSubscriptions,
    maxMessages: 5000,
    maxIhaveMessageIDs: 5000,
    maxIwantMessageIDs: 5000,
    maxIdontwantMessageIDs: 512,
    maxControlMessages: 5000,
    maxPeerInfos: 16
  }
}

function feedGossipsub (): (components: GossipSubComponents) => GossipSub {
  const factory = gossipsub({
    ...commonGossipsub(),
    globalSignaturePolicy: StrictNoSign,
    fallbackToFloodsub: false,
    debugName: 'libp2p:gossipsub:feed',
    // one topic; RPCs carry records, never thousands of subscriptions
    decodeRpcLimits: relayRpcLimits(16)
  })
  return (components) => {
    const feed = factory(components)
    feed.protocols.splice(0, feed.protocols.length, FEED_PROTOCOL)
    return feed
  }
}

export async function createNode (options: NodeOptions = {}): Promise<IptsNode> {
  const isPublic = options.public ?? false
  const bootstrapList = [...(options.bootstrap ?? []), ...(isPublic ? PUBLIC_BOOTSTRAP : [])]
  const dhtMode = options.dht === true ? 'server' : options.dht
  const relay = options.relay ?? false

  const services: Record<string, unknown> = {
    identify: identify(),
    // tells connected peers when this node starts handling a protocol: a relay's node (and its
    // bootstrap dials) start before its relay, sync and feed protocols are registered, and a peer
    // that identified it in between would never learn it speaks them
    identifyPush: identifyPush(),
    ping: ping(),
    fetch: fetch(),
    pubsub: gossipsub({
      ...commonGossipsub(),
      ...(options.metrics != null
        ? { metricsRegister: options.metrics.gossipsub as any, metricsTopicStrToLabel: options.metrics.topicLabels }
        : {}),
      ...(relay
        ? {
            maxTopicBytesPerPeer: RELAY_MAX_TOPIC_BYTES_PER_PEER,
            decodeRpcLimits: relayRpcLimits(RELAY_MAX_SUBSCRIPTIONS_PER_RPC)
          }
        : {})
    })
  }
  if (relay) {
    services.feed = feedGossipsub()
  }
  if (dhtMode != null && dhtMode !== false) {
    services.dht = kadDHT({
      protocol: isPublic ? PUBLIC_DHT_PROTOCOL : IPTS_DHT_PROTOCOL,
      // the code defaults to client mode whatever its docs say: be explicit
      clientMode: dhtMode === 'client',
      // the default mapper drops 127.0.0.0/8 addresses, which leaves a loopback DHT empty
      peerInfoMapper: isPublic ? removePrivateAddressesMapper : passthroughMapper,
      // the rendezvous re-provides every 10 min (src/rendezvous); on our own DHT a provider
      // record then lives 1 h, so a dead relay drops out of look-ups within about an hour
      // instead of kad-dht's 48 h, and kad-dht re-provides by itself only if ours stopped for
      // 40 min. The public DHT keeps its network's defaults (48 h validity, 24 h threshold).
      reprovide: isPublic
        ? { interval: 10 * minute }
        : { interval: 10 * minute, validity: PRIVATE_PROVIDER_VALIDITY, threshold: PRIVATE_REPROVIDE_THRESHOLD }
    })
  }
  if (bootstrapList.length > 0) {
    services.bootstrap = bootstrap({ list: bootstrapList, timeout: 100 })
  }

  const node = await createLibp2p({
    privateKey: options.privateKey,
    addresses: { listen: options.listen ?? ['/ip4/127.0.0.1/tcp/0'] },
    // TCP, and WebSockets for browsers: a relay listens on `/ws` addresses when given one
    // (`--listen /ip4/127.0.0.1/tcp/4002/ws`), and every node can dial both
    transports: [
      tcp(options.localAddress == null ? {} : { dialOpts: sourceAddress(options.localAddress) }),
      webSockets()
    ],
    connectionEncrypters: [noise()],
    streamMuxers: [streamMuxer()],
    connectionManager: {
      maxConnections: options.maxConnections ?? 300,
      // every loopback node shares 127.0.0.1, and libp2p accepts 5 new inbound connections per
      // second per IP: local networks would never form. Allow-listed addresses skip that rate
      // limit (and the pending and total connection caps); every other host keeps them.
      allow: LOOPBACK_ALLOW
    },
    connectionMonitor: {
      // a burst of subscriptions can delay a ping beyond its timeout; do not kill the
      // connection for it (BRIEF, measured)
      abortConnectionOnPingFailure: false,
      pingInterval: 30 * second
    },
    services: services as any,
    ...(options.metrics != null ? { metrics: options.metrics.libp2p } : {})
  })
  return node as unknown as IptsNode
}

/**
 * `net.connect` options binding the local address. `@libp2p/tcp` passes `dialOpts` through to
 * `net.connect` whole, though its type names only a few of them.
 */
function sourceAddress (localAddress: string): TCPSocketOptions {
  const options: TCPSocketOptions & { localAddress: string } = { localAddress }
  return options
}
