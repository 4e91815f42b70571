/**
 * Delivery through real `ipts` processes over 127.0.0.1: relays are `ipts relay` children,
 * senders and receivers are `ipts send` / `ipts inbox` runs that start, do their job and exit.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { inboxPages } from '../../src/client/relay-rpc.ts'
import { createNode } from '../../src/node.ts'
import { tagRoutingKey } from '../../src/record/index.ts'
import { peerIdOf, relayFlags, runCli, spawnRelay, tempDir } from '../utils/cli.ts'
import type { CliRelay } from '../utils/cli.ts'

describe('delivery through relays, with real processes', { concurrency: true }, () => {
  let dir: { path: string, cleanup(): Promise<void> }
  let relays: CliRelay[]
  const repo = (name: string): string => `${dir.path}/${name}`

  before(async () => {
    dir = await tempDir()
    relays = await Promise.all([spawnRelay(repo('relay1')), spawnRelay(repo('relay2'))])
  })

  after(async () => {
    await Promise.all(relays?.map(async r => r.stop()) ?? [])
    await dir?.cleanup()
  })

  it('Alice sends TEXT to Bob and exits after custody; Bob, online later, reads TEXT; the relay only ever sees ciphertext', async () => {
    const text = `the secret word is ${'swordfish-'.repeat(3)}`
    const bob = await peerIdOf(repo('bob'))
    const sent = await runCli(['send', bob, text, '--json', '--repo', repo('alice'), ...relayFlags(relays)])
    assert.equal(sent.code, 0, sent.stderr)
    assert.equal(sent.json.length, 1, 'one JSON line on stdout')
    const result = sent.json[0]
    assert.equal(result.event, 'sent')
    assert.equal(result.to, bob)
    assert.equal(result.seq, '1')
    assert.match(result.value, /^\/ipfs\//)
    assert.deepEqual([...result.relays].sort(), relays.map(r => r.peerId).sort(), 'both relays confirmed custody (the default when 2 are reachable)')

    // what a relay serves for Bob's tag holds no trace of the text
    const node = await createNode({ listen: [] })
    try {
      const key = tagRoutingKey(peerIdFromString(bob).toMultihash().bytes)
      const records: Uint8Array[] = []
      for await (const page of inboxPages(node, multiaddr(relays[0].addr), key)) records.push(...page)
      assert.equal(records.length, 1)
      const wire = Buffer.concat(records)
      assert.equal(wire.includes(Buffer.from(text)), false, 'plaintext on the wire')
      assert.equal(wire.includes(Buffer.from('swordfish')), false, 'part of the plaintext on the wire')
    } finally {
      await node.stop()
    }

    const inbox = await runCli(['inbox', '--json', '--repo', repo('bob'), ...relayFlags(relays)])
    assert.equal(inbox.code, 0, inbox.stderr)
    assert.equal(inbox.json.length, 1, 'the message is printed once although both relays hold it')
    const message = inbox.json[0]
    assert.equal(message.text, text)
    assert.equal(message.seq, '1')
    assert.equal(message.from, await peerIdOf(repo('alice')))
    assert.equal(message.value, result.value)
    assert.equal(message.encrypted, true)
    assert.ok(Number.isFinite(Date.parse(message.expires)))
  })

  it('three messages from Alice while Bob is offline all arrive, numbered 1, 2, 3', async () => {
    const bob = await peerIdOf(repo('bob3'))
    for (const text of ['one', 'two', 'three']) {
      const sent = await runCli(['send', bob, text, '--json', '--repo', repo('alice3'), ...relayFlags(relays)])
      assert.equal(sent.code, 0, sent.stderr)
    }
    const inbox = await runCli(['inbox', '--json', '--repo', repo('bob3'), ...relayFlags(relays)])
    assert.equal(inbox.code, 0, inbox.stderr)
    assert.deepEqual(inbox.json.map(m => [m.seq, m.text]), [['1', 'one'], ['2', 'two'], ['3', 'three']])
  })

  it('two senders write to Carol at the same time; both messages arrive', async () => {
    const carol = await peerIdOf(repo('carol'))
    const [fromDave, fromErin] = await Promise.all([
      runCli(['send', carol, 'from dave', '--json', '--repo', repo('dave'), ...relayFlags(relays)]),
      runCli(['send', carol, 'from erin', '--json', '--repo', repo('erin'), ...relayFlags(relays)])
    ])
    assert.equal(fromDave.code, 0, fromDave.stderr)
    assert.equal(fromErin.code, 0, fromErin.stderr)
    const inbox = await runCli(['inbox', '--json', '--repo', repo('carol'), ...relayFlags(relays)])
    assert.equal(inbox.code, 0, inbox.stderr)
    assert.deepEqual(inbox.json.map(m => m.text).sort(), ['from dave', 'from erin'])
  })

  it('a file and a CID travel too; --no-encrypt leaves the text readable on the wire', async () => {
    const frank = await peerIdOf(repo('frank'))
    const { writeFile } = await import('node:fs/promises')
    const file = `${dir.path}/note.txt`
    await writeFile(file, 'file contents\n')
    const cid = 'bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy'
    const sends = await Promise.all([
      runCli(['send', frank, '--file', file, '--json', '--repo', repo('gina'), ...relayFlags(relays)]),
      runCli(['send', frank, 'see this', '--cid', cid, '--json', '--repo', repo('hank'), ...relayFlags(relays)]),
      runCli(['send', frank, 'in the clear', '--no-encrypt', '--json', '--repo', repo('ivan'), ...relayFlags(relays)])
    ])
    for (const s of sends) assert.equal(s.code, 0, s.stderr)
    const inbox = await runCli(['inbox', '--json', '--repo', repo('frank'), ...relayFlags(relays)])
    assert.equal(inbox.code, 0, inbox.stderr)
    const byText = new Map(inbox.json.map(m => [m.text ?? m.name, m]))
    assert.equal(Buffer.from(byText.get('note.txt')?.data, 'base64').toString(), 'file contents\n')
    assert.equal(byText.get('see this')?.cid, cid)
    assert.equal(byText.get('in the clear')?.encrypted, false)
  })

  it('given only --bootstrap, sender and receiver find the relay among their bootstrap peers', async () => {
    const judy = await peerIdOf(repo('judy'))
    const sent = await runCli(['send', judy, 'found you', '--json', '--repo', repo('kim'), '--bootstrap', relays[1].addr])
    assert.equal(sent.code, 0, sent.stderr)
    assert.deepEqual(sent.json[0].relays, [relays[1].peerId])
    const inbox = await runCli(['inbox', '--json', '--repo', repo('judy'), '--bootstrap', relays[1].addr])
    assert.equal(inbox.code, 0, inbox.stderr)
    assert.deepEqual(inbox.json.map(m => m.text), ['found you'])
  })
})
