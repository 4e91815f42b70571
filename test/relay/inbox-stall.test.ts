/**
 * Attack: stalled inbox readers (issue 9, item 5). A receiver's inbox holds 600 records of
 * ~10 KB; attacker peers open INBOX streams for it and never read (each request written, then
 * the stream paused, so yamux sends no window update). Before the fix every such stream pinned
 * a 2.5 MiB page for 10 minutes: 4 peers x 31 streams took a relay from ~120 to ~800 MiB.
 *
 * The relay runs as a real process (`ipts relay`), so its RSS is its own. Attackers dial from
 * loopback addresses of their own (127.0.0.7, 127.0.0.11...), so the relay sees other hosts than
 * the honest pair on 127.0.0.2.
 */
import assert from 'node:assert/strict'
import { after, afterEach, before, describe, it } from 'node:test'
import { tempDir } from '../utils/cli.ts'
import { HonestPair, assertHealthy, fillInbox, rssOf, spawnAttackedRelay, stallInboxStreams, statusOf } from '../utils/attack.ts'
import { TestNetwork, key, until } from '../utils/network.ts'
import type { AttackedRelay } from '../utils/attack.ts'
import type { IptsNode } from '../../src/node.ts'
import type { PrivateKey } from '@libp2p/interface'

const RECORDS = 600
const RECORD_SIZE = 10_000
/** Short, so the test sees stalled streams aborted; the default is 30 s. */
const STALL = '3s'
/** yamux's initial stream window, bytes: what a peer that never reads takes before the sender stalls. */
const YAMUX_WINDOW = 256 * 1024

describe('attack: stalled inbox readers', () => {
  let dir: { path: string, cleanup(): Promise<void> }
  let victim: PrivateKey
  let relay: AttackedRelay | undefined
  let net: TestNetwork

  before(async () => {
    dir = await tempDir()
    victim = await key()
    await fillInbox(dir.path, victim, RECORDS, RECORD_SIZE)
  })
  afterEach(async () => {
    await net?.stop()
    await relay?.stop()
    relay = undefined
  })
  after(async () => { await dir?.cleanup() })

  async function start (flags: string[]): Promise<AttackedRelay> {
    net = new TestNetwork()
    relay = await spawnAttackedRelay(dir.path, ['--stall-timeout', STALL, ...flags])
    return relay
  }

  /** Samples the relay's RSS every 100 ms until stopped; resolves with the peak. */
  function peakRss (pid: number): { stop(): Promise<number> } {
    let peak = 0
    let running = true
    const loop = (async () => {
      while (running) {
        peak = Math.max(peak, await rssOf(pid))
        await new Promise(resolve => setTimeout(resolve, 100))
      }
    })()
    return { stop: async () => { running = false; await loop.catch(() => {}); return peak } }
  }

  it('4 peers on one host x 31 stalled streams: capped per peer and per IP, aborted when stalled; honest mail flows', async () => {
    const relay = await start([])
    const honest = await HonestPair.create(net)
    const sampler = peakRss(relay.pid)
    after(async () => { await sampler.stop() })
    const attackers: IptsNode[] = []
    for (let i = 0; i < 4; i++) attackers.push(await net.node({ listen: [], localAddress: '127.0.0.7' }))
    const streams = (await Promise.all(attackers.map(async a => stallInboxStreams(a, relay.ma, victim, 31)))).flat()
    assert.equal(streams.length, 124)
    // 8 drains per peer, 32 per IP are served; as many more wait; the rest are refused at once
    await until(async () => (await statusOf(relay)).inbox.streams === 32, 20_000, 'attack streams admitted')
    const during = await assertHealthy(relay)
    assert.ok(during.status.inbox.bytes <= 4 * 1024 * 1024, `page bytes held ${during.status.inbox.bytes} over the per-IP cap`)
    assert.ok(during.status.counters.inboxBusy >= 124 - 64, 'drains past the waiting queue are refused')
    // an honest receiver on another address is served at once
    await honest.deliver(relay.ma)
    // every stalled stream is aborted after the stall timeout, then the waiting ones are served and aborted too
    await until(async () => {
      const s = await statusOf(relay)
      return s.inbox.streams === 0 && s.inbox.waiting === 0
    }, 60_000, 'stalled streams aborted')
    // a peer that stalls a relay stream loses its connection (what the muxer took may sit in it)
    await until(() => attackers.every(a => a.getConnections().length === 0), 20_000, 'attackers disconnected')
    const afterwards = await assertHealthy(relay)
    // the 16 streams holding pages (4 MiB per IP) stall; the others time out waiting for bytes or a slot
    assert.ok(afterwards.status.counters.streamsStalled >= 16, `stalled streams aborted: ${String(afterwards.status.counters.streamsStalled)}`)
    assert.equal(afterwards.status.inbox.bytes, 0)
    await honest.deliver(relay.ma)
    const peak = await sampler.stop()
    assert.ok(peak < 500e6, `peak RSS ${Math.round(peak / 1e6)} MB`)
    console.log(`# stalled inbox streams: RSS peak ${Math.round(peak / 2 ** 20)} MiB, busy ${String(afterwards.status.counters.inboxBusy)}, stalled ${String(afterwards.status.counters.streamsStalled)}`)
  })

  it('16 hosts fill every drain slot: an honest receiver queues ahead of them and is served when a stalled stream is aborted', async () => {
    const relay = await start(['--max-inbox-streams', '16'])
    const honest = await HonestPair.create(net)
    const attackers: IptsNode[] = []
    for (let i = 0; i < 16; i++) attackers.push(await net.node({ listen: [], localAddress: `127.0.0.${11 + i}` }))
    // 4 streams from each host: 16 served, 16 waiting, 32 refused
    const streams = (await Promise.all(attackers.map(async a => stallInboxStreams(a, relay.ma, victim, 4)))).flat()
    await until(async () => {
      const s = await statusOf(relay)
      return s.inbox.streams === 16 && s.inbox.waiting === 16
    }, 20_000, 'every slot taken, the queue full')
    // a served stream has stalled once it holds a whole yamux window unread: the relay can send it
    // nothing more, so its stall timer runs from before the honest drain arrives and ends before
    // the honest drain's wait for a slot (also the stall timeout) does. On a loaded machine
    // pushing 16 windows through noise takes a while; without this wait the honest drain could
    // give up first.
    await until(() => streams.filter(s => s.readBufferLength >= YAMUX_WINDOW).length >= 16, 60_000, 'the served streams stalled')
    await assertHealthy(relay)
    // the honest drain takes the place of an attacker's waiting one, and goes first
    await honest.deliver(relay.ma)
    await assertHealthy(relay)
  })
})
