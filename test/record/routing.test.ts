import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { base64url } from 'multiformats/bases/base64'
import { isRecordTopic, keyForTopic, nameRoutingKey, parseRoutingKey, tagRoutingKey, topicForKey } from '../../src/record/index.ts'
import { ed25519, hex, rsa, secp256k1 } from './helpers.ts'

const enc = new TextEncoder()

describe('record: routing keys and topics', () => {
  it('round trips /ipns/ and /ipts/ keys of every peer ID kind through topics', async () => {
    const ids = [(await ed25519(1)).publicKey, secp256k1(3).publicKey, rsa().publicKey].map(k => k.toMultihash().bytes)

    for (const id of ids) {
      for (const [key, kind] of [[nameRoutingKey(id), 'plain'], [tagRoutingKey(id), 'tagged']] as const) {
        const topic = topicForKey(key)
        assert.ok(topic.startsWith('/record/'))
        assert.ok(!topic.includes('='), 'unpadded')
        assert.equal(hex(keyForTopic(topic)), hex(key))
        assert.equal(isRecordTopic(topic), true)
        assert.deepEqual(parseRoutingKey(key), { kind, multihash: id })
      }
    }
  })

  it('matches the IPNS-over-pubsub topic of a name, as Helia computes it', async () => {
    const id = (await ed25519(1)).publicKey.toMultihash().bytes
    const key = nameRoutingKey(id)
    assert.equal(hex(key.subarray(0, 6)), hex(enc.encode('/ipns/')))
    // helia: `/record/${uint8ArrayToString(routingKey, 'base64url')}`
    assert.equal(topicForKey(key), '/record/' + Buffer.from(key).toString('base64url'))
  })

  it('refuses other topics, bad base64 and keys that are not ours', async () => {
    const id = (await ed25519(1)).publicKey.toMultihash().bytes
    const good = topicForKey(tagRoutingKey(id))
    const refused = [
      '/other/' + good.slice('/record/'.length),
      'record/' + good.slice('/record/'.length),
      '/record/',
      '/record/' + base64url.baseEncode(enc.encode('/pk/abc')),
      '/record/' + base64url.baseEncode(new Uint8Array([...enc.encode('/ipns/'), 0x12, 0x20, 1, 2])),
      '/record/' + base64url.baseEncode(new Uint8Array([...enc.encode('/ipts/'), 0x00, 0x03, 1, 2, 3])),
      '/record/' + base64url.baseEncode(new Uint8Array([...enc.encode('/ipts/'), ...id, 0])),
      good + '=',
      good.replace(/.$/, '!'),
      good + 'A',
      good.slice(0, -1) + '\u00e9',
      '/x/record/' + good
    ]

    for (const topic of refused) {
      assert.throws(() => keyForTopic(topic), { name: 'InvalidRoutingKeyError' }, topic)
      assert.equal(isRecordTopic(topic), false, topic)
    }

    // alternative base64url spellings of the same bytes (non-zero trailing bits) are refused too
    const last = good.at(-1)!
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
    const bits = (good.length - '/record/'.length) % 4 === 2 ? 4 : 2
    const sibling = alphabet[alphabet.indexOf(last) + 1]
    assert.ok(alphabet.indexOf(last) % (1 << bits) === 0, 'the canonical last char has zero trailing bits')
    assert.throws(() => keyForTopic(good.slice(0, -1) + sibling), { name: 'InvalidRoutingKeyError' })

    assert.throws(() => parseRoutingKey(enc.encode('/ipfs/abc')), { name: 'InvalidRoutingKeyError' })
    assert.throws(() => topicForKey(enc.encode('/ipns/')), { name: 'InvalidRoutingKeyError' })
    assert.throws(() => tagRoutingKey(new Uint8Array([1, 2, 3])), { name: 'InvalidRoutingKeyError' })
  })
})
