/**
 * Terminal injection (issue 9, item 7): what a sender chose (text, file name) or a name's owner
 * published (an IPNS value) cannot forge a line or drive the receiver's terminal. Human output of
 * a real `ipts inbox` / `ipts resolve` process shows control and bidi characters escaped, one
 * message per line; `--json` output carries the exact text.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { createClient } from '../../src/client/index.ts'
import { putRecord } from '../../src/client/relay-rpc.ts'
import { printable } from '../../src/cli/output.ts'
import { createNode } from '../../src/node.ts'
import { RelayResponse } from '../../src/pb/relay.ts'
import { createPlainRecord, nameRoutingKey } from '../../src/record/index.ts'
import { assertClientDelivery, assertHealthy, spawnAttackedRelay } from '../utils/attack.ts'
import { peerIdOf, runCli, tempDir } from '../utils/cli.ts'
import type { AttackedRelay } from '../utils/attack.ts'

/** A forged second line claiming another sender, an OSC title + clear-screen sequence, RLO, LS. */
const HOSTILE = 'hi Bob\n12D3KooWForgedSenderForgedSenderForgedSender #7 2020-01-01T00:00:00.000Z: send me your key' +
  '\x1b]0;pwned\x07\x1b[2J\r\u202egpj.exe\u2028tail\x9b31m\u2066'
/** Nothing a terminal acts on: no C0/C1 control, no bidi control, no line separator. */
const RAW = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/

describe('terminal injection', () => {
  let dir: { path: string, cleanup(): Promise<void> }
  let relay: AttackedRelay

  before(async () => {
    dir = await tempDir()
    relay = await spawnAttackedRelay(`${dir.path}/relay`)
  })
  after(async () => {
    await relay?.stop()
    await dir?.cleanup()
  })

  it('printable: every control and bidi character escaped, ordinary text (any script) kept', () => {
    assert.equal(printable('a\nb\r\tc\x1b[0m\u202e\u0000'), 'a\\nb\\r\\tc\\u001b[0m\\u202e\\u0000')
    assert.equal(printable('Grüße, 你好, שלום, 👋'), 'Grüße, 你好, שלום, 👋')
    assert.doesNotMatch(printable(HOSTILE), RAW)
    assert.doesNotMatch(printable(HOSTILE), /\n/)
  })

  it('a sender\'s text and file name with newlines and escape sequences: one escaped line in `ipts inbox`, exact in --json', async () => {
    const bob = await peerIdOf(`${dir.path}/bob`)
    const alice = await createClient({ privateKey: await generateKeyPair('Ed25519'), relays: [relay.addr] })
    try {
      await alice.send(bob, { text: HOSTILE }, { minRelays: 1 })
      await alice.send(bob, { file: { name: `notes${HOSTILE}.txt`, data: new Uint8Array([1, 2, 3]) } }, { minRelays: 1 })
    } finally {
      await alice.stop()
    }

    const human = await runCli(['inbox', '--repo', `${dir.path}/bob`, '--relay', relay.addr])
    assert.equal(human.code, 0, human.stderr)
    // two messages, two lines: the forged "12D3KooWForged..." line is part of the first, escaped
    assert.equal(human.lines.filter(l => l !== '').length, 2, human.lines.join('\n'))
    assert.ok(human.lines.every(line => !RAW.test(line)), 'a control or bidi character reached stdout')
    assert.ok(!RAW.test(human.stderr), 'a control or bidi character reached stderr')
    const [text, file] = human.lines
    assert.ok(text.includes('hi Bob\\n12D3KooWForgedSender'), text)
    assert.ok(text.includes('\\u001b]0;pwned\\u0007\\u001b[2J\\r\\u202egpj.exe\\u2028tail\\u009b31m\\u2066'), text)
    assert.ok(file.includes(`[file notes${printable(HOSTILE)}.txt, 3 bytes]`), file)

    const json = await runCli(['inbox', '--json', '--repo', `${dir.path}/bob`, '--relay', relay.addr])
    assert.equal(json.code, 0, json.stderr)
    assert.equal(json.json.length, 2)
    assert.equal(json.json[0].text, HOSTILE)
    assert.equal(json.json[1].name, `notes${HOSTILE}.txt`)
  })

  it('an IPNS value with escape sequences: escaped by `ipts resolve`, exact in --json', async () => {
    const key = await generateKeyPair('Ed25519')
    const name = peerIdFromPrivateKey(key)
    const value = `/ipfs/bafkqaaa\n${HOSTILE}`
    const node = await createNode({ listen: [] })
    try {
      const record = await createPlainRecord(key, { value, sequence: 1n, now: Date.now() })
      const answer = await putRecord(node, multiaddr(relay.addr), nameRoutingKey(name.toMultihash().bytes), record.bytes)
      assert.equal(answer.status, RelayResponse.Status.OK, answer.error)
    } finally {
      await node.stop()
    }
    const human = await runCli(['resolve', name.toString(), '--repo', `${dir.path}/carol`, '--relay', relay.addr])
    assert.equal(human.code, 0, human.stderr)
    assert.deepEqual(human.lines.filter(l => l !== ''), [printable(value)])
    const json = await runCli(['resolve', name.toString(), '--json', '--repo', `${dir.path}/carol`, '--relay', relay.addr])
    assert.equal(json.json[0].value, value)
  })

  it('the relay that carried them stays healthy, and honest mail still flows', async () => {
    await assertHealthy(relay)
    await assertClientDelivery(relay.addr)
  })
})
