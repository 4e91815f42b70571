/**
 * The client side of `/ipts/relay/1.0.0`: one request per stream, then one response (PUT, QUERY,
 * ACK) or a sequence of inbox pages until `done`. On any failure the stream is aborted and the
 * error rethrown.
 */
import { pbStream } from '@libp2p/utils'
import { RelayProtocolError } from '../errors.ts'
import { RelayRequest, RelayResponse } from '../pb/relay.ts'
import { MAX_RESPONSE_BYTES, RELAY_PROTOCOL } from '../relay/protocol.ts'
import type { IptsNode } from '../node.ts'
import type { AbortOptions, PeerId } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

export type RelayTarget = PeerId | Multiaddr

/** Bytes buffered from a relay before reading them: two full pages. */
const READ_BUFFER_BYTES = 2 * MAX_RESPONSE_BYTES
const NO_BYTES = new Uint8Array(0)

/**
 * Opens a stream, writes `request` and hands every response to `onResponse` until it returns
 * false (or the stream ends). Closes the stream when done.
 */
export async function exchange (node: IptsNode, relay: RelayTarget, request: RelayRequest, options: AbortOptions,
  onResponse: (response: RelayResponse) => boolean | Promise<boolean>): Promise<void> {
  const stream = await node.dialProtocol(relay, RELAY_PROTOCOL, options)
  try {
    const pb = pbStream(stream, { maxDataLength: MAX_RESPONSE_BYTES, maxBufferSize: READ_BUFFER_BYTES })
    await pb.write(request, RelayRequest, options)
    while (true) {
      const response = await pb.read(RelayResponse, options)
      if (!(await onResponse(response))) break
    }
    await stream.close(options)
  } catch (err: any) {
    stream.abort(err)
    throw err
  }
}

async function single (node: IptsNode, relay: RelayTarget, request: RelayRequest, options: AbortOptions): Promise<RelayResponse> {
  let answer: RelayResponse | undefined
  await exchange(node, relay, request, options, (response) => {
    answer = response
    return false
  })
  if (answer == null) throw new RelayProtocolError('relay closed the stream without answering')
  return answer
}

/** Custody: asks the relay to hold `record` under `key`. The answer says what it holds now. */
export async function putRecord (node: IptsNode, relay: RelayTarget, key: Uint8Array, record: Uint8Array, options: AbortOptions = {}): Promise<RelayResponse> {
  return single(node, relay, { type: RelayRequest.Type.PUT, key, signer: NO_BYTES, record }, options)
}

export interface QueryOptions extends AbortOptions {
  /** Ask for the held record too (in `records`). @default false */
  withRecord?: boolean
}

/**
 * Custody query: the sequence the relay holds for (key, signer), if any, and the sequence the
 * receiver acknowledged (`acked`, from a live tombstone); with `withRecord`, the record.
 */
export async function queryRecord (node: IptsNode, relay: RelayTarget, key: Uint8Array, signer: Uint8Array, options: QueryOptions = {}): Promise<RelayResponse> {
  return single(node, relay, { type: RelayRequest.Type.QUERY, key, signer, withRecord: options.withRecord }, options)
}

/**
 * Applies a signed acknowledgement on the relay. Resolves with how many records it deleted;
 * throws `RelayProtocolError` naming the relay's reason when it refuses.
 */
export async function sendAck (node: IptsNode, relay: RelayTarget, ack: Uint8Array, options: AbortOptions = {}): Promise<number> {
  const response = await single(node, relay, { type: RelayRequest.Type.ACK, key: NO_BYTES, signer: NO_BYTES, ack }, options)
  if (response.status !== RelayResponse.Status.OK) {
    throw new RelayProtocolError(`relay refused the acknowledgement: ${response.error ?? RelayResponse.Status[response.status]}`)
  }
  return response.deleted ?? 0
}

export interface InboxPagesOptions extends AbortOptions {
  /** Records per page to ask for (the relay caps it). */
  pageSize?: number
}

/**
 * Streams every live record the relay holds under `key`, one page (array of marshalled
 * records) at a time. The next page is read only when the caller asks for it, so a slow caller
 * holds at most the stream's read buffer, not the whole inbox.
 */
export async function * inboxPages (node: IptsNode, relay: RelayTarget, key: Uint8Array, options: InboxPagesOptions = {}): AsyncGenerator<Uint8Array[]> {
  const stream = await node.dialProtocol(relay, RELAY_PROTOCOL, options)
  try {
    const pb = pbStream(stream, { maxDataLength: MAX_RESPONSE_BYTES, maxBufferSize: READ_BUFFER_BYTES })
    await pb.write({ type: RelayRequest.Type.INBOX, key, signer: NO_BYTES, pageSize: options.pageSize }, RelayRequest, options)
    while (true) {
      const page = await pb.read(RelayResponse, options)
      if (page.status !== RelayResponse.Status.OK) {
        throw new RelayProtocolError(`relay refused the inbox request: ${page.error ?? RelayResponse.Status[page.status]}`)
      }
      if (page.records.length > 0) yield page.records
      if (page.done) break
    }
    await stream.close(options)
  } catch (err: any) {
    stream.abort(err)
    throw err
  } finally {
    // the consumer stopped early (break/return): let the relay know
    if (stream.status === 'open') stream.abort(new Error('inbox drain stopped by the reader'))
  }
}
