/**
 * Custody confirmations are not taken on a peer's word (issue 9, item 6). A sender counts a
 * confirmation only from a relay it was configured with (or found via the rendezvous), and only
 * when the answer carries the record the relay holds: our own bytes, or a later record we signed.
 * Liars are real libp2p nodes that speak the relay protocol and answer PUT with `OK` as told.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { pbStream } from '@libp2p/utils'
import { createClient } from '../../src/client/index.ts'
import { custodyProof, ensureCustody } from '../../src/client/custody.ts'
import { createNode } from '../../src/node.ts'
import { RelayRequest, RelayResponse } from '../../src/pb/relay.ts'
import { RecordValidator, createTaggedRecord } from '../../src/record/index.ts'
import { RELAY_PROTOCOL } from '../../src/relay/protocol.ts'
import { TestNetwork, addrOf, key, until } from '../utils/network.ts'
import type { IptsNode } from '../../src/node.ts'
import type { RelayHandle } from '../../src/relay/index.ts'
import type { PrivateKey } from '@libp2p/interface'

type Lie = (request: RelayRequest) => Promise<Partial<RelayResponse>>

/** A node that answers every PUT with `OK` plus whatever `lie` returns, and counts the PUTs. */
async function liar (lie: Lie): Promise<{ node: IptsNode, addr: string, puts: () => number }> {
  const node = await createNode()
  let puts = 0
  await node.handle(RELAY_PROTOCOL, async (stream) => {
    const pb = pbStream(stream)
    try {
      const request = await pb.read(RelayRequest)
      if (request.type === RelayRequest.Type.PUT) puts++
      await pb.write({ status: RelayResponse.Status.OK, records: [], done: true, ...(await lie(request)) }, RelayResponse)
      await stream.close()
    } catch {
      stream.abort(new Error('liar failed'))
    }
  })
  return { node, addr: `${node.getMultiaddrs()[0].toString()}`, puts: () => puts }
}

/** The sequence in a PUT's record (what an honest relay would hold). */
function sequenceOf (request: RelayRequest): bigint {
  return new RecordValidator().validate(request.record as Uint8Array, { now: Date.now() }).sequence
}

describe('custody trust', () => {
  const net = new TestNetwork()
  let relay: RelayHandle
  const liars: IptsNode[] = []
  const peer = async (): Promise<{ key: PrivateKey, id: string }> => {
    const k = await key()
    return { key: k, id: peerIdFromPrivateKey(k).toString() }
  }

  before(async () => { relay = await net.relay() })
  after(async () => {
    await Promise.allSettled(liars.map(async n => n.stop()))
    await net.stop()
  })

  it('a connected peer that announces the relay protocol but was never configured is not asked, and does not count', async () => {
    const l = await liar(async (request) => ({ sequence: sequenceOf(request) }))
    liars.push(l.node)
    const aliceKey = await key()
    const node = await createNode({ privateKey: aliceKey, listen: ['/ip4/127.0.0.1/tcp/0'] })
    try {
      // the stranger connects to Alice's node and identifies as a relay
      await l.node.dial(addrOf(node))
      await until(async () => (await node.peerStore.get(l.node.peerId).catch(() => undefined))?.protocols.includes(RELAY_PROTOCOL) === true, 10_000, 'identify')
      const alice = await createClient({ node, privateKey: aliceKey, relays: [addrOf(relay.node).toString()] })
      const sent = await alice.send((await peer()).id, { text: 'hi' })
      assert.deepEqual(sent.relays.map(String), [relay.node.peerId.toString()])
      assert.equal(l.puts(), 0, 'the stranger was asked for custody')
      await alice.stop()
    } finally {
      await node.stop()
    }
  })

  for (const [name, lie] of [
    ['no record, the right sequence', async (r: RelayRequest) => ({ sequence: sequenceOf(r) })],
    ['our bytes at another sequence', async (r: RelayRequest) => ({ sequence: sequenceOf(r) + 1n, records: [r.record as Uint8Array] })],
    ['another signer\'s record for the same receiver', async (r: RelayRequest) => {
      const mine = new RecordValidator().validate(r.record as Uint8Array, { now: Date.now() })
      const other = await createTaggedRecord(await key(), { tag: mine.tag as Uint8Array, value: '/ipfs/bafkqaaa', sequence: mine.sequence, now: Date.now() })
      return { sequence: mine.sequence, records: [other.bytes] }
    }],
    ['a far higher sequence, without proof (to make the sender renumber)', async () => ({ sequence: 1n << 60n })]
  ] as const) {
    it(`a configured relay that confirms with ${name} is refused: unproven`, async () => {
      const l = await liar(lie)
      liars.push(l.node)
      const alice = await createClient({ privateKey: await key(), relays: [addrOf(relay.node).toString(), l.addr] })
      const bob = (await peer()).id
      try {
        await assert.rejects(alice.send(bob, { text: 'one' }, { minRelays: 2 }), (err: Error) => {
          assert.equal(err.name, 'CustodyRefusedError')
          assert.match(err.message, /unproven confirmation/)
          return true
        })
        // with one confirmation needed, the honest relay's is the only one, and numbering is not moved
        const sent = await alice.send(bob, { text: 'two' }, { minRelays: 1 })
        assert.deepEqual(sent.relays.map(String), [relay.node.peerId.toString()])
        assert.ok(sent.seq < 10n, `message numbered ${sent.seq}`)
      } finally {
        await alice.stop()
      }
    })
  }

  it('one relay named twice counts once', async () => {
    const node = await createNode({ listen: [] })
    try {
      const k = await key()
      const record = await createTaggedRecord(k, { tag: peerIdFromPrivateKey(await key()).toMultihash().bytes, value: '/ipfs/bafkqaaa', sequence: 1n, now: Date.now() })
      await node.dial(addrOf(relay.node))
      await assert.rejects(ensureCustody(node, [relay.node.peerId, relay.node.peerId], record, { minRelays: 2, signal: AbortSignal.timeout(10_000) }),
        (err: Error) => err.name === 'CustodyRefusedError')
      const one = await ensureCustody(node, [relay.node.peerId, relay.node.peerId], record, { minRelays: 1, signal: AbortSignal.timeout(10_000) })
      assert.equal(one.confirmed.length, 1)
    } finally {
      await node.stop()
    }
  })

  it('custodyProof: our bytes at our sequence, or a later record we signed; nothing else', async () => {
    const alice = await key()
    const tag = peerIdFromPrivateKey(await key()).toMultihash().bytes
    const now = Date.now()
    const mine = await createTaggedRecord(alice, { tag, value: '/ipfs/bafkqaaa', sequence: 5n, now })
    const later = await createTaggedRecord(alice, { tag, value: '/ipfs/bafkqaaa', sequence: 9n, now })
    const earlier = await createTaggedRecord(alice, { tag, value: '/ipfs/bafkqaaa', sequence: 4n, now })
    const otherTag = await createTaggedRecord(alice, { tag: peerIdFromPrivateKey(await key()).toMultihash().bytes, value: '/ipfs/bafkqaaa', sequence: 9n, now })
    const v = new RecordValidator()
    const ok = (sequence: bigint | undefined, records: Uint8Array[]): RelayResponse => ({ status: RelayResponse.Status.OK, sequence, records, done: true })
    assert.equal(custodyProof(mine, ok(5n, [mine.bytes]), v, now).held, 5n)
    assert.equal(custodyProof(mine, ok(9n, [later.bytes]), v, now).held, 9n)
    for (const response of [ok(5n, []), ok(6n, [mine.bytes]), ok(8n, [later.bytes]), ok(4n, [earlier.bytes]), ok(9n, [otherTag.bytes]),
      ok(5n, [mine.bytes, later.bytes]), ok(9n, [later.bytes.slice(0, -1)])]) {
      assert.equal(custodyProof(mine, response, v, now).held, undefined, `${String(response.sequence)} with ${response.records.length} records`)
    }
  })
})
