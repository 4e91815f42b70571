/**
 * One sync stream as a sequence of `SyncMessage`s: length-prefixed, size-limited, decoded with
 * limits, each with exactly one field set, with every byte counted.
 */
import { encodingLength } from 'uint8-varint'
import { lpStream } from '@libp2p/utils'
import { InvalidSyncMessageError, SyncLimitError } from '../errors.ts'
import { SyncMessage } from '../pb/sync.ts'
import { MAX_SYNC_MESSAGE_SIZE } from './constants.ts'
import type { AbortOptions, Stream } from '@libp2p/interface'
import type { LengthPrefixedStream } from '@libp2p/utils'

export type MessageKind = keyof SyncMessage

const KINDS: MessageKind[] = ['coded', 'full', 'reply', 'want', 'item', 'end']

/** A message narrowed to the one field it carries. */
export type MessageOf<K extends MessageKind> = { [P in K]-?: NonNullable<SyncMessage[P]> }

export class SyncChannel {
  bytesSent = 0
  bytesReceived = 0
  /** `performance.now()` when the session last made progress (see `touch`). */
  lastProgress = performance.now()
  private readonly lp: LengthPrefixedStream<Stream>
  private readonly onProgress?: () => void

  /** `onProgress` runs on every `touch`: each message read or written, each item taken in. */
  constructor (stream: Stream, onProgress?: () => void) {
    this.lp = lpStream(stream, { maxDataLength: MAX_SYNC_MESSAGE_SIZE })
    this.onProgress = onProgress
  }

  /** The session moved forward: a message went through, or an item was taken in. */
  touch (): void {
    this.lastProgress = performance.now()
    this.onProgress?.()
  }

  async write (message: Partial<SyncMessage>, options: AbortOptions): Promise<void> {
    const bytes = SyncMessage.encode(message)
    this.bytesSent += encodingLength(bytes.byteLength) + bytes.byteLength
    await this.lp.write(bytes, options)
    this.touch()
  }

  /**
   * Read the next message and return its kind. Throws `InvalidSyncMessageError` on bytes that do
   * not decode, on a message with no or several fields, and when the stream ends first;
   * `SyncLimitError` on an oversized message.
   */
  async read (options: AbortOptions): Promise<{ kind: MessageKind, message: SyncMessage }> {
    let buf
    try {
      buf = await this.lp.read(options)
    } catch (err: any) {
      if (err?.name === 'InvalidDataLengthError' || err?.name === 'InvalidDataLengthLengthError') {
        throw new SyncLimitError(`sync message too large: ${String(err.message)}`)
      }
      if (err?.name === 'UnexpectedEOFError' || err?.name === 'InvalidMessageLengthError') {
        throw new InvalidSyncMessageError(`sync stream ended early: ${String(err.message)}`)
      }
      throw err
    }
    this.bytesReceived += encodingLength(buf.byteLength) + buf.byteLength
    this.touch()
    let message: SyncMessage
    try {
      message = SyncMessage.decode(buf.subarray())
    } catch (err: any) {
      throw new InvalidSyncMessageError(`undecodable sync message: ${String(err?.message ?? err)}`)
    }
    let kind: MessageKind | undefined
    for (const k of KINDS) {
      if (message[k] != null) {
        if (kind != null) {
          throw new InvalidSyncMessageError(`sync message carries both ${kind} and ${k}`)
        }
        kind = k
      }
    }
    if (kind == null) {
      throw new InvalidSyncMessageError('empty or unknown sync message')
    }
    return { kind, message }
  }

  /** Read the next message, which must be of one of `kinds`. */
  async expect<K extends MessageKind> (kinds: K[], options: AbortOptions): Promise<{ kind: K, message: MessageOf<K> & SyncMessage }> {
    const { kind, message } = await this.read(options)
    if (!(kinds as MessageKind[]).includes(kind)) {
      throw new InvalidSyncMessageError(`unexpected sync message ${kind}, expected ${kinds.join(' or ')}`)
    }
    return { kind: kind as K, message: message as MessageOf<K> & SyncMessage }
  }
}
