/**
 * ipts: offline delivery of tagged IPNS records through volunteer relays.
 *
 * A sender signs an IPNS record tagged with the receiver's peer ID, hands it to relays and goes
 * offline; relays keep it alive (and keep republishing it on the tag's pubsub topic) until it
 * expires or the receiver acknowledges it. The receiver drains its inbox from any relay when it
 * comes online. Payloads are sealed to the receiver's key: relays see who, to whom, when and how
 * big, never what.
 *
 * This entry point is for Node. Browsers get the same client from `dist/web/ipts.js`
 * (`src/web/index.ts`: `openWebClient`, WebSockets only, key and state in IndexedDB), built by
 * `npm run build`; `ipts web` serves a page on it.
 *
 * @example Run a relay
 * ```ts
 * import { createRelay, loadOrCreateIdentity } from 'ipts'
 *
 * const repo = '/var/lib/ipts'
 * const { privateKey } = await loadOrCreateIdentity(repo)
 * const relay = await createRelay({ repo, privateKey, listen: ['/ip4/127.0.0.1/tcp/4001'], maxRecords: 100_000 })
 * console.log(relay.node.getMultiaddrs().map(String))
 * // later
 * await relay.stop()
 * ```
 *
 * @example Send a message and wait for custody
 * ```ts
 * import { createClient } from 'ipts'
 *
 * const alice = await createClient({ repo: '/home/alice/.ipts', relays: ['/ip4/127.0.0.1/tcp/4001/p2p/12D3KooW...'] })
 * const sent = await alice.send('12D3KooWBob...', { text: 'hello Bob' }, {
 *   minRelays: 1,
 *   onProgress: (evt) => { if (evt.type === 'custody:confirmed') console.log('held by', evt.detail.relay.toString()) }
 * })
 * console.log(`message ${sent.seq} held by ${sent.relays.length} relay(s)`)
 * await alice.stop()
 * ```
 *
 * @example Read the inbox and acknowledge it
 * ```ts
 * import { createClient } from 'ipts'
 *
 * const bob = await createClient({ repo: '/home/bob/.ipts', relays: ['/ip4/127.0.0.1/tcp/4001/p2p/12D3KooW...'] })
 * for await (const message of bob.inbox({ ack: true })) {
 *   console.log(message.from.toString(), message.seq, message.text)
 * }
 * await bob.stop()
 * ```
 *
 * @example Embed in an existing libp2p node
 * ```ts
 * import { createClient, createNode } from 'ipts'
 * import { generateKeyPair } from '@libp2p/crypto/keys'
 *
 * const privateKey = await generateKeyPair('Ed25519')
 * const node = await createNode({ privateKey })
 * const client = await createClient({ node, privateKey, relays: ['/ip4/127.0.0.1/tcp/4001/p2p/12D3KooW...'] })
 * const receipt = await client.waitForReceipt('12D3KooWBob...', 1n, { timeout: 60_000 })
 * console.log('Bob has read up to', receipt.seq)
 * await client.stop() // the node is yours: stop it yourself
 * await node.stop()
 * ```
 *
 * @example Records by hand
 * ```ts
 * import { createTaggedRecord, RecordValidator, tagRoutingKey, topicForKey } from 'ipts'
 * import { generateKeyPair } from '@libp2p/crypto/keys'
 * import { peerIdFromPrivateKey } from '@libp2p/peer-id'
 *
 * const sender = await generateKeyPair('Ed25519')
 * const receiver = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
 * const record = await createTaggedRecord(sender, { tag: receiver, value: '/ipfs/bafkqaaa', sequence: 1n, now: Date.now() })
 * const key = tagRoutingKey(receiver.toMultihash().bytes)
 * new RecordValidator().validate(record.bytes, { now: Date.now(), routingKey: key })
 * console.log('publish on', topicForKey(key))
 * ```
 *
 * @packageDocumentation
 */

export { createClient, Client, describeValue, findRelays, listReceipts, parsePeerId, relayListFromValue, relayListToValue } from './client/index.ts'
export type {
  CreateClientOptions, ClientEvents, ClientProgressEvent, ClientProgressType, InboxMessage, InboxOptions,
  ProgressOptions, ReceiptInfo, ReceiptsOptions, RelayList, RelayListInfo, Renumbered, ResolveResult, SendContent, SendOptions, SendResult,
  SetRelaysResult, ValueContent
} from './client/index.ts'
export {
  envelopeToValue, valueToEnvelope, encodeEnvelope, decodeEnvelope, maxInlineBytes, fitsInline
} from './client/payload.ts'
export type { Envelope, Message, Receipt, DecodedValue } from './client/payload.ts'

export { createRelay, Relay, RELAY_PROTOCOL, ACK_TOPIC } from './relay/index.ts'
export type { CreateRelayOptions, RelayHandle, RelayInit, RelayEvents, RelayStatus } from './relay/index.ts'

export { createNode } from './node.ts'
export type { IptsNode, IptsServices, NodeOptions } from './node.ts'

export { loadOrCreateIdentity, resolveRepo } from './identity.ts'
export type { Identity } from './identity.ts'

export { sealTo, openSealed, sealToAsync, openSealedAsync } from './crypto/seal.ts'

export {
  createTaggedRecord, createPlainRecord, RecordValidator, validateRecord, compareRecords, isBetter,
  tagRoutingKey, nameRoutingKey, parseRoutingKey, topicForKey, keyForTopic, isRecordTopic,
  createAck, validateAck, DEFAULT_LIFETIME, MAX_RECORD_SIZE
} from './record/index.ts'
export type { IptsRecord, RecordKind, CreateTaggedInit, CreatePlainInit, ValidateOptions, Ack, AckEntry } from './record/index.ts'

export * from './errors.ts'
