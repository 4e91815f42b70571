/**
 * The libp2p assembly's connection limits (issue 9, item 6): loopback (127.0.0.1) is exempt from
 * libp2p's inbound rate limit of 5 new connections per second per IP, so local networks form;
 * every other host keeps it. Another loopback address (127.0.0.9) stands in for a remote host.
 */
import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import { TestNetwork, addrOf } from './utils/network.ts'
import type { IptsNode } from '../src/node.ts'

const DIALERS = 12

describe('node: inbound connection limits', () => {
  const net = new TestNetwork()
  after(async () => { await net.stop() })

  /** Dials `target` from every node at once; resolves with how many connected. */
  async function dialAll (dialers: IptsNode[], target: IptsNode): Promise<number> {
    const results = await Promise.allSettled(dialers.map(async d => d.dial(addrOf(target), { signal: AbortSignal.timeout(10_000) })))
    return results.filter(r => r.status === 'fulfilled').length
  }

  it(`${DIALERS} nodes on 127.0.0.1 connect at once; from another host at most a few per second do`, async () => {
    const target = await net.node()
    const local = await Promise.all(Array.from({ length: DIALERS }, async () => net.node({ listen: [] })))
    assert.equal(await dialAll(local, target), DIALERS)

    const remote = await net.node()
    const others = await Promise.all(Array.from({ length: DIALERS }, async () => net.node({ listen: [], localAddress: '127.0.0.9' })))
    const connected = await dialAll(others, remote)
    // libp2p's default: 5 per second per host (a slow machine may let a few more through)
    assert.ok(connected < DIALERS, `${connected} of ${DIALERS} connections from one host accepted at once`)
    assert.ok(connected >= 1)
  })
})
