/**
 * Multi-node harness for tests: real libp2p nodes over TCP on 127.0.0.1, real LevelDB stores in
 * temp dirs, and helpers that wait on events (with an overall bound) rather than on sleeps.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { createNode } from '../../src/node.ts'
import { createRelay } from '../../src/relay/index.ts'
import { RelayRequest, RelayResponse } from '../../src/pb/relay.ts'
import { exchange } from '../../src/client/relay-rpc.ts'
import type { CreateRelayOptions, RelayHandle } from '../../src/relay/index.ts'
import type { IptsNode, NodeOptions } from '../../src/node.ts'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { PeerId, PrivateKey } from '@libp2p/interface'

export async function tempDir (prefix = 'ipts-test-'): Promise<{ path: string, cleanup(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix))
  return { path, cleanup: async () => { await rm(path, { recursive: true, force: true }) } }
}

export class TestNetwork {
  readonly relays: RelayHandle[] = []
  readonly nodes: IptsNode[] = []
  private readonly dirs: Array<{ cleanup(): Promise<void> }> = []

  /** A temp dir removed when the network stops. */
  async dir (): Promise<{ path: string }> {
    const dir = await tempDir('ipts-relay-')
    this.dirs.push(dir)
    return dir
  }

  async relay (options: Partial<CreateRelayOptions> = {}): Promise<RelayHandle> {
    const repo = options.repo ?? (await this.dir()).path
    const handle = await createRelay({ dht: false, ...options, repo })
    this.relays.push(handle)
    return handle
  }

  async node (options: NodeOptions = {}): Promise<IptsNode> {
    const node = await createNode(options)
    this.nodes.push(node)
    return node
  }

  async stop (): Promise<void> {
    await Promise.allSettled([...this.nodes.map(async n => n.stop()), ...this.relays.map(async r => r.stop())])
    await Promise.allSettled(this.dirs.map(async d => d.cleanup()))
  }
}

export async function key (): Promise<PrivateKey> {
  return generateKeyPair('Ed25519')
}

export function addrOf (node: IptsNode): Multiaddr {
  const addr = node.getMultiaddrs()[0]
  if (addr == null) throw new Error('node has no address')
  return addr
}

/**
 * Default bound on a wait, ms: generous, because it only decides how long a failing test takes,
 * and a machine running the suite beside other work can be slow to deliver an event.
 */
export const WAIT_BOUND = 60_000

/** Resolves with the first event of `type` that `accept` likes; rejects after `ms`. */
export async function waitFor<T = unknown> (target: EventTarget, type: string, accept: (detail: T) => boolean = () => true, ms = WAIT_BOUND): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      target.removeEventListener(type, listener)
      reject(new Error(`timed out waiting for ${type}`))
    }, ms)
    const listener = (evt: Event): void => {
      const detail = (evt as CustomEvent<T>).detail
      if (!accept(detail)) return
      clearTimeout(timer)
      target.removeEventListener(type, listener)
      resolve(detail)
    }
    target.addEventListener(type, listener)
  })
}

/** Polls `check` on the event loop (not a sleep-as-sync: it stops as soon as `check` is true). */
export async function until (check: () => boolean | Promise<boolean>, ms = WAIT_BOUND, what = 'condition', every = 25): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what} not met in ${ms} ms`)
    await new Promise(resolve => setTimeout(resolve, every))
  }
}

/** Waits until `node` sees `peer` subscribed to `topic` (gossipsub has learnt of it). */
export async function subscribed (node: IptsNode, topic: string, peer: PeerId, ms = WAIT_BOUND): Promise<void> {
  await until(() => node.services.pubsub.getSubscribers(topic).some(p => p.equals(peer)), ms)
}

/** One relay-protocol exchange from a test node: returns every response (several for INBOX). */
export async function relayRequest (node: IptsNode, relay: IptsNode | Multiaddr, request: Partial<RelayRequest> & { type: RelayRequest.Type }): Promise<RelayResponse[]> {
  const target = 'peerId' in relay ? addrOf(relay) : relay
  const responses: RelayResponse[] = []
  await exchange(node, target, { key: new Uint8Array(), signer: new Uint8Array(), ...request }, { signal: AbortSignal.timeout(60_000) }, (response) => {
    responses.push(response)
    return request.type === RelayRequest.Type.INBOX && !response.done && response.status === RelayResponse.Status.OK
  })
  return responses
}
