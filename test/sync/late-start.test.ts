/**
 * A relay starts its libp2p node (which dials its bootstrap peers) before its sync service, so a
 * peer can be connected and identified before the service registers its topology. The registrar
 * only reports peers identified after that, and of two peers only the smaller ID starts
 * scheduled sessions: when that is the late starter, nobody ever synced. Found as a federation
 * test that failed about 1 run in 8 under load (a restarted relay never caught up).
 */
import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { SYNC_PROTOCOL, sync } from '../../src/sync/index.ts'
import { until } from '../utils/network.ts'
import { MemorySource, createPlainNode, createSyncNode, nextEvent, randomItem } from './helpers.ts'
import type { Sync, SyncEndEvent } from '../../src/sync/index.ts'
import type { Libp2p } from '@libp2p/interface'

const BOUND = 20_000

describe('sync: a service started after its node is connected', () => {
  const nodes: Libp2p[] = []
  let late: Sync | undefined
  after(async () => {
    await late?.stop()
    await Promise.all(nodes.map(async n => n.stop()))
  })

  it('syncs with a peer identified before it started, when it is the side that initiates', async () => {
    // the late starter must hold the smaller peer ID: only it would start a scheduled session
    const keys = [await generateKeyPair('Ed25519'), await generateKeyPair('Ed25519')]
      .sort((a, b) => peerIdFromPrivateKey(a).toString() < peerIdFromPrivateKey(b).toString() ? -1 : 1)
    const earlySource = new MemorySource()
    for (let i = 0; i < 5; i++) earlySource.add(randomItem())
    const early = await createSyncNode(earlySource, { syncOnConnect: true, interval: 0 }, keys[1])
    const node = await createPlainNode(keys[0])
    nodes.push(early, node)

    await node.dial(early.getMultiaddrs()[0])
    await until(async () => (await node.peerStore.get(early.peerId)).protocols.includes(SYNC_PROTOCOL), BOUND, 'identify of the early peer')

    const lateSource = new MemorySource()
    late = sync({ source: lateSource, syncOnConnect: true, interval: 0 })({
      registrar: node,
      connectionManager: { openConnection: async (peer, options) => node.dial(peer, options), getConnections: (peer) => node.getConnections(peer) },
      peerStore: node.peerStore,
      logger: node.logger,
      peerId: node.peerId
    })
    const ended = nextEvent<SyncEndEvent>(late, 'sync:end')
    await late.start()
    const stats = await Promise.race([
      ended,
      new Promise<never>((_resolve, reject) => setTimeout(() => { reject(new Error(`no session within ${BOUND} ms`)) }, BOUND).unref())
    ])
    assert.equal(stats.role, 'initiator')
    assert.equal(stats.peer.toString(), early.peerId.toString())
    assert.equal(lateSource.itemCount(), 5)
  })
})
