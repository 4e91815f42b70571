/**
 * The libp2p assembly's connection limits (issue 9, item 6): loopback (127.0.0.1) is exempt from
 * libp2p's inbound rate limit of 5 new connections per second per IP, so local networks form;
 * every other host keeps it. Another loopback address (127.0.0.9) stands in for a remote host.
 */
import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import { noise } from '@chainsafe/libp2p-noise'
import { identify } from '@libp2p/identify'
import { tcp } from '@libp2p/tcp'
import { pbStream } from '@libp2p/utils'
import { createLibp2p } from 'libp2p'
import { MAX_EARLY_STREAMS, createNode, streamMuxer } from '../src/node.ts'
import { RelayResponse } from '../src/pb/relay.ts'
import { TestNetwork, addrOf, until } from './utils/network.ts'
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

describe('node: protocols handled after a peer connected', () => {
  const net = new TestNetwork()
  after(async () => { await net.stop() })

  it('a peer learns of a protocol handled after identify (identify push), and its topology hears of it', async () => {
    // a relay's node dials its bootstrap peers before the relay registers its protocols; without
    // identify push the peer kept the first identify's list and never synced with it
    const PROTOCOL = '/ipts/test-late/1.0.0'
    const early = await net.node()
    const late = await net.node()
    await late.dial(addrOf(early))
    const protocols = async (): Promise<string[]> => (await early.peerStore.get(late.peerId).catch(() => undefined))?.protocols ?? []
    await until(async () => (await protocols()).includes('/ipfs/id/1.0.0'), 10_000, 'identify')
    assert.ok(!(await protocols()).includes(PROTOCOL))

    const heard = new Promise<string>(resolve => {
      void early.register(PROTOCOL, { onConnect: (peer) => { resolve(peer.toString()) } })
    })
    await late.handle(PROTOCOL, () => {})
    const peer = await Promise.race([heard, new Promise<string>((_resolve, reject) => setTimeout(() => { reject(new Error('no onConnect within 10 s')) }, 10_000).unref())])
    assert.equal(peer, late.peerId.toString())
  })
})

describe('node: streams opened before the other side has set up the connection', () => {
  const nodes: Array<{ stop(): void | Promise<void> }> = []
  after(async () => { await Promise.all(nodes.map(async n => n.stop())) })

  it(`a peer may open ${MAX_EARLY_STREAMS - 8} streams while the listener is still upgrading the connection (yamux alone allows 10, then aborts it)`, async () => {
    const PROTOCOL = '/ipts/test-early/1.0.0'
    // the listener takes 300 ms to accept the upgraded connection: every stream opened
    // meanwhile is an early stream, as on a relay under load
    const listener = await createLibp2p({
      addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [streamMuxer()],
      connectionGater: { denyInboundUpgradedConnection: async () => { await new Promise(resolve => setTimeout(resolve, 300)); return false } },
      services: { identify: identify() }
    })
    nodes.push(listener)
    await listener.handle(PROTOCOL, async (stream) => {
      const pb = pbStream(stream)
      const n = await pb.read(RelayResponse)
      await pb.write(n, RelayResponse)
      await stream.close()
    }, { maxInboundStreams: MAX_EARLY_STREAMS })
    const dialer = await createNode({ listen: [] })
    nodes.push(dialer)
    const connection = await dialer.dial(listener.getMultiaddrs()[0])
    const answers = await Promise.all(Array.from({ length: MAX_EARLY_STREAMS - 8 }, async (_, i) => {
      const stream = await connection.newStream(PROTOCOL)
      const pb = pbStream(stream)
      await pb.write({ status: RelayResponse.Status.OK, sequence: BigInt(i), records: [] }, RelayResponse)
      const answer = await pb.read(RelayResponse)
      await stream.close()
      return answer.sequence
    }))
    assert.deepEqual(answers, Array.from({ length: MAX_EARLY_STREAMS - 8 }, (_, i) => BigInt(i)))
  })
})
