import { decodeMessage, encodeMessage, MaxLengthError, message, streamMessage } from 'protons-runtime'
import { alloc as uint8ArrayAlloc } from 'uint8arrays/alloc'
import type { Codec, DecodeOptions } from 'protons-runtime'
import type { Uint8ArrayList } from 'uint8arraylist'

export interface SignedAck {
  body: Uint8Array
  signature: Uint8Array
  pubKey?: Uint8Array
}

export namespace SignedAck {
  let _codec: Codec<SignedAck>

  export const codec = (): Codec<SignedAck> => {
    if (_codec == null) {
      _codec = message<SignedAck>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.body != null && obj.body.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.body)
        }

        if ((obj.signature != null && obj.signature.byteLength > 0)) {
          w.uint32(18)
          w.bytes(obj.signature)
        }

        if (obj.pubKey != null) {
          w.uint32(26)
          w.bytes(obj.pubKey)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          body: uint8ArrayAlloc(0),
          signature: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.body = reader.bytes()
              break
            }
            case 2: {
              obj.signature = reader.bytes()
              break
            }
            case 3: {
              obj.pubKey = reader.bytes()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.body`,
                value: reader.bytes()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.signature`,
                value: reader.bytes()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.pubKey`,
                value: reader.bytes()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface SignedAckBodyFieldEvent {
    field: '$.body'
    value: Uint8Array
  }

  export interface SignedAckSignatureFieldEvent {
    field: '$.signature'
    value: Uint8Array
  }

  export interface SignedAckPubKeyFieldEvent {
    field: '$.pubKey'
    value: Uint8Array
  }

  export function encode (obj: Partial<SignedAck>): Uint8Array {
    return encodeMessage(obj, SignedAck.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<SignedAck>): SignedAck {
    return decodeMessage(buf, SignedAck.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<SignedAck>): Generator<SignedAckBodyFieldEvent | SignedAckSignatureFieldEvent | SignedAckPubKeyFieldEvent> {
    return streamMessage(buf, SignedAck.codec(), opts)
  }
}

export interface AckBody {
  tag: Uint8Array
  entries: AckEntry[]
  issuedAt: bigint
}

export namespace AckBody {
  let _codec: Codec<AckBody>

  export const codec = (): Codec<AckBody> => {
    if (_codec == null) {
      _codec = message<AckBody>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.tag != null && obj.tag.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.tag)
        }

        if (obj.entries != null && obj.entries.length > 0) {
          for (const value of obj.entries) {
            w.uint32(18)
            AckEntry.codec().encode(value, w)
          }
        }

        if ((obj.issuedAt != null && obj.issuedAt !== 0n)) {
          w.uint32(24)
          w.uint64(obj.issuedAt)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          tag: uint8ArrayAlloc(0),
          entries: [],
          issuedAt: 0n
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.tag = reader.bytes()
              break
            }
            case 2: {
              if (opts.limits?.entries != null && obj.entries.length === opts.limits.entries) {
                throw new MaxLengthError('Decode error - repeated field "entries" had too many elements')
              }

              obj.entries.push(AckEntry.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.entries$
              }))
              break
            }
            case 3: {
              obj.issuedAt = reader.uint64()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const obj = {
          entries: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.tag`,
                value: reader.bytes()
              }
              break
            }
            case 2: {
              if (opts.limits?.entries != null && obj.entries === opts.limits.entries) {
                throw new MaxLengthError('Streaming decode error - repeated field "entries" had too many elements')
              }

              for (const evt of AckEntry.codec().stream(reader, reader.uint32(), `${prefix}.entries[]`, {
                limits: opts.limits?.entries$
              })) {
                yield {
                  ...evt,
                  index: obj.entries
                }
              }

              obj.entries++

              break
            }
            case 3: {
              yield {
                field: `${prefix}.issuedAt`,
                value: reader.uint64()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface AckBodyTagFieldEvent {
    field: '$.tag'
    value: Uint8Array
  }

  export interface AckBodyEntriesSignerFieldEvent {
    field: '$.entries[].signer'
    value: Uint8Array
    index: number
  }

  export interface AckBodyEntriesSequenceFieldEvent {
    field: '$.entries[].sequence'
    value: bigint
    index: number
  }

  export interface AckBodyEntriesEolFieldEvent {
    field: '$.entries[].eol'
    value: bigint
    index: number
  }

  export interface AckBodyIssuedAtFieldEvent {
    field: '$.issuedAt'
    value: bigint
  }

  export function encode (obj: Partial<AckBody>): Uint8Array {
    return encodeMessage(obj, AckBody.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<AckBody>): AckBody {
    return decodeMessage(buf, AckBody.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<AckBody>): Generator<AckBodyTagFieldEvent | AckBodyEntriesSignerFieldEvent | AckBodyEntriesSequenceFieldEvent | AckBodyEntriesEolFieldEvent | AckBodyIssuedAtFieldEvent> {
    return streamMessage(buf, AckBody.codec(), opts)
  }
}

export interface AckEntry {
  signer: Uint8Array
  sequence: bigint
  eol: bigint
}

export namespace AckEntry {
  let _codec: Codec<AckEntry>

  export const codec = (): Codec<AckEntry> => {
    if (_codec == null) {
      _codec = message<AckEntry>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.signer != null && obj.signer.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.signer)
        }

        if ((obj.sequence != null && obj.sequence !== 0n)) {
          w.uint32(16)
          w.uint64(obj.sequence)
        }

        if ((obj.eol != null && obj.eol !== 0n)) {
          w.uint32(24)
          w.uint64(obj.eol)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          signer: uint8ArrayAlloc(0),
          sequence: 0n,
          eol: 0n
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.signer = reader.bytes()
              break
            }
            case 2: {
              obj.sequence = reader.uint64()
              break
            }
            case 3: {
              obj.eol = reader.uint64()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.signer`,
                value: reader.bytes()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.sequence`,
                value: reader.uint64()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.eol`,
                value: reader.uint64()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface AckEntrySignerFieldEvent {
    field: '$.signer'
    value: Uint8Array
  }

  export interface AckEntrySequenceFieldEvent {
    field: '$.sequence'
    value: bigint
  }

  export interface AckEntryEolFieldEvent {
    field: '$.eol'
    value: bigint
  }

  export function encode (obj: Partial<AckEntry>): Uint8Array {
    return encodeMessage(obj, AckEntry.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<AckEntry>): AckEntry {
    return decodeMessage(buf, AckEntry.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<AckEntry>): Generator<AckEntrySignerFieldEvent | AckEntrySequenceFieldEvent | AckEntryEolFieldEvent> {
    return streamMessage(buf, AckEntry.codec(), opts)
  }
}
