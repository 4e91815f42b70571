/**
 * `ipts inbox --timeout` (issue 9, item 7): a relay that never ends a drain cannot keep the
 * receiver waiting forever. Stand-ins for hostile relays are real libp2p nodes that speak the
 * relay protocol: one reads the INBOX request and never answers, one sends empty pages forever.
 * The receiver gives each up at the deadline, keeps what honest relays delivered, and exits.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { pbStream } from '@libp2p/utils'
import { createClient } from '../../src/client/index.ts'
import { createNode } from '../../src/node.ts'
import { RelayRequest, RelayResponse } from '../../src/pb/relay.ts'
import { RELAY_PROTOCOL } from '../../src/relay/protocol.ts'
import { peerIdOf, runCli, spawnRelay, tempDir } from '../utils/cli.ts'
import { key } from '../utils/network.ts'
import type { CliRelay } from '../utils/cli.ts'
import type { IptsNode } from '../../src/node.ts'

/** A node that answers INBOX requests the hostile way `mode` names. */
async function hostileRelay (mode: 'silent' | 'endless'): Promise<{ node: IptsNode, addr: string }> {
  const node = await createNode()
  await node.handle(RELAY_PROTOCOL, async (stream) => {
    const pb = pbStream(stream)
    try {
      await pb.read(RelayRequest)
      if (mode === 'silent') return // keeps the stream open, says nothing
      for (let page = 0; stream.status === 'open'; page++) {
        await pb.write({ status: RelayResponse.Status.OK, records: [], cursor: new Uint8Array([page & 0xff]), done: false }, RelayResponse)
        await new Promise(resolve => setTimeout(resolve, 50))
      }
    } catch {
      // the receiver gave up
    }
  })
  return { node, addr: node.getMultiaddrs()[0].toString() }
}

describe('ipts inbox --timeout against relays that never end a drain', () => {
  let dir: { path: string, cleanup(): Promise<void> }
  let relay: CliRelay
  const hostile: IptsNode[] = []
  let silent: string
  let endless: string
  let bob: string

  before(async () => {
    dir = await tempDir()
    relay = await spawnRelay(`${dir.path}/relay`)
    for (const mode of ['silent', 'endless'] as const) {
      const h = await hostileRelay(mode)
      hostile.push(h.node)
      if (mode === 'silent') silent = h.addr
      else endless = h.addr
    }
    bob = await peerIdOf(`${dir.path}/bob`)
    const alice = await createClient({ privateKey: await key(), relays: [relay.addr] })
    try {
      await alice.send(bob, { text: 'from an honest relay' }, { minRelays: 1 })
    } finally {
      await alice.stop()
    }
  })
  after(async () => {
    await Promise.allSettled(hostile.map(async n => n.stop()))
    await relay?.stop()
    await dir?.cleanup()
  })

  for (const mode of ['silent', 'endless'] as const) {
    it(`only ${mode === 'silent' ? 'a silent' : 'an endless'} relay: exits 1 at the deadline, naming it`, async () => {
      const result = await runCli(['inbox', '--repo', `${dir.path}/bob`, '--relay', mode === 'silent' ? silent : endless, '--timeout', '2s'])
      assert.equal(result.code, 1, `exit ${String(result.code)} ${String(result.signal)}: ${result.stderr}`)
      assert.match(result.stderr, /the drain did not end within 2 s/)
      assert.match(result.stderr, /ipts: no relay could be drained/)
    })
  }

  it('an honest relay and both hostile ones: the message is printed, the command exits 0 at the deadline', async () => {
    const result = await runCli(['inbox', '--json', '--repo', `${dir.path}/bob`, '--relay', relay.addr, '--relay', silent, '--relay', endless, '--timeout', '2s'])
    assert.equal(result.code, 0, result.stderr)
    assert.deepEqual(result.json.map(m => m.text), ['from an honest relay'])
    assert.equal(result.stderr.match(/the drain did not end within 2 s/g)?.length, 2, result.stderr)
  })

  it('ipts receipts gives up on a silent relay at its deadline too', async () => {
    const result = await runCli(['receipts', '--repo', `${dir.path}/bob`, '--relay', silent, '--timeout', '2s'])
    assert.equal(result.code, 1, result.stderr)
    assert.match(result.stderr, /the drain did not end within 2 s/)
  })

  it('--timeout takes a duration', async () => {
    const result = await runCli(['inbox', '--repo', `${dir.path}/bob`, '--relay', relay.addr, '--timeout', 'soon'])
    assert.equal(result.code, 1)
    assert.match(result.stderr, /--timeout "soon" is not a duration/)
  })
})
