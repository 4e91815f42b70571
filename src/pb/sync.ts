import { decodeMessage, encodeMessage, message, streamMessage } from 'protons-runtime'
import { alloc as uint8ArrayAlloc } from 'uint8arrays/alloc'
import type { Codec, DecodeOptions } from 'protons-runtime'
import type { Uint8ArrayList } from 'uint8arraylist'

export interface SyncMessage {
  coded?: CodedSymbols
  full?: SymbolChunk
  reply?: Reply
  want?: SymbolChunk
  item?: Item
  end?: End
}

export namespace SyncMessage {
  let _codec: Codec<SyncMessage>

  export const codec = (): Codec<SyncMessage> => {
    if (_codec == null) {
      _codec = message<SyncMessage>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.coded != null) {
          w.uint32(10)
          CodedSymbols.codec().encode(obj.coded, w)
        }

        if (obj.full != null) {
          w.uint32(18)
          SymbolChunk.codec().encode(obj.full, w)
        }

        if (obj.reply != null) {
          w.uint32(26)
          Reply.codec().encode(obj.reply, w)
        }

        if (obj.want != null) {
          w.uint32(34)
          SymbolChunk.codec().encode(obj.want, w)
        }

        if (obj.item != null) {
          w.uint32(42)
          Item.codec().encode(obj.item, w)
        }

        if (obj.end != null) {
          w.uint32(50)
          End.codec().encode(obj.end, w)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {}

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.coded = CodedSymbols.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.coded
              })
              break
            }
            case 2: {
              obj.full = SymbolChunk.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.full
              })
              break
            }
            case 3: {
              obj.reply = Reply.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.reply
              })
              break
            }
            case 4: {
              obj.want = SymbolChunk.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.want
              })
              break
            }
            case 5: {
              obj.item = Item.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.item
              })
              break
            }
            case 6: {
              obj.end = End.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.end
              })
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
              yield * CodedSymbols.codec().stream(reader, reader.uint32(), `${prefix}.coded`, {
                limits: opts.limits?.coded
              })

              break
            }
            case 2: {
              yield * SymbolChunk.codec().stream(reader, reader.uint32(), `${prefix}.full`, {
                limits: opts.limits?.full
              })

              break
            }
            case 3: {
              yield * Reply.codec().stream(reader, reader.uint32(), `${prefix}.reply`, {
                limits: opts.limits?.reply
              })

              break
            }
            case 4: {
              yield * SymbolChunk.codec().stream(reader, reader.uint32(), `${prefix}.want`, {
                limits: opts.limits?.want
              })

              break
            }
            case 5: {
              yield * Item.codec().stream(reader, reader.uint32(), `${prefix}.item`, {
                limits: opts.limits?.item
              })

              break
            }
            case 6: {
              yield * End.codec().stream(reader, reader.uint32(), `${prefix}.end`, {
                limits: opts.limits?.end
              })

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

  export interface SyncMessageCodedSymbolsFieldEvent {
    field: '$.coded.symbols'
    value: Uint8Array
  }

  export interface SyncMessageCodedHashesFieldEvent {
    field: '$.coded.hashes'
    value: Uint8Array
  }

  export interface SyncMessageCodedCountsFieldEvent {
    field: '$.coded.counts'
    value: Uint8Array
  }

  export interface SyncMessageFullSymbolsFieldEvent {
    field: '$.full.symbols'
    value: Uint8Array
  }

  export interface SyncMessageFullLastFieldEvent {
    field: '$.full.last'
    value: boolean
  }

  export interface SyncMessageReplyDecodedFieldEvent {
    field: '$.reply.decoded'
    value: boolean
  }

  export interface SyncMessageReplyHaveFieldEvent {
    field: '$.reply.have'
    value: Uint8Array
  }

  export interface SyncMessageReplyWantFieldEvent {
    field: '$.reply.want'
    value: Uint8Array
  }

  export interface SyncMessageReplyLastFieldEvent {
    field: '$.reply.last'
    value: boolean
  }

  export interface SyncMessageReplyItemCountFieldEvent {
    field: '$.reply.itemCount'
    value: number
  }

  export interface SyncMessageWantSymbolsFieldEvent {
    field: '$.want.symbols'
    value: Uint8Array
  }

  export interface SyncMessageWantLastFieldEvent {
    field: '$.want.last'
    value: boolean
  }

  export interface SyncMessageItemDataFieldEvent {
    field: '$.item.data'
    value: Uint8Array
  }

  export interface SyncMessageEndRefusedFieldEvent {
    field: '$.end.refused'
    value: number
  }

  export function encode (obj: Partial<SyncMessage>): Uint8Array {
    return encodeMessage(obj, SyncMessage.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<SyncMessage>): SyncMessage {
    return decodeMessage(buf, SyncMessage.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<SyncMessage>): Generator<SyncMessageCodedSymbolsFieldEvent | SyncMessageCodedHashesFieldEvent | SyncMessageCodedCountsFieldEvent | SyncMessageFullSymbolsFieldEvent | SyncMessageFullLastFieldEvent | SyncMessageReplyDecodedFieldEvent | SyncMessageReplyHaveFieldEvent | SyncMessageReplyWantFieldEvent | SyncMessageReplyLastFieldEvent | SyncMessageReplyItemCountFieldEvent | SyncMessageWantSymbolsFieldEvent | SyncMessageWantLastFieldEvent | SyncMessageItemDataFieldEvent | SyncMessageEndRefusedFieldEvent> {
    return streamMessage(buf, SyncMessage.codec(), opts)
  }
}

export interface CodedSymbols {
  symbols: Uint8Array
  hashes: Uint8Array
  counts: Uint8Array
}

export namespace CodedSymbols {
  let _codec: Codec<CodedSymbols>

  export const codec = (): Codec<CodedSymbols> => {
    if (_codec == null) {
      _codec = message<CodedSymbols>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.symbols != null && obj.symbols.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.symbols)
        }

        if ((obj.hashes != null && obj.hashes.byteLength > 0)) {
          w.uint32(18)
          w.bytes(obj.hashes)
        }

        if ((obj.counts != null && obj.counts.byteLength > 0)) {
          w.uint32(26)
          w.bytes(obj.counts)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          symbols: uint8ArrayAlloc(0),
          hashes: uint8ArrayAlloc(0),
          counts: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.symbols = reader.bytes()
              break
            }
            case 2: {
              obj.hashes = reader.bytes()
              break
            }
            case 3: {
              obj.counts = reader.bytes()
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
                field: `${prefix}.symbols`,
                value: reader.bytes()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.hashes`,
                value: reader.bytes()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.counts`,
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

  export interface CodedSymbolsSymbolsFieldEvent {
    field: '$.symbols'
    value: Uint8Array
  }

  export interface CodedSymbolsHashesFieldEvent {
    field: '$.hashes'
    value: Uint8Array
  }

  export interface CodedSymbolsCountsFieldEvent {
    field: '$.counts'
    value: Uint8Array
  }

  export function encode (obj: Partial<CodedSymbols>): Uint8Array {
    return encodeMessage(obj, CodedSymbols.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<CodedSymbols>): CodedSymbols {
    return decodeMessage(buf, CodedSymbols.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<CodedSymbols>): Generator<CodedSymbolsSymbolsFieldEvent | CodedSymbolsHashesFieldEvent | CodedSymbolsCountsFieldEvent> {
    return streamMessage(buf, CodedSymbols.codec(), opts)
  }
}

export interface SymbolChunk {
  symbols: Uint8Array
  last: boolean
}

export namespace SymbolChunk {
  let _codec: Codec<SymbolChunk>

  export const codec = (): Codec<SymbolChunk> => {
    if (_codec == null) {
      _codec = message<SymbolChunk>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.symbols != null && obj.symbols.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.symbols)
        }

        if ((obj.last != null && obj.last !== false)) {
          w.uint32(16)
          w.bool(obj.last)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          symbols: uint8ArrayAlloc(0),
          last: false
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.symbols = reader.bytes()
              break
            }
            case 2: {
              obj.last = reader.bool()
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
                field: `${prefix}.symbols`,
                value: reader.bytes()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.last`,
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

  export interface SymbolChunkSymbolsFieldEvent {
    field: '$.symbols'
    value: Uint8Array
  }

  export interface SymbolChunkLastFieldEvent {
    field: '$.last'
    value: boolean
  }

  export function encode (obj: Partial<SymbolChunk>): Uint8Array {
    return encodeMessage(obj, SymbolChunk.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<SymbolChunk>): SymbolChunk {
    return decodeMessage(buf, SymbolChunk.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<SymbolChunk>): Generator<SymbolChunkSymbolsFieldEvent | SymbolChunkLastFieldEvent> {
    return streamMessage(buf, SymbolChunk.codec(), opts)
  }
}

export interface Reply {
  decoded: boolean
  have: Uint8Array
  want: Uint8Array
  last: boolean
  itemCount: number
}

export namespace Reply {
  let _codec: Codec<Reply>

  export const codec = (): Codec<Reply> => {
    if (_codec == null) {
      _codec = message<Reply>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.decoded != null && obj.decoded !== false)) {
          w.uint32(8)
          w.bool(obj.decoded)
        }

        if ((obj.have != null && obj.have.byteLength > 0)) {
          w.uint32(18)
          w.bytes(obj.have)
        }

        if ((obj.want != null && obj.want.byteLength > 0)) {
          w.uint32(26)
          w.bytes(obj.want)
        }

        if ((obj.last != null && obj.last !== false)) {
          w.uint32(32)
          w.bool(obj.last)
        }

        if ((obj.itemCount != null && obj.itemCount !== 0)) {
          w.uint32(40)
          w.uint32(obj.itemCount)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          decoded: false,
          have: uint8ArrayAlloc(0),
          want: uint8ArrayAlloc(0),
          last: false,
          itemCount: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.decoded = reader.bool()
              break
            }
            case 2: {
              obj.have = reader.bytes()
              break
            }
            case 3: {
              obj.want = reader.bytes()
              break
            }
            case 4: {
              obj.last = reader.bool()
              break
            }
            case 5: {
              obj.itemCount = reader.uint32()
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
                field: `${prefix}.decoded`,
                value: reader.bool()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.have`,
                value: reader.bytes()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.want`,
                value: reader.bytes()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.last`,
                value: reader.bool()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.itemCount`,
                value: reader.uint32()
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

  export interface ReplyDecodedFieldEvent {
    field: '$.decoded'
    value: boolean
  }

  export interface ReplyHaveFieldEvent {
    field: '$.have'
    value: Uint8Array
  }

  export interface ReplyWantFieldEvent {
    field: '$.want'
    value: Uint8Array
  }

  export interface ReplyLastFieldEvent {
    field: '$.last'
    value: boolean
  }

  export interface ReplyItemCountFieldEvent {
    field: '$.itemCount'
    value: number
  }

  export function encode (obj: Partial<Reply>): Uint8Array {
    return encodeMessage(obj, Reply.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Reply>): Reply {
    return decodeMessage(buf, Reply.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Reply>): Generator<ReplyDecodedFieldEvent | ReplyHaveFieldEvent | ReplyWantFieldEvent | ReplyLastFieldEvent | ReplyItemCountFieldEvent> {
    return streamMessage(buf, Reply.codec(), opts)
  }
}

export interface Item {
  data: Uint8Array
}

export namespace Item {
  let _codec: Codec<Item>

  export const codec = (): Codec<Item> => {
    if (_codec == null) {
      _codec = message<Item>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.data != null && obj.data.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.data)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          data: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.data = reader.bytes()
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
                field: `${prefix}.data`,
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

  export interface ItemDataFieldEvent {
    field: '$.data'
    value: Uint8Array
  }

  export function encode (obj: Partial<Item>): Uint8Array {
    return encodeMessage(obj, Item.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Item>): Item {
    return decodeMessage(buf, Item.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Item>): Generator<ItemDataFieldEvent> {
    return streamMessage(buf, Item.codec(), opts)
  }
}

export interface End {
  refused: number
}

export namespace End {
  let _codec: Codec<End>

  export const codec = (): Codec<End> => {
    if (_codec == null) {
      _codec = message<End>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.refused != null && obj.refused !== 0)) {
          w.uint32(8)
          w.uint32(obj.refused)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          refused: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.refused = reader.uint32()
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
                field: `${prefix}.refused`,
                value: reader.uint32()
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

  export interface EndRefusedFieldEvent {
    field: '$.refused'
    value: number
  }

  export function encode (obj: Partial<End>): Uint8Array {
    return encodeMessage(obj, End.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<End>): End {
    return decodeMessage(buf, End.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<End>): Generator<EndRefusedFieldEvent> {
    return streamMessage(buf, End.codec(), opts)
  }
}
