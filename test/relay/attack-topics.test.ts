/**
 * Attack: fresh peer IDs from one host make a relay follow topics without end (issue 9, item 3).
 * Before: the cap was per peer ID, so six fresh peers left a relay following 6,000 topics after
 * they disconnected. Now the host shares one budget, the relay caps topics in all, and interest
 * ends when the peers leave. Run against `ipts relay` as a volunteer runs it.
 */
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { after, before, describe, it } from 'node:test'
import { multiaddr } from '@multiformats/multiaddr'
import { createTaggedRecord, tagRoutingKey, topicForKey } from '../../src/record/index.ts'
import { RelayRequest, RelayResponse } from '../../src/pb/relay.ts'
import { spawnRelay, tempDir } from '../utils/cli.ts'
import { TestNetwork, key, relayRequest, until } from '../utils/network.ts'
import { loadScaled } from '../utils/load.ts'
import { randomTag } from '../utils/scale.ts'
import type { CliRelay } from '../utils/cli.ts'

const ATTACKERS = 6
const TOPICS_EACH = 1000
const MB = 1024 * 1024

async function rssOf (pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8')
  const kb = Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1] ?? NaN)
  return kb * 1024
}

/** `/status`, which must answer within 1 s while under attack (on an idle machine: scaled by load). */
async function status (relay: CliRelay): Promise<{ topics: number, counters: { refused: Record<string, number> } }> {
  const response = await fetch(`${relay.metrics as string}/status`, { signal: AbortSignal.timeout(loadScaled(1000)) })
  return response.json()
}

describe('attack: fresh peer IDs from one host subscribe to thousands of topics, then leave', () => {
  const net = new TestNetwork()
  let dir: { path: string, cleanup(): Promise<void> }
  let relay: CliRelay

  before(async () => {
    dir = await tempDir()
    relay = await spawnRelay(`${dir.path}/relay`, ['--metrics', '127.0.0.1:0', '--follow-grace', '1s'])
  })
  after(async () => {
    await net.stop()
    await relay?.proc.stop('SIGTERM')
    await dir?.cleanup()
  })

  it('the relay follows at most the host budget, drops it all when they leave, and an honest record still gets through', async () => {
    const attackers = await Promise.all(Array.from({ length: ATTACKERS }, async () => net.node()))
    for (const attacker of attackers) {
      await attacker.dial(multiaddr(relay.addr))
      for (let i = 0; i < TOPICS_EACH; i++) attacker.services.pubsub.subscribe(topicForKey(tagRoutingKey(randomTag())))
    }
    // 6 x 1,000 asked; the host's budget (4,000 by default) is what it gets
    await until(async () => (await status(relay)).counters.refused.HostTooManyTopicsError > 0, 60_000, 'topics refused past the host budget')
    const during = await status(relay)
    assert.ok(during.topics <= 4000, `following ${during.topics} topics`)
    assert.ok(await rssOf(relay.proc.child.pid as number) < 500 * MB, 'RSS under 500 MB during the attack')

    // an honest sender's record to an honest receiver is accepted and delivered meanwhile
    const bob = await key()
    const bobTag = bob.publicKey.toMultihash().bytes
    const record = await createTaggedRecord(await key(), { tag: bobTag, value: '/ipfs/bafkqaaa', sequence: 1n, lifetime: 3_600_000, now: Date.now() })
    const honest = await net.node()
    const [put] = await relayRequest(honest, multiaddr(relay.addr), { type: RelayRequest.Type.PUT, key: tagRoutingKey(bobTag), record: record.bytes })
    assert.equal(put.status, RelayResponse.Status.OK)
    const receiver = await net.node({ privateKey: bob })
    const pages = await relayRequest(receiver, multiaddr(relay.addr), { type: RelayRequest.Type.INBOX, key: tagRoutingKey(bobTag) })
    assert.equal(pages.flatMap(p => p.records).length, 1)

    // the attackers leave: after the grace period the relay follows nothing of theirs
    await Promise.all(attackers.map(async a => a.stop()))
    await until(async () => (await status(relay)).topics === 0, 30_000, 'every attacker topic left')
    assert.ok(await rssOf(relay.proc.child.pid as number) < 500 * MB, 'RSS under 500 MB after the attack')
    assert.equal(relay.proc.child.exitCode, null, 'the relay is still running')
  })
})
