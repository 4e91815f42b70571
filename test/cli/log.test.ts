/**
 * The relay's event log, as an operator's log collector reads it (`--log-format json`): one
 * object per line with time, level, event and message; start, listening, a peer joining and
 * leaving, a sync session, limits hit (summarised: a burst of refusals is one line, not one line
 * each), the stop; and never the identity key.
 */
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { multiaddr } from '@multiformats/multiaddr'
import { privateKeyFromProtobuf } from '@libp2p/crypto/keys'
import { putRecord } from '../../src/client/relay-rpc.ts'
import { LOG_SUMMARY_INTERVAL } from '../../src/cli/relay-log.ts'
import { createNode } from '../../src/node.ts'
import { RelayResponse } from '../../src/pb/relay.ts'
import { tagRoutingKey } from '../../src/record/index.ts'
import { CLI_TIMEOUT, spawnRelay, tempDir } from '../utils/cli.ts'
import { key } from '../utils/network.ts'
import { mh, tagged } from '../utils/store-fixtures.ts'
import type { CliRelay } from '../utils/cli.ts'

/** Parsed log lines of a relay's stderr (every line must parse). */
function logLines (relay: CliRelay): Array<Record<string, any>> {
  return relay.proc.stderr.split('\n').filter(l => l.trim() !== '').map(line => {
    const obj = JSON.parse(line)
    assert.equal(typeof obj.time, 'string', line)
    assert.ok(['error', 'warn', 'info', 'debug'].includes(obj.level), line)
    assert.equal(typeof obj.event, 'string', line)
    assert.equal(typeof obj.msg, 'string', line)
    return obj
  })
}

const has = (match: (o: Record<string, any>) => boolean) => (stderr: string): boolean =>
  stderr.split('\n').some(line => {
    try {
      return match(JSON.parse(line))
    } catch {
      return false
    }
  })

describe('the relay event log (--log-format json)', () => {
  let dir: { path: string, cleanup(): Promise<void> }
  let relay: CliRelay

  before(async () => {
    dir = await tempDir('ipts-log-test-')
    relay = await spawnRelay(join(dir.path, 'relay'), ['--log-format', 'json', '--max-records-per-key', '1'])
  })
  after(async () => {
    await relay?.kill()
    await dir?.cleanup()
  })

  it('logs start and listening, a relay joining, a sync session and leaving, limits hit in one line per burst, and the stop', async () => {
    const started = Date.now()
    await relay.proc.waitForStderr(has(o => o.event === 'relay:alone'), CLI_TIMEOUT)
    const events = logLines(relay).map(o => o.event)
    assert.deepEqual(events.slice(0, 3), ['relay:start', 'relay:ready', 'relay:listening'])
    assert.ok(logLines(relay).some(o => o.event === 'relay:listening' && o.addr === relay.addr))

    // another relay joins through it, syncs, and leaves
    const other = await spawnRelay(join(dir.path, 'other'), ['--bootstrap', relay.addr])
    await relay.proc.waitForStderr(has(o => o.event === 'peer:joined' && o.peer === other.peerId), CLI_TIMEOUT)
    await relay.proc.waitForStderr(has(o => o.event === 'sync:end' && o.peer === other.peerId), CLI_TIMEOUT)
    await other.stop()
    await relay.proc.waitForStderr(has(o => o.event === 'peer:left' && o.peer === other.peerId), CLI_TIMEOUT)

    // a burst of 20 refusals (KeyFullError: one sender per inbox)
    const client = await createNode({ listen: [] })
    try {
      const bob = await key()
      const inbox = tagRoutingKey(mh(bob))
      const target = multiaddr(relay.addr)
      assert.equal((await putRecord(client, target, inbox, (await tagged(await key(), bob, 1, Date.now())).bytes)).status, RelayResponse.Status.OK)
      for (let i = 0; i < 20; i++) {
        const refused = await putRecord(client, target, inbox, (await tagged(await key(), bob, 1, Date.now())).bytes)
        assert.equal(refused.error, 'KeyFullError')
      }
    } finally {
      await client.stop()
    }
    await relay.proc.waitForStderr(has(o => o.event === 'limit:hit'), CLI_TIMEOUT)
    const hits = logLines(relay).filter(o => o.event === 'limit:hit')
    assert.equal(hits[0].level, 'warn')
    assert.match(hits[0].refused, /^KeyFullError \d+$/)
    assert.equal(hits[0].limits, 'maxRecordsPerKey=1')
    // at most one line per summary interval, however many refusals
    assert.ok(hits.length <= 1 + Math.floor((Date.now() - started) / LOG_SUMMARY_INTERVAL), `${hits.length} limit lines for one burst`)

    const exit = await relay.proc.stop('SIGTERM')
    assert.equal(exit.code, 0)
    assert.deepEqual(logLines(relay).slice(-2).map(o => o.event), ['relay:stopping', 'relay:stopped'])
  })

  it('never logs the identity key', async () => {
    await relay.proc.stop('SIGTERM')
    const file = await readFile(join(dir.path, 'relay', 'identity.key'))
    const raw = privateKeyFromProtobuf(file).raw
    const output = relay.proc.stderr + relay.proc.lines.join('\n')
    for (const bytes of [file, Buffer.from(raw), Buffer.from(raw.subarray(0, 32))]) {
      for (const encoding of ['hex', 'base64', 'base64url'] as const) {
        assert.ok(!output.includes(Buffer.from(bytes).toString(encoding)), `no ${encoding} of the key`)
      }
    }
  })
})
