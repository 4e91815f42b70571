/**
 * The browser's libp2p node: WebSockets only (browsers cannot open TCP sockets or listen), noise,
 * yamux, identify (and push), ping, fetch and gossipsub, set up as a client (`src/node.ts` is the Node
 * assembly; both take their gossipsub options from `gossip-options.ts`). No DHT: the page is given its
 * relays.
 *
 * libp2p's browser connection gater refuses plain `ws` and private addresses by default. The
 * page dials only the relay addresses it is given (its server's `--relay` flags), so this node
 * lets it dial exactly those, whatever they are: a loopback relay over `ws` in the tests, a
 * public one over `wss` in use.
 *
 * @module
 */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { fetch } from '@libp2p/fetch'
import { gossipsub } from '@libp2p/gossipsub'
import { identify, identifyPush } from '@libp2p/identify'
import { ping } from '@libp2p/ping'
import { webSockets } from '@libp2p/websockets'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { baseGossipsubOptions } from '../gossip-options.ts'
import type { IptsNode } from '../node.ts'
import type { PrivateKey } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

export interface BrowserNodeOptions {
  privateKey: PrivateKey
  /** Relay multiaddrs (`/ws` or `/tls/ws`, with /p2p/) this node may dial. @default [] */
  relays?: string[]
}

export async function createBrowserNode (options: BrowserNodeOptions): Promise<IptsNode> {
  const allowed = new Set((options.relays ?? []).map(a => multiaddr(a).decapsulateCode(421).toString()))
  const node = await createLibp2p({
    privateKey: options.privateKey,
    addresses: { listen: [] },
    transports: [webSockets()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionGater: {
      denyDialMultiaddr: async (ma: Multiaddr) => !allowed.has(ma.decapsulateCode(421).toString())
    },
    services: {
      identify: identify(),
      identifyPush: identifyPush(),
      ping: ping(),
      fetch: fetch(),
      pubsub: gossipsub(baseGossipsubOptions())
    }
  })
  return node as unknown as IptsNode
}
