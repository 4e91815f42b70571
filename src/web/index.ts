/**
 * ipts in a browser: the same client as in Node (`src/client`), on a WebSockets-only libp2p node,
 * with its key and state in IndexedDB. Bundled by `scripts/bundle-web.ts` into `dist/web/ipts.js`
 * (an ES module); `examples/web/` is a page built on it, served by `ipts web`.
 *
 * @example Open the inbox of this browser's identity
 * ```js
 * import { openWebClient } from './ipts.js'
 * const { client, peerId } = await openWebClient({ relays: ['/ip4/127.0.0.1/tcp/4002/ws/p2p/12D3KooW...'] })
 * for await (const message of client.inbox()) console.log(message.from.toString(), message.text)
 * ```
 *
 * @module
 */
import { Client } from '../client/client.ts'
import { createBrowserNode } from './node.ts'
import { WebStore, DEFAULT_DB_NAME } from './storage.ts'
import type { PeerId } from '@libp2p/interface'

export { Client, listReceipts } from '../client/client.ts'
export { parsePeerId } from '../client/peer.ts'
export { sealTo, openSealed, sealToAsync, openSealedAsync } from '../crypto/seal.ts'
export { WebStore, DEFAULT_DB_NAME } from './storage.ts'
export { createBrowserNode } from './node.ts'
export type { InboxMessage } from '../client/inbox.ts'
export type { ReceiptInfo, SendResult } from '../client/client.ts'

export interface WebClientOptions {
  /** Relay multiaddrs with /p2p/ (`/ws` on loopback, `/tls/ws` or `/wss` elsewhere). */
  relays: string[]
  /** IndexedDB database holding the key and state. @default 'ipts' */
  db?: string
}

export interface WebClient {
  client: Client
  peerId: PeerId
  /** True when this page load generated the key. */
  created: boolean
  store: WebStore
  /** Stops the node and closes the database. */
  stop(): Promise<void>
}

/** Loads (or creates) this browser's identity and starts a client on it. */
export async function openWebClient (options: WebClientOptions): Promise<WebClient> {
  const store = await WebStore.open(options.db ?? DEFAULT_DB_NAME)
  const { privateKey, peerId, created } = await store.loadOrCreateIdentity()
  const node = await createBrowserNode({ privateKey, relays: options.relays })
  const client = new Client({ privateKey, node, ownsNode: true, state: store.state, relays: options.relays })
  return {
    client,
    peerId,
    created,
    store,
    stop: async () => {
      await client.stop()
      store.close()
    }
  }
}
