/**
 * `createRelay`: a libp2p node plus the relay service, with its store under the repo.
 */
import { join } from 'node:path'
import { createNode } from '../node.ts'
import { Relay } from './relay.ts'
import type { RelayInit } from './relay.ts'
import type { IptsNode } from '../node.ts'
import type { NodeMetrics } from '../metrics.ts'
import type { PrivateKey } from '@libp2p/interface'

export { Relay } from './relay.ts'
export type { RelayInit, RelayEvents, RelayLimit, RelayStatus } from './relay.ts'
export { RELAY_PROTOCOL } from './protocol.ts'
export { ACK_TOPIC } from './follower.ts'

export interface CreateRelayOptions extends Omit<RelayInit, 'path'> {
  /** Directory holding the relay's data (`<repo>/relay`). */
  repo: string
  /** The relay's identity (load it with `loadOrCreateIdentity(repo)`). A new key when absent. */
  privateKey?: PrivateKey
  /** Addresses to listen on. @default ['/ip4/127.0.0.1/tcp/0'] */
  listen?: string[]
  /** Bootstrap peers (multiaddrs with /p2p/). @default [] */
  bootstrap?: string[]
  /** Join the public IPFS network. @default false */
  public?: boolean
  /** Run the rendezvous DHT as a server. @default true */
  dht?: boolean
  /** Metrics for the node and the relay (`new PrometheusExport().node`; one per process). @default none */
  metrics?: NodeMetrics
}

export interface RelayHandle {
  node: IptsNode
  relay: Relay
  stop(): Promise<void>
}

export async function createRelay (options: CreateRelayOptions): Promise<RelayHandle> {
  const node = await createNode({
    privateKey: options.privateKey,
    listen: options.listen,
    bootstrap: options.bootstrap,
    public: options.public,
    dht: (options.dht ?? true) ? 'server' : false,
    relay: true,
    metrics: options.metrics
  })
  const relay = new Relay(node, { ...options, path: join(options.repo, 'relay') })
  try {
    await relay.start()
  } catch (err) {
    await node.stop()
    throw err
  }
  return {
    node,
    relay,
    async stop () {
      await relay.stop()
      await node.stop()
    }
  }
}
