import { decodeMessage, encodeMessage, enumeration, MaxLengthError, message, streamMessage } from 'protons-runtime'
import { alloc as uint8ArrayAlloc } from 'uint8arrays/alloc'
import type { Codec, DecodeOptions } from 'protons-runtime'
import type { Uint8ArrayList } from 'uint8arraylist'

export interface RelayRequest {
  type: RelayRequest.Type
  key: Uint8Array
  signer: Uint8Array
  record?: Uint8Array
  ack?: Uint8Array
  cursor?: Uint8Array
  pageSize?: number
  withRecord?: boolean
}

export namespace RelayRequest {
  export enum Type {
    INBOX = 'INBOX',
    PUT = 'PUT',
    QUERY = 'QUERY',
    ACK = 'ACK'
  }

  enum __TypeValues {
    INBOX = 0,
    PUT = 1,
    QUERY = 2,
    ACK = 3
  }

  export namespace Type {
    export const codec = (): Codec<Type> => {
      return enumeration<Type>(__TypeValues)
    }
  }

  let _codec: Codec<RelayRequest>

  export const codec = (): Codec<RelayRequest> => {
    if (_codec == null) {
      _codec = message<RelayRequest>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.type != null && __TypeValues[obj.type] !== 0) {
          w.uint32(8)
          RelayRequest.Type.codec().encode(obj.type, w)
        }

        if ((obj.key != null && obj.key.byteLength > 0)) {
          w.uint32(18)
          w.bytes(obj.key)
        }

        if ((obj.signer != null && obj.signer.byteLength > 0)) {
          w.uint32(26)
          w.bytes(obj.signer)
        }

        if (obj.record != null) {
          w.uint32(34)
          w.bytes(obj.record)
        }

        if (obj.ack != null) {
          w.uint32(42)
          w.bytes(obj.ack)
        }

        if (obj.cursor != null) {
          w.uint32(50)
          w.bytes(obj.cursor)
        }

        if (obj.pageSize != null) {
          w.uint32(56)
          w.uint32(obj.pageSize)
        }

        if (obj.withRecord != null) {
          w.uint32(64)
          w.bool(obj.withRecord)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          type: Type.INBOX,
          key: uint8ArrayAlloc(0),
          signer: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.type = RelayRequest.Type.codec().decode(reader)
              break
            }
            case 2: {
              obj.key = reader.bytes()
              break
            }
            case 3: {
              obj.signer = reader.bytes()
              break
            }
            case 4: {
              obj.record = reader.bytes()
              break
            }
            case 5: {
              obj.ack = reader.bytes()
              break
            }
            case 6: {
              obj.cursor = reader.bytes()
              break
            }
            case 7: {
              obj.pageSize = reader.uint32()
              break
            }
            case 8: {
              obj.withRecord = reader.bool()
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
                field: `${prefix}.type`,
                value: RelayRequest.Type.codec().decode(reader)
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.key`,
                value: reader.bytes()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.signer`,
                value: reader.bytes()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.record`,
                value: reader.bytes()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.ack`,
                value: reader.bytes()
              }
              break
            }
            case 6: {
              yield {
                field: `${prefix}.cursor`,
                value: reader.bytes()
              }
              break
            }
            case 7: {
              yield {
                field: `${prefix}.pageSize`,
                value: reader.uint32()
              }
              break
            }
            case 8: {
              yield {
                field: `${prefix}.withRecord`,
                value: reader.bool()
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

  export interface RelayRequestTypeFieldEvent {
    field: '$.type'
    value: RelayRequest.Type
  }

  export interface RelayRequestKeyFieldEvent {
    field: '$.key'
    value: Uint8Array
  }

  export interface RelayRequestSignerFieldEvent {
    field: '$.signer'
    value: Uint8Array
  }

  export interface RelayRequestRecordFieldEvent {
    field: '$.record'
    value: Uint8Array
  }

  export interface RelayRequestAckFieldEvent {
    field: '$.ack'
    value: Uint8Array
  }

  export interface RelayRequestCursorFieldEvent {
    field: '$.cursor'
    value: Uint8Array
  }

  export interface RelayRequestPageSizeFieldEvent {
    field: '$.pageSize'
    value: number
  }

  export interface RelayRequestWithRecordFieldEvent {
    field: '$.withRecord'
    value: boolean
  }

  export function encode (obj: Partial<RelayRequest>): Uint8Array {
    return encodeMessage(obj, RelayRequest.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<RelayRequest>): RelayRequest {
    return decodeMessage(buf, RelayRequest.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<RelayRequest>): Generator<RelayRequestTypeFieldEvent | RelayRequestKeyFieldEvent | RelayRequestSignerFieldEvent | RelayRequestRecordFieldEvent | RelayRequestAckFieldEvent | RelayRequestCursorFieldEvent | RelayRequestPageSizeFieldEvent | RelayRequestWithRecordFieldEvent> {
    return streamMessage(buf, RelayRequest.codec(), opts)
  }
}

export interface RelayResponse {
  status: RelayResponse.Status
  error?: string
  sequence?: bigint
  records: Uint8Array[]
  cursor?: Uint8Array
  done: boolean
  deleted?: number
  acked?: bigint
}

export namespace RelayResponse {
  export enum Status {
    OK = 'OK',
    NOT_FOUND = 'NOT_FOUND',
    REFUSED = 'REFUSED',
    ERROR = 'ERROR'
  }

  enum __StatusValues {
    OK = 0,
    NOT_FOUND = 1,
    REFUSED = 2,
    ERROR = 3
  }

  export namespace Status {
    export const codec = (): Codec<Status> => {
      return enumeration<Status>(__StatusValues)
    }
  }

  let _codec: Codec<RelayResponse>

  export const codec = (): Codec<RelayResponse> => {
    if (_codec == null) {
      _codec = message<RelayResponse>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.status != null && __StatusValues[obj.status] !== 0) {
          w.uint32(8)
          RelayResponse.Status.codec().encode(obj.status, w)
        }

        if (obj.error != null) {
          w.uint32(18)
          w.string(obj.error)
        }

        if (obj.sequence != null) {
          w.uint32(24)
          w.uint64(obj.sequence)
        }

        if (obj.records != null && obj.records.length > 0) {
          for (const value of obj.records) {
            w.uint32(34)
            w.bytes(value)
          }
        }

        if (obj.cursor != null) {
          w.uint32(42)
          w.bytes(obj.cursor)
        }

        if ((obj.done != null && obj.done !== false)) {
          w.uint32(48)
          w.bool(obj.done)
        }

        if (obj.deleted != null) {
          w.uint32(56)
          w.uint32(obj.deleted)
        }

        if (obj.acked != null) {
          w.uint32(64)
          w.uint64(obj.acked)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          status: Status.OK,
          records: [],
          done: false
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.status = RelayResponse.Status.codec().decode(reader)
              break
            }
            case 2: {
              obj.error = reader.string()
              break
            }
            case 3: {
              obj.sequence = reader.uint64()
              break
            }
            case 4: {
              if (opts.limits?.records != null && obj.records.length === opts.limits.records) {
                throw new MaxLengthError('Decode error - repeated field "records" had too many elements')
              }

              obj.records.push(reader.bytes())
              break
            }
            case 5: {
              obj.cursor = reader.bytes()
              break
            }
            case 6: {
              obj.done = reader.bool()
              break
            }
            case 7: {
              obj.deleted = reader.uint32()
              break
            }
            case 8: {
              obj.acked = reader.uint64()
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
          records: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.status`,
                value: RelayResponse.Status.codec().decode(reader)
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.error`,
                value: reader.string()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.sequence`,
                value: reader.uint64()
              }
              break
            }
            case 4: {
              if (opts.limits?.records != null && obj.records === opts.limits.records) {
                throw new MaxLengthError('Streaming decode error - repeated field "records" had too many elements')
              }

              yield {
                field: `${prefix}.records[]`,
                index: obj.records,
                value: reader.bytes()
              }

              obj.records++

              break
            }
            case 5: {
              yield {
                field: `${prefix}.cursor`,
                value: reader.bytes()
              }
              break
            }
            case 6: {
              yield {
                field: `${prefix}.done`,
                value: reader.bool()
              }
              break
            }
            case 7: {
              yield {
                field: `${prefix}.deleted`,
                value: reader.uint32()
              }
              break
            }
            case 8: {
              yield {
                field: `${prefix}.acked`,
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

  export interface RelayResponseStatusFieldEvent {
    field: '$.status'
    value: RelayResponse.Status
  }

  export interface RelayResponseErrorFieldEvent {
    field: '$.error'
    value: string
  }

  export interface RelayResponseSequenceFieldEvent {
    field: '$.sequence'
    value: bigint
  }

  export interface RelayResponseRecordsFieldEvent {
    field: '$.records[]'
    index: number
    value: Uint8Array
  }

  export interface RelayResponseCursorFieldEvent {
    field: '$.cursor'
    value: Uint8Array
  }

  export interface RelayResponseDoneFieldEvent {
    field: '$.done'
    value: boolean
  }

  export interface RelayResponseDeletedFieldEvent {
    field: '$.deleted'
    value: number
  }

  export interface RelayResponseAckedFieldEvent {
    field: '$.acked'
    value: bigint
  }

  export function encode (obj: Partial<RelayResponse>): Uint8Array {
    return encodeMessage(obj, RelayResponse.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<RelayResponse>): RelayResponse {
    return decodeMessage(buf, RelayResponse.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<RelayResponse>): Generator<RelayResponseStatusFieldEvent | RelayResponseErrorFieldEvent | RelayResponseSequenceFieldEvent | RelayResponseRecordsFieldEvent | RelayResponseCursorFieldEvent | RelayResponseDoneFieldEvent | RelayResponseDeletedFieldEvent | RelayResponseAckedFieldEvent> {
    return streamMessage(buf, RelayResponse.codec(), opts)
  }
}
