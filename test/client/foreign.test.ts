/**
 * Tagged records other tools make (the `ipns` package's records with a Tag added by hand): the
 * inbox reader shows each as one message with `value`, and `text`, `data` or `cid` as the
 * value's CID and codec say.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import * as dagCbor from '@ipld/dag-cbor'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { base36 } from 'multiformats/bases/base36'
import { base58btc } from 'multiformats/bases/base58'
import { base64url } from 'multiformats/bases/base64'
import { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'
import { InboxReader } from '../../src/client/inbox.ts'
import { MAX_QUADRATIC_CID_CHARS, describeValue } from '../../src/client/value.ts'
import { foreignTaggedRecord, inlineCid } from '../utils/foreign.ts'
import type { ValueContent } from '../../src/client/value.ts'

describe('tagged records made by other tools', async () => {
  const bobKey = await generateKeyPair('Ed25519')
  const bob = peerIdFromPrivateKey(bobKey)
  const sha = CID.createV1(0x55, await sha256.digest(new TextEncoder().encode('real content')))
  const binary = new Uint8Array([0xff, 0x00, 0x01, 0xfe])

  /** value given to the ipns package -> the value the record carries, and what the inbox shows */
  const cases: Array<{ name: string, value: CID | string, shows: ValueContent }> = [
    { name: 'raw identity CID of text', value: inlineCid('hello from another tool'), shows: { text: 'hello from another tool' } },
    { name: 'raw identity CID of multi-byte UTF-8', value: inlineCid('héllo ✓ 日本'), shows: { text: 'héllo ✓ 日本' } },
    { name: 'raw identity CID of the empty string', value: inlineCid(''), shows: { text: '' } },
    { name: 'raw identity CID of bytes that are not UTF-8', value: inlineCid(binary), shows: { data: binary } },
    { name: 'raw identity CID of DAG-CBOR that is not an ipts payload', value: inlineCid(dagCbor.encode({ v: 1, x: 2 })), shows: { data: dagCbor.encode({ v: 1, x: 2 }) } },
    { name: 'raw identity CID written in base64url', value: `/ipfs/${inlineCid('in base64url').toString(base64url)}`, shows: { text: 'in base64url' } },
    { name: 'raw identity CID written in base36', value: `/ipfs/${inlineCid('in base36').toString(base36)}`, shows: { text: 'in base36' } },
    { name: 'json identity CID', value: inlineCid('{"hello":"json"}', 0x0200), shows: { text: '{"hello":"json"}' } },
    { name: 'dag-pb identity CID (a block, not text)', value: inlineCid(new Uint8Array([0x0a, 0x02, 0x08, 0x01]), 0x70), shows: { cid: inlineCid(new Uint8Array([0x0a, 0x02, 0x08, 0x01]), 0x70).toString() } },
    { name: 'CID of real content', value: sha, shows: { cid: sha.toString() } },
    { name: 'CID of real content with a path', value: `/ipfs/${sha.toString()}/dir/file.txt`, shows: { cid: sha.toString() } },
    { name: 'CIDv0 path', value: '/ipfs/QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG', shows: { cid: 'QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG' } },
    { name: '/ipns/ path', value: '/ipns/k51qzi5uqu5dlvj2baxnqndepeb86cbk3ng7n3i46uzyxzyqj2xjonzllnv0v8', shows: {} },
    { name: 'an /ipfs/ path that is no CID', value: '/ipfs/not-a-cid', shows: {} },
    { name: 'another path', value: '/some/other/path', shows: {} }
  ]

  for (const v1Compatible of [false, true]) {
    it(`each is one readable message from its signer, numbered by its record${v1Compatible ? ' (V1-compatible records)' : ''}`, async () => {
      const reader = new InboxReader({ privateKey: bobKey })
      const now = Date.now()
      for (const c of cases) {
        const signer = await generateKeyPair('Ed25519')
        const bytes = await foreignTaggedRecord(signer, bob, c.value, 7n, { v1Compatible })
        const got = reader.read(bytes, now)
        assert.equal(got.status, 'new', c.name)
        assert.ok(got.status === 'new')
        const { received } = got
        assert.equal(received.readable, true, c.name)
        assert.equal(received.from.toString(), peerIdFromPrivateKey(signer).toString(), c.name)
        assert.equal(received.messages.length, 1, c.name)
        const [m] = received.messages
        const expectedValue = typeof c.value === 'string' ? c.value : `/ipfs/${c.value.toString()}`
        assert.equal(m.value, expectedValue, c.name)
        assert.equal(m.seq, 7n, c.name)
        assert.deepEqual({ text: m.text, data: m.data, cid: m.cid }, { text: c.shows.text, data: c.shows.data, cid: c.shows.cid }, c.name)
        assert.equal(m.encrypted, false, c.name)
        // the same record again (another relay's copy) shows nothing more
        assert.equal(reader.read(bytes, now).status, 'duplicate', c.name)
      }
    })
  }

  it('a later record of the same signer shows its message once; an acknowledged one is hidden', async () => {
    const signer = await generateKeyPair('Ed25519')
    const from = peerIdFromPrivateKey(signer).toString()
    const reader = new InboxReader({ privateKey: bobKey, acked: (peer) => peer === from ? 2n : -1n })
    const now = Date.now()
    const two = reader.read(await foreignTaggedRecord(signer, bob, inlineCid('two'), 2n), now)
    assert.ok(two.status === 'new')
    assert.deepEqual(two.received.messages, [], 'sequence 2 was acknowledged in an earlier run')
    const three = reader.read(await foreignTaggedRecord(signer, bob, inlineCid('three'), 3n), now)
    assert.ok(three.status === 'new')
    assert.deepEqual(three.received.messages.map(m => m.text), ['three'])
    assert.equal(reader.read(await foreignTaggedRecord(signer, bob, inlineCid('old'), 1n), now).status, 'stale')
  })

  it('CID strings in a quadratic base (base36, base58btc) are parsed only up to a bound', () => {
    const long = inlineCid('x'.repeat(2000))
    for (const base of [base36, base58btc]) {
      const text = long.toString(base)
      assert.ok(text.length > MAX_QUADRATIC_CID_CHARS)
      assert.deepEqual(describeValue(`/ipfs/${text}`), {}, `${base.name}: shown as its value only`)
    }
    // base32 and base64url decode in linear time: no bound
    assert.deepEqual(describeValue(`/ipfs/${long.toString()}`), { text: 'x'.repeat(2000) })
  })
})
