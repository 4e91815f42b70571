/** `ipts resolve`: a plain IPNS name, held by a relay, resolves through libp2p fetch. */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { putRecord } from '../../src/client/relay-rpc.ts'
import { createNode } from '../../src/node.ts'
import { RelayResponse } from '../../src/pb/relay.ts'
import { createPlainRecord, nameRoutingKey } from '../../src/record/index.ts'
import { runCli, spawnRelay, tempDir } from '../utils/cli.ts'
import type { CliRelay } from '../utils/cli.ts'

describe('ipts resolve', { concurrency: true }, () => {
  let dir: { path: string, cleanup(): Promise<void> }
  let relay: CliRelay

  before(async () => {
    dir = await tempDir()
    relay = await spawnRelay(`${dir.path}/relay`)
  })

  after(async () => {
    await relay?.stop()
    await dir?.cleanup()
  })

  it('prints the value of the best record a relay holds for the name', async () => {
    const key = await generateKeyPair('Ed25519')
    const name = peerIdFromPrivateKey(key)
    const routingKey = nameRoutingKey(name.toMultihash().bytes)
    const node = await createNode({ listen: [] })
    try {
      for (const [sequence, value] of [[1n, '/ipfs/bafkqaaa'], [2n, '/ipfs/bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy']] as const) {
        const record = await createPlainRecord(key, { value, sequence, now: Date.now() })
        const answer = await putRecord(node, multiaddr(relay.addr), routingKey, record.bytes)
        assert.equal(answer.status, RelayResponse.Status.OK)
      }
    } finally {
      await node.stop()
    }
    for (const form of [name.toString(), `/ipns/${name.toString()}`]) {
      const result = await runCli(['resolve', form, '--json', '--repo', `${dir.path}/user`, '--relay', relay.addr])
      assert.equal(result.code, 0, result.stderr)
      assert.deepEqual(result.json, [{ name: name.toString(), value: '/ipfs/bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy' }])
    }
  })

  it('a name no relay holds is a one-line error', async () => {
    const name = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
    const result = await runCli(['resolve', name, '--repo', `${dir.path}/user`, '--relay', relay.addr])
    assert.equal(result.code, 1)
    assert.match(result.stderr.trim(), /^ipts: no relay holds a valid record for 12D3KooW\w+$/)
  })
})
