/** The relay-list value: encoding, decoding, and what is refused. */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import * as dagCbor from '@ipld/dag-cbor'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { CID } from 'multiformats/cid'
import { identity } from 'multiformats/hashes/identity'
import { MAX_CHOSEN_RELAYS, relayListFromValue, relayListToValue } from '../../src/client/relay-list.ts'
import { createPlainRecord, nameRoutingKey, validateRecord } from '../../src/record/index.ts'

describe('relay list', async () => {
  const ids = await Promise.all(Array.from({ length: MAX_CHOSEN_RELAYS + 1 }, async () => peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()))
  const addr = (i: number): string => `/ip4/127.0.0.1/tcp/${4000 + i}/p2p/${ids[i]}`

  it('round-trips through a plain IPNS record of its owner, as an inline dag-cbor CID', async () => {
    const list = { relays: [addr(0), addr(1), addr(2)], min: 2 }
    const value = relayListToValue(list)
    assert.match(value, /^\/ipfs\/bafy/)
    assert.deepEqual(relayListFromValue(value), list)
    const bob = await generateKeyPair('Ed25519')
    const record = await createPlainRecord(bob, { value, sequence: 1n, now: Date.now() })
    const key = nameRoutingKey(peerIdFromPrivateKey(bob).toMultihash().bytes)
    assert.deepEqual(relayListFromValue(validateRecord(record.bytes, { now: Date.now(), routingKey: key }).value), list)
    // the most relays a list may name still fits a record
    const largest = relayListToValue({ relays: Array.from({ length: MAX_CHOSEN_RELAYS }, (_, i) => addr(i)), min: 1 })
    assert.ok((await createPlainRecord(bob, { value: largest, sequence: 2n, now: Date.now() })).bytes.byteLength < 10 * 1024)
  })

  it('refuses lists that are empty, too long, repeat a relay, lack /p2p/, or ask for more holders than relays', () => {
    const bad = [
      { relays: [], min: 1 },
      { relays: Array.from({ length: MAX_CHOSEN_RELAYS + 1 }, (_, i) => addr(i)), min: 1 },
      { relays: [addr(0), addr(0)], min: 1 },
      { relays: ['/ip4/127.0.0.1/tcp/4001'], min: 1 },
      { relays: ['not a multiaddr'], min: 1 },
      { relays: [addr(0)], min: 2 },
      { relays: [addr(0)], min: 0 }
    ]
    for (const list of bad) assert.throws(() => relayListToValue(list), { name: 'InvalidRelayListError' }, JSON.stringify(list))
  })

  it('refuses values that are not relay lists', () => {
    const block = (x: unknown): string => `/ipfs/${CID.createV1(0x71, identity.digest(dagCbor.encode(x))).toString()}`
    const bad = [
      '/ipns/k51qzi5uqu5dlvj2baxnqndepeb86cbk3ng7n3i46uzyxzyqj2xjonzllnv0v8',
      '/ipfs/bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy',
      block({ hello: 'world' }),
      block({ ipts: 'relays/2', n: 1, a: [addr(0)] }),
      block({ ipts: 'relays/1', n: '1', a: [addr(0)] }),
      block({ ipts: 'relays/1', n: 1, a: [1] })
    ]
    for (const value of bad) assert.throws(() => relayListFromValue(value), { name: 'InvalidRelayListError' }, value)
  })
})
