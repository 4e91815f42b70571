/**
 * `ipts relay` as a volunteer runs it: ready line, metrics and status pages, clean stop on
 * SIGTERM and SIGINT, and the records still there after a restart. `inbox --watch` against it.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { assertClientDelivery } from '../utils/attack.ts'
import { CLI_TIMEOUT, peerIdOf, runCli, spawnRelay, startCli, tempDir } from '../utils/cli.ts'

describe('ipts relay', { concurrency: true }, () => {
  let dir: { path: string, cleanup(): Promise<void> }
  const repo = (name: string): string => `${dir.path}/${name}`

  before(async () => { dir = await tempDir() })
  after(async () => { await dir?.cleanup() })

  it('prints its ready line, serves /metrics and /status, stops cleanly on SIGTERM and keeps its records across a restart', async () => {
    const relay = await spawnRelay(repo('relay'), ['--metrics', '127.0.0.1:0', '--max-records-per-key', '10'])
    let restarted
    try {
      assert.match(relay.peerId, /^12D3KooW/)
      assert.ok(relay.addrs.every(a => a.startsWith('/ip4/127.0.0.1/tcp/') && a.endsWith(`/p2p/${relay.peerId}`)))

      const bob = await peerIdOf(repo('bob'))
      const sent = await runCli(['send', bob, 'kept across restarts', '--json', '--repo', repo('alice'), '--relay', relay.addr])
      assert.equal(sent.code, 0, sent.stderr)

      const metrics = await (await fetch(`${relay.metrics as string}/metrics`)).text()
      assert.match(metrics, /^ipts_records_stored_total\{source="custody"\} 1$/m)
      assert.match(metrics, /^ipts_store_records 1$/m)
      const status = await (await fetch(`${relay.metrics as string}/status`)).json()
      assert.equal(status.peerId, relay.peerId)
      assert.equal(status.records, 1)

      // a clean stop is awaited on the exit, however long a loaded machine takes (stop() escalates
      // to SIGKILL after its grace, so the grace must not be what decides the exit code)
      const exit = await relay.proc.stop('SIGTERM', CLI_TIMEOUT)
      assert.equal(exit.code, 0, relay.proc.stderr)
      assert.match(relay.proc.stderr, /relay stopped/)

      restarted = await spawnRelay(repo('relay'))
      assert.equal(restarted.peerId, relay.peerId, 'same identity from the repo')
      const inbox = await runCli(['inbox', '--json', '--repo', repo('bob'), '--relay', restarted.addr])
      assert.equal(inbox.code, 0, inbox.stderr)
      assert.deepEqual(inbox.json.map(m => m.text), ['kept across restarts'])
    } finally {
      await relay.kill()
      await restarted?.kill()
    }
  })

  it('says when it runs alone, and stops with exit 0 on SIGINT', async () => {
    const relay = await spawnRelay(repo('alone'))
    const exit = await relay.proc.stop('SIGINT', CLI_TIMEOUT)
    assert.equal(exit.code, 0)
    assert.match(relay.proc.stderr, /running alone: no --bootstrap given/)
  })

  it('refuses a bad setting with one line', async () => {
    const result = await runCli(['relay', '--repo', repo('bad'), '--max-bytes', 'lots'])
    assert.equal(result.code, 1)
    assert.match(result.stderr.trim(), /^ipts: --max-bytes "lots" is not a size/)
  })

  it('inbox limits: the smallest values run and serve a drain; below them is one line', async () => {
    const smallest = ['--max-inbox-streams', '1', '--max-inbox-streams-per-peer', '1', '--max-inbox-streams-per-ip', '1',
      '--max-inbox-bytes', '10KiB', '--max-inbox-bytes-per-peer', '10KiB', '--max-inbox-bytes-per-ip', '10KiB', '--inbox-page-bytes', '10KiB', '--stall-timeout', '5s']
    const relay = await spawnRelay(repo('smallest'), smallest)
    try {
      await assertClientDelivery(relay.addr)
    } finally {
      await relay.stop()
    }
    for (const [flag, value, pattern] of [
      ['--max-inbox-bytes-per-ip', '10239', /must be at least 10240 bytes/],
      ['--inbox-page-bytes', '9KiB', /must be at least 10240 bytes/],
      ['--max-inbox-streams-per-peer', '0', /must be a whole number of at least 1/],
      ['--stall-timeout', '0s', /must be more than zero/]
    ] as const) {
      const result = await runCli(['relay', '--repo', repo('bad'), flag, value])
      assert.equal(result.code, 1, `${flag} ${value}`)
      assert.match(result.stderr.trim(), pattern)
      assert.equal(result.stderr.trim().split('\n').length, 1)
    }
  })

  it('inbox --watch prints a message sent while it runs, then exits 0 on SIGINT', async () => {
    const relay = await spawnRelay(repo('watched'))
    const carol = await peerIdOf(repo('carol'))
    const watcher = startCli(['inbox', '--watch', '--json', '--repo', repo('carol'), '--relay', relay.addr])
    try {
      // sent only once the watcher has drained the relay: it must come on the topic
      await watcher.waitForStderr(text => /watching for new messages/.test(text), CLI_TIMEOUT)
      const sent = await runCli(['send', carol, 'while you watch', '--json', '--repo', repo('dave'), '--relay', relay.addr])
      assert.equal(sent.code, 0, sent.stderr)
      const line = await watcher.waitForJson(o => o.text === 'while you watch', CLI_TIMEOUT)
      assert.equal(line.seq, '1')
      const exit = await watcher.stop('SIGINT', CLI_TIMEOUT)
      assert.equal(exit.code, 0, watcher.stderr)
      assert.equal(watcher.json().filter(o => o.text === 'while you watch').length, 1)
    } finally {
      await watcher.stop('SIGKILL')
      await relay.stop()
    }
  })
})
