/**
 * Relays accept WebSockets as well as TCP when asked (`--listen .../ws`, the transport browsers
 * use), and clients dial either: a message sent and read over a relay's `/ws` address only.
 * Tested here on loopback `ws`; secure WebSockets behind a TLS terminator is not run here.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { CLI_TIMEOUT, peerIdOf, runCli, spawnRelay, tempDir } from '../utils/cli.ts'
import type { CliRelay } from '../utils/cli.ts'

describe('ipts relay over WebSockets', () => {
  let dir: { path: string, cleanup(): Promise<void> }
  let relay: CliRelay

  before(async () => {
    dir = await tempDir()
    relay = await spawnRelay(`${dir.path}/relay`, ['--listen', '/ip4/127.0.0.1/tcp/0/ws'])
  })
  after(async () => {
    await relay?.stop()
    await dir?.cleanup()
  })

  it('listens on a /ws address beside TCP, and a message goes through it both ways', async () => {
    const ws = relay.addrs.find(a => a.includes('/ws/'))
    assert.ok(ws != null, `a /ws address among ${relay.addrs.join(', ')}`)
    assert.match(ws, /^\/ip4\/127\.0\.0\.1\/tcp\/\d+\/ws\/p2p\//)
    assert.ok(relay.addrs.some(a => !a.includes('/ws')), 'TCP too')

    const bob = await peerIdOf(`${dir.path}/bob`)
    const sent = await runCli(['send', bob, 'over websockets', '--json', '--repo', `${dir.path}/alice`, '--relay', ws], { timeout: CLI_TIMEOUT })
    assert.equal(sent.code, 0, sent.stderr)
    assert.deepEqual(sent.json[0].relays, [relay.peerId])
    const inbox = await runCli(['inbox', '--json', '--repo', `${dir.path}/bob`, '--relay', ws], { timeout: CLI_TIMEOUT })
    assert.equal(inbox.code, 0, inbox.stderr)
    assert.equal(inbox.json[0].text, 'over websockets')
  })
})
