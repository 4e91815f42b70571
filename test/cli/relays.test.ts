/**
 * Receiver-chosen relays, with real `ipts` processes over 127.0.0.1: Bob names two relays out of
 * four; Alice, who knows only a bootstrap peer, gets custody on Bob's two; Bob changes his list
 * and the next message follows it; lists signed by anyone else are refused by relays and clients.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { generateKeyPair, publicKeyToProtobuf } from '@libp2p/crypto/keys'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { createIPNSRecord, marshalIPNSRecord } from 'ipns'
import { relayListToValue } from '../../src/client/relay-list.ts'
import { putRecord, queryRecord } from '../../src/client/relay-rpc.ts'
import { createNode } from '../../src/node.ts'
import { RelayResponse } from '../../src/pb/relay.ts'
import { nameRoutingKey, tagRoutingKey } from '../../src/record/index.ts'
import { peerIdOf, runCli, spawnRelay, tempDir } from '../utils/cli.ts'
import type { CliRelay } from '../utils/cli.ts'
import type { IptsNode } from '../../src/node.ts'

describe('receiver-chosen relays, with real processes', () => {
  let dir: { path: string, cleanup(): Promise<void> }
  let relays: CliRelay[]
  let node: IptsNode
  let fake: IptsNode | undefined
  const repo = (name: string): string => `${dir.path}/${name}`
  const cli = async (args: string[]): Promise<Awaited<ReturnType<typeof runCli>>> => {
    const result = await runCli([...args, '--json'])
    assert.equal(result.code, 0, `ipts ${args.join(' ')}: ${result.stderr}`)
    return result
  }
  /** Which of the four relays hold a record of `signer` for `tag`. */
  const holders = async (tag: string, signer: string): Promise<number[]> => {
    const key = tagRoutingKey(peerIdFromString(tag).toMultihash().bytes)
    const out: number[] = []
    for (const [i, relay] of relays.entries()) {
      const answer = await queryRecord(node, multiaddr(relay.addr), key, peerIdFromString(signer).toMultihash().bytes)
      if (answer.status === RelayResponse.Status.OK) out.push(i)
    }
    return out
  }

  before(async () => {
    dir = await tempDir()
    relays = await Promise.all([0, 1, 2, 3].map(async i => spawnRelay(repo(`relay${i}`))))
    node = await createNode({ listen: [] })
  })

  after(async () => {
    await fake?.stop()
    await node?.stop()
    await Promise.all(relays?.map(async r => r.stop()) ?? [])
    await dir?.cleanup()
  })

  it('custody lands on the relays Bob chose, and follows his list when he changes it; Bob, knowing one other relay, reads from his chosen ones', async () => {
    const [alice, bob] = await Promise.all([peerIdOf(repo('alice')), peerIdOf(repo('bob'))])
    const [r0, r1, r2, r3] = relays

    // Bob knows relay 0, and chooses relays 2 and 3
    const set = await cli(['relays', 'set', r2.addr, r3.addr, '--repo', repo('bob'), '--relay', r0.addr])
    assert.equal(set.json[0].seq, '1')
    assert.deepEqual(set.json[0].relays, [r2.addr, r3.addr])
    assert.equal(set.json[0].min, 2)
    const shown = await cli(['relays', 'show', bob, '--repo', repo('alice'), '--bootstrap', r0.addr])
    assert.deepEqual([shown.json[0].seq, shown.json[0].min, shown.json[0].relays], ['1', 2, [r2.addr, r3.addr]])
    // kept for a replay below: the list record as relay 0 serves it (libp2p fetch, as IPNS resolvers ask)
    const key = nameRoutingKey(peerIdFromString(bob).toMultihash().bytes)
    await node.dial(multiaddr(r0.addr))
    const firstList = await node.services.fetch.fetch(peerIdFromString(r0.peerId), key)
    assert.ok(firstList != null)

    // Alice knows only relay 0, as a bootstrap peer
    const first = await cli(['send', bob, 'to your chosen relays', '--repo', repo('alice'), '--bootstrap', r0.addr])
    assert.deepEqual(new Set(first.json[0].relays), new Set([r2.peerId, r3.peerId]))
    assert.deepEqual(await holders(bob, alice), [2, 3], 'custody on Bob\'s two, nowhere else')

    // Bob changes his list; the next message follows it
    const changed = await cli(['relays', 'set', r1.addr, r2.addr, '--repo', repo('bob'), '--relay', r0.addr])
    assert.equal(changed.json[0].seq, '2')
    const second = await cli(['send', bob, 'to the new list', '--repo', repo('alice'), '--bootstrap', r0.addr])
    assert.deepEqual(new Set(second.json[0].relays), new Set([r1.peerId, r2.peerId]))
    assert.deepEqual(await holders(bob, alice), [1, 2, 3])

    // Bob, knowing relay 0 only, drains his chosen relays
    const inbox = await cli(['inbox', '--repo', repo('bob'), '--relay', r0.addr])
    assert.deepEqual(inbox.json.map(m => [m.seq, m.text]), [['1', 'to your chosen relays'], ['2', 'to the new list']])

    // the first list replayed: relays keep the later one (a list is replaced only by a higher sequence)
    for (const relay of [r0, r1, r2]) {
      const answer = await putRecord(node, multiaddr(relay.addr), key, firstList)
      assert.equal(answer.status, RelayResponse.Status.OK)
      assert.equal(answer.sequence, 2n, 'the relay still holds list 2')
    }
    const after = await cli(['relays', 'show', '--repo', repo('bob'), '--relay', r0.addr])
    assert.deepEqual([after.json[0].seq, after.json[0].relays], ['2', [r1.addr, r2.addr]])
  })

  it('a relay list signed by Carol for Bob is refused by every relay, and by clients when a peer serves it', async () => {
    const bob = await peerIdOf(repo('bob2'))
    const alice = await peerIdOf(repo('alice2'))
    const [r0, r1, r2, r3] = relays
    await cli(['relays', 'set', r2.addr, r3.addr, '--repo', repo('bob2'), '--relay', r0.addr])
    const key = nameRoutingKey(peerIdFromString(bob).toMultihash().bytes)

    // Carol's list for Bob's name, made with the ipns package: naming relay 1 only, at a high sequence
    const carol = await generateKeyPair('Ed25519')
    const forged = await createIPNSRecord(carol, relayListToValue({ relays: [r1.addr], min: 1 }), 1000n, 3_600_000, { v1Compatible: false })
    const withoutKey = marshalIPNSRecord(forged)
    const withKey = marshalIPNSRecord({ ...forged, pubKey: publicKeyToProtobuf(carol.publicKey) })
    for (const relay of relays) {
      for (const [bytes, error] of [[withoutKey, 'BadSignatureError'], [withKey, 'KeyMismatchError']] as const) {
        const answer = await putRecord(node, multiaddr(relay.addr), key, bytes)
        assert.equal(answer.status, RelayResponse.Status.REFUSED, relay.addr)
        assert.equal(answer.error, error)
      }
    }
    const shown = await cli(['relays', 'show', bob, '--repo', repo('alice2'), '--relay', r0.addr])
    assert.deepEqual(shown.json[0].relays, [r2.addr, r3.addr])

    // a peer that answers fetch with Carol's list: Alice's client refuses it and follows Bob's
    fake = await createNode({ listen: ['/ip4/127.0.0.1/tcp/0'] })
    fake.services.fetch.registerLookupFunction('/ipns/', async () => withKey)
    const fakeAddr = fake.getMultiaddrs()[0].toString()
    const sent = await cli(['send', bob, 'past the forgery', '--repo', repo('alice2'), '--relay', fakeAddr, '--relay', r0.addr])
    assert.deepEqual(new Set(sent.json[0].relays), new Set([r2.peerId, r3.peerId]))
    assert.deepEqual(await holders(bob, alice), [2, 3])
  })
})
