/**
 * A sender who lost its state (`<repo>/client/state.json` deleted, identity kept) writes again,
 * with real `ipts` processes over 127.0.0.1.
 */
import assert from 'node:assert/strict'
import { rm } from 'node:fs/promises'
import { after, before, describe, it } from 'node:test'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { inboxPages, putRecord, queryRecord } from '../../src/client/relay-rpc.ts'
import { createNode } from '../../src/node.ts'
import { RelayResponse } from '../../src/pb/relay.ts'
import { tagRoutingKey } from '../../src/record/index.ts'
import { peerIdOf, relayFlags, runCli, spawnRelay, tempDir } from '../utils/cli.ts'
import type { CliRelay } from '../utils/cli.ts'
import type { IptsNode } from '../../src/node.ts'

const NOTE = /state was behind the relays/g

describe('a sender who lost its state writes again, with real processes', { concurrency: true }, () => {
  let dir: { path: string, cleanup(): Promise<void> }
  let relays: CliRelay[]
  let node: IptsNode
  const repo = (name: string): string => `${dir.path}/${name}`
  const forget = async (name: string): Promise<void> => { await rm(`${repo(name)}/client`, { recursive: true }) }
  const send = async (from: string, to: string, text: string): Promise<Awaited<ReturnType<typeof runCli>>> => {
    const result = await runCli(['send', to, text, '--json', '--repo', repo(from), ...relayFlags(relays)])
    assert.equal(result.code, 0, result.stderr)
    return result
  }
  const inbox = async (name: string, ack = false): Promise<Array<[string, string]>> => {
    const result = await runCli(['inbox', ...(ack ? ['--ack'] : []), '--json', '--repo', repo(name), ...relayFlags(relays)])
    assert.equal(result.code, 0, result.stderr)
    return result.json.map(m => [m.seq, m.text])
  }

  before(async () => {
    dir = await tempDir()
    relays = await Promise.all([spawnRelay(repo('relay1')), spawnRelay(repo('relay2'))])
    node = await createNode({ listen: [] })
  })

  after(async () => {
    await node?.stop()
    await Promise.all(relays?.map(async r => r.stop()) ?? [])
    await dir?.cleanup()
  })

  it('Alice deletes her state after Bob acknowledged; her next message is numbered above his acknowledgement and reaches him once', async () => {
    const bob = await peerIdOf(repo('bob'))
    const alice = await peerIdOf(repo('alice'))
    assert.equal((await send('alice', bob, 'first')).json[0].seq, '1')
    assert.deepEqual(await inbox('bob', true), [['1', 'first']])

    // the relays refuse sequence 1 now, and say why with the sequence acknowledged
    const key = tagRoutingKey(peerIdFromString(bob).toMultihash().bytes)
    const signer = peerIdFromString(alice).toMultihash().bytes
    for (const relay of relays) {
      const answer = await queryRecord(node, multiaddr(relay.addr), key, signer)
      assert.equal(answer.status, RelayResponse.Status.NOT_FOUND)
      assert.equal(answer.acked, 1n)
    }

    await forget('alice')
    const sent = await send('alice', bob, 'second, from a new machine')
    assert.equal(sent.json[0].seq, '2')
    assert.deepEqual(sent.json[0].renumbered, { acked: '1', carried: false })
    assert.equal(sent.stderr.match(NOTE)?.length, 1, `said once: ${sent.stderr}`)

    assert.deepEqual(await inbox('bob', true), [['2', 'second, from a new machine']])
    assert.deepEqual(await inbox('bob'), [], 'nothing prints twice')
    // and Alice, with her new state, goes on as usual
    const third = await send('alice', bob, 'third')
    assert.equal(third.json[0].seq, '3')
    assert.equal(third.json[0].renumbered, undefined)
    assert.doesNotMatch(third.stderr, NOTE)
    assert.deepEqual(await inbox('bob'), [['3', 'third']])
  })

  it('Alice forgets messages Bob has not read (twice); each later record carries them and Bob reads every message once', async () => {
    const bob = await peerIdOf(repo('bob2'))
    await send('alice2', bob, 'unread one')
    await send('alice2', bob, 'unread two')
    await forget('alice2')
    const third = await send('alice2', bob, 'three')
    assert.equal(third.json[0].seq, '3')
    assert.deepEqual(third.json[0].renumbered, { held: '2', carried: true })
    assert.equal(third.stderr.match(NOTE)?.length, 1)
    // lost again before Bob read anything: record 3, which carries record 2, is carried in turn
    await forget('alice2')
    const fourth = await send('alice2', bob, 'four')
    assert.equal(fourth.json[0].seq, '4')
    assert.deepEqual(fourth.json[0].renumbered, { held: '3', carried: true })

    assert.deepEqual(await inbox('bob2', true), [['1', 'unread one'], ['2', 'unread two'], ['3', 'three'], ['4', 'four']])
    assert.deepEqual(await inbox('bob2'), [])
    // the receipt for record 4 covers what Alice carried: her next record is small again
    const receipts = await runCli(['receipts', '--json', '--repo', repo('alice2'), ...relayFlags(relays)])
    assert.deepEqual(receipts.json.map(r => r.seq), ['4'])
    await send('alice2', bob, 'five')
    const held: Uint8Array[] = []
    for await (const page of inboxPages(node, multiaddr(relays[0].addr), tagRoutingKey(peerIdFromString(bob).toMultihash().bytes))) held.push(...page)
    assert.equal(held.length, 1)
    assert.ok(held[0].byteLength < 1000, `record 5 carries nothing old (${held[0].byteLength} bytes)`)
    assert.deepEqual(await inbox('bob2'), [['5', 'five']])
  })

  it('a relay\'s PUT refusal of an acknowledged sequence carries that sequence', async () => {
    const bob = await peerIdOf(repo('bob3'))
    await send('alice3', bob, 'once')
    const key = tagRoutingKey(peerIdFromString(bob).toMultihash().bytes)
    const held: Uint8Array[] = []
    for await (const page of inboxPages(node, multiaddr(relays[1].addr), key)) held.push(...page)
    assert.deepEqual(await inbox('bob3', true), [['1', 'once']])
    for (const relay of relays) {
      const answer = await putRecord(node, multiaddr(relay.addr), key, held[0])
      assert.equal(answer.status, RelayResponse.Status.REFUSED)
      assert.equal(answer.error, 'tombstoned')
      assert.equal(answer.acked, 1n)
    }
  })
})
