/**
 * What the user gets wrong, and what the network does not give: one line on stderr, non-zero
 * exit, nothing on stdout.
 */
import assert from 'node:assert/strict'
import { chmod, stat, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { after, before, describe, it } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { peerIdOf, runCli, tempDir } from '../utils/cli.ts'
import type { RunResult } from '../../src/cli/spawn.ts'

/** Exit non-zero with exactly one line on stderr matching `pattern`, and nothing on stdout. */
function assertOneLineError (result: RunResult, pattern: RegExp): void {
  assert.notEqual(result.code, 0, `expected a failure; stdout: ${result.lines.join('\n')}`)
  assert.notEqual(result.code, null, 'killed, not exited: it waited too long')
  const lines = result.stderr.trim().split('\n')
  assert.equal(lines.length, 1, `one line on stderr, got:\n${result.stderr}`)
  assert.match(lines[0], pattern)
  assert.deepEqual(result.lines.filter(l => l !== ''), [], 'nothing on stdout')
}

/** A 127.0.0.1 port nobody listens on (bound, then released). */
async function closedPort (): Promise<number> {
  const server = createServer()
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise<void>(resolve => server.close(() => { resolve() }))
  return port
}

describe('errors are one line and a non-zero exit', { concurrency: true }, () => {
  let dir: { path: string, cleanup(): Promise<void> }
  let bob: string
  const repo = (name: string): string => `${dir.path}/${name}`

  before(async () => {
    dir = await tempDir()
    bob = await peerIdOf(repo('bob'))
  })

  after(async () => {
    await dir?.cleanup()
  })

  it('send with no relay configured says how to give one', async () => {
    assertOneLineError(await runCli(['send', bob, 'hi', '--repo', repo('alice')]), /^ipts: no relay configured: pass --relay/)
  })

  it('send with no reachable relay fails at once, not at its timeout', async () => {
    const nobody = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
    const addr = `/ip4/127.0.0.1/tcp/${await closedPort()}/p2p/${nobody}`
    // a 10-minute custody timeout: runCli kills it long before, so exiting by itself proves it did not wait
    const result = await runCli(['send', bob, 'hi', '--repo', repo('alice'), '--relay', addr, '--timeout', '10m'])
    assertOneLineError(result, /^ipts: no relay reachable \(tried \/ip4\/127\.0\.0\.1\//)
  })

  it('inbox with no reachable relay fails too', async () => {
    const nobody = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
    const addr = `/ip4/127.0.0.1/tcp/${await closedPort()}/p2p/${nobody}`
    assertOneLineError(await runCli(['inbox', '--repo', repo('bob'), '--relay', addr]), /^ipts: no relay reachable/)
  })

  it('a bad peer ID is refused before anything else', async () => {
    assertOneLineError(await runCli(['send', 'not-a-peer-id', 'hi', '--repo', repo('alice')]), /^ipts: "not-a-peer-id" is not a peer ID$/)
  })

  it('a missing file is named', async () => {
    assertOneLineError(await runCli(['send', bob, '--file', repo('nope.txt'), '--repo', repo('alice')]), /^ipts: cannot read .*nope\.txt: no such file$/)
  })

  it('a file too large to travel inline is refused, with the way out', async () => {
    const big = repo('big.bin')
    await writeFile(big, new Uint8Array(64 * 1024))
    assertOneLineError(await runCli(['send', bob, '--file', big, '--repo', repo('alice')]), /^ipts: .*big\.bin is 65536 bytes; at most about \d+ bytes travel inline: .*--cid$/)
  })

  it('a text too large to travel inline is refused', async () => {
    const result = await runCli(['send', bob, 'x'.repeat(20_000), '--repo', repo('alice'), '--relay', `/ip4/127.0.0.1/tcp/${await closedPort()}/p2p/${bob}`])
    assertOneLineError(result, /^ipts: message is 20000 bytes; at most about \d+ bytes travel inline/)
  })

  it('bad settings are named', async () => {
    assertOneLineError(await runCli(['send', bob, 'hi', '--lifetime', '5', '--repo', repo('alice')]), /^ipts: --lifetime "5" is not a duration/)
    assertOneLineError(await runCli(['send', bob, 'hi', '--min-relays', '0', '--repo', repo('alice')]), /^ipts: --min-relays "0" must be a whole number of at least 1$/)
    assertOneLineError(await runCli(['send', bob, 'hi', '--relay', '/ip4/127.0.0.1/tcp/1', '--repo', repo('alice')]), /lacks \/p2p\/<peer ID>/)
    assertOneLineError(await runCli(['send', bob, '--file', 'a', '--cid', 'b', '--repo', repo('alice')]), /cannot be used with option/)
    assertOneLineError(await runCli(['send', bob, '--repo', repo('alice')]), /^ipts: nothing to send/)
  })

  it('id creates a key only its owner can read, and refuses one others can read or a corrupt one', async () => {
    const first = await runCli(['id', '--json', '--repo', repo('dana')])
    assert.equal(first.code, 0, first.stderr)
    assert.match(first.json[0].peerId, /^12D3KooW/)
    const again = await runCli(['id', '--json', '--repo', repo('dana')])
    assert.equal(again.json[0].peerId, first.json[0].peerId, 'the same identity on every run')
    const keyFile = `${repo('dana')}/identity.key`
    assert.equal((await stat(keyFile)).mode & 0o777, 0o600)

    await chmod(keyFile, 0o644)
    assertOneLineError(await runCli(['id', '--repo', repo('dana')]), /mode 0644: it must be readable by its owner only/)

    const eve = repo('eve')
    await runCli(['id', '--repo', eve])
    await writeFile(`${eve}/identity.key`, 'not a key', { mode: 0o600 })
    assertOneLineError(await runCli(['id', '--repo', eve]), /does not hold a private key/)
  })
})
