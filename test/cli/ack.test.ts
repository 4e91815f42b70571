/**
 * Acknowledgement and deletion, and receipts, with real `ipts` processes over 127.0.0.1.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { generateKeyPair, publicKeyToProtobuf } from '@libp2p/crypto/keys'
import { peerIdFromMultihash, peerIdFromString } from '@libp2p/peer-id'
import * as Digest from 'multiformats/hashes/digest'
import { multiaddr } from '@multiformats/multiaddr'
import { inboxPages, putRecord, queryRecord, sendAck } from '../../src/client/relay-rpc.ts'
import { createNode } from '../../src/node.ts'
import { AckBody, SignedAck } from '../../src/pb/ack.ts'
import { RelayResponse } from '../../src/pb/relay.ts'
import { tagRoutingKey, topicForKey, validateRecord } from '../../src/record/index.ts'
import { valueToEnvelope } from '../../src/client/payload.ts'
import { loadOrCreateIdentity } from '../../src/identity.ts'
import { peerIdOf, relayFlags, runCli, spawnRelay, startCli, tempDir, CLI_TIMEOUT } from '../utils/cli.ts'
import type { CliRelay } from '../utils/cli.ts'
import type { IptsNode } from '../../src/node.ts'
import type { PrivateKey } from '@libp2p/interface'

/** A SignedAck claiming `tag` but signed by `signer`; with `embedKey`, carrying the signer's key. */
async function forgedAck (signer: PrivateKey, tag: Uint8Array, entry: { signer: Uint8Array, sequence: bigint, eol: bigint }, embedKey: boolean): Promise<Uint8Array> {
  const body = AckBody.encode({ tag, entries: [entry], issuedAt: BigInt(Date.now()) })
  const signature = await signer.sign(Buffer.concat([Buffer.from('ipts-ack:'), body]))
  return SignedAck.encode({ body, signature, ...(embedKey ? { pubKey: publicKeyToProtobuf(signer.publicKey) } : {}) })
}

/** Relay status from its --metrics endpoint. */
async function status (relay: CliRelay): Promise<any> {
  const res = await fetch(`${relay.metrics as string}/status`)
  return res.json()
}

/** Between two reads of a relay's status, ms: the relay process has no event to wait on. */
const STATUS_EVERY = 50

/**
 * Re-reads the relay's status until `check` holds (bounded). Spaced, not back to back: on a
 * loaded machine a busy loop of HTTP requests takes the CPU from the relay it waits for.
 */
async function statusUntil (relay: CliRelay, check: (s: any) => boolean, timeout = CLI_TIMEOUT): Promise<any> {
  const deadline = Date.now() + timeout
  while (true) {
    const s = await status(relay)
    if (check(s)) return s
    if (Date.now() > deadline) throw new Error(`relay status never matched: ${JSON.stringify(s)}`)
    await new Promise(resolve => setTimeout(resolve, STATUS_EVERY))
  }
}

describe('acknowledgement, deletion and receipts, with real processes', { concurrency: true }, () => {
  let dir: { path: string, cleanup(): Promise<void> }
  let relays: CliRelay[]
  let node: IptsNode
  const repo = (name: string): string => `${dir.path}/${name}`

  before(async () => {
    dir = await tempDir()
    relays = await Promise.all([
      spawnRelay(repo('relay1'), ['--metrics', '127.0.0.1:0']),
      spawnRelay(repo('relay2'), ['--metrics', '127.0.0.1:0'])
    ])
    node = await createNode({ listen: [] })
  })

  after(async () => {
    await node?.stop()
    await Promise.all(relays?.map(async r => r.stop()) ?? [])
    await dir?.cleanup()
  })

  it('Bob reads with --ack and the message is gone; replays by PUT or on the topic do not bring it back; forged acks delete nothing', async () => {
    const [alice, bob] = await Promise.all([peerIdOf(repo('alice')), peerIdOf(repo('bob'))])
    const sent = await runCli(['send', bob, 'read me once', '--json', '--repo', repo('alice'), ...relayFlags(relays)])
    assert.equal(sent.code, 0, sent.stderr)
    const key = tagRoutingKey(peerIdFromString(bob).toMultihash().bytes)
    const signer = peerIdFromString(alice).toMultihash().bytes

    // keep Alice's record bytes for the replays
    const held: Uint8Array[] = []
    for await (const page of inboxPages(node, multiaddr(relays[0].addr), key)) held.push(...page)
    assert.equal(held.length, 1)
    const [recordBytes] = held

    // Mallory signs acks for Bob's tag: with her key embedded, and with no key (Bob's inline key)
    const mallory = await generateKeyPair('Ed25519')
    const entry = { signer, sequence: 1n, eol: BigInt(Date.now() + 86_400_000) }
    for (const embedKey of [true, false]) {
      const forged = await forgedAck(mallory, peerIdFromString(bob).toMultihash().bytes, entry, embedKey)
      for (const relay of relays) {
        await assert.rejects(sendAck(node, multiaddr(relay.addr), forged), (err: any) => {
          assert.equal(err.name, 'RelayProtocolError')
          assert.match(err.message, /InvalidAckError/)
          return true
        })
      }
    }
    for (const relay of relays) {
      const answer = await queryRecord(node, multiaddr(relay.addr), key, signer)
      assert.equal(answer.status, RelayResponse.Status.OK, 'the record survived the forged acks')
    }

    const first = await runCli(['inbox', '--ack', '--json', '--repo', repo('bob'), ...relayFlags(relays)])
    assert.equal(first.code, 0, first.stderr)
    assert.deepEqual(first.json.map(m => m.text), ['read me once'])
    for (const relay of relays) {
      const answer = await queryRecord(node, multiaddr(relay.addr), key, signer)
      assert.equal(answer.status, RelayResponse.Status.NOT_FOUND, 'the relay deleted the acknowledged record')
    }

    const second = await runCli(['inbox', '--json', '--repo', repo('bob'), ...relayFlags(relays)])
    assert.equal(second.code, 0, second.stderr)
    assert.deepEqual(second.lines.filter(l => l !== ''), [], 'nothing printed after the acknowledgement')

    // replay by custody PUT: refused, nothing stored
    for (const relay of relays) {
      const answer = await putRecord(node, multiaddr(relay.addr), key, recordBytes)
      assert.equal(answer.status, RelayResponse.Status.REFUSED)
      assert.equal(answer.error, 'tombstoned')
    }
    // replay on the topic: the relay follows Bob's topic once we subscribe, then ignores the copy
    const topic = topicForKey(key)
    const pubsub = node.services.pubsub
    await node.dial(multiaddr(relays[0].addr))
    const relayPeer = peerIdFromString(relays[0].peerId)
    const joined = new Promise<void>(resolve => {
      const check = (): void => {
        if (pubsub.getSubscribers(topic).some(p => p.equals(relayPeer))) {
          pubsub.removeEventListener('subscription-change', check)
          resolve()
        }
      }
      pubsub.addEventListener('subscription-change', check)
      check()
    })
    pubsub.subscribe(topic)
    await joined
    const before = (await status(relays[0])).counters.ignored.tombstoned ?? 0
    await pubsub.publish(topic, recordBytes)
    await statusUntil(relays[0], s => (s.counters.ignored.tombstoned ?? 0) > before)
    pubsub.unsubscribe(topic)
    for (const relay of relays) {
      const answer = await queryRecord(node, multiaddr(relay.addr), key, signer)
      assert.equal(answer.status, RelayResponse.Status.NOT_FOUND, 'the replay did not bring the record back')
    }
    const third = await runCli(['inbox', '--json', '--repo', repo('bob'), ...relayFlags(relays)])
    assert.equal(third.code, 0, third.stderr)
    assert.deepEqual(third.lines.filter(l => l !== ''), [])

    // Alice learns that Bob got it
    const receipts = await runCli(['receipts', '--json', '--repo', repo('alice'), ...relayFlags(relays)])
    assert.equal(receipts.code, 0, receipts.stderr)
    assert.equal(receipts.json.length, 1)
    assert.equal(receipts.json[0].from, bob)
    assert.equal(receipts.json[0].seq, '1')
    assert.ok(Number.isFinite(Date.parse(receipts.json[0].at)))
  })

  it('send --wait-receipt stays online until Carol acknowledges, then prints the receipt and exits 0', async () => {
    const carol = await peerIdOf(repo('carol'))
    // --timeout bounds custody and the receipt wait together; the test waits on Dave's output,
    // so a bound well past CLI_TIMEOUT only matters if the test is failing anyway
    const dave = startCli(['send', carol, 'tell me when you read this', '--wait-receipt', '--timeout', '300s', '--json', '--repo', repo('dave'), ...relayFlags(relays)])
    try {
      const sent = await dave.waitForJson(o => o.event === 'sent', CLI_TIMEOUT)
      assert.equal(sent.seq, '1')
      const inbox = await runCli(['inbox', '--ack', '--json', '--repo', repo('carol'), ...relayFlags(relays)])
      assert.equal(inbox.code, 0, inbox.stderr)
      assert.deepEqual(inbox.json.map(m => m.text), ['tell me when you read this'])
      const receipt = await dave.waitForJson(o => o.event === 'receipt', CLI_TIMEOUT)
      assert.equal(receipt.from, carol)
      assert.equal(receipt.seq, '1')
      const status = await dave.exited
      assert.equal(status.code, 0, dave.stderr)
    } finally {
      await dave.stop('SIGKILL')
    }
  })

  it('after a receipt the sender stops re-sending what was read; an acknowledged message never prints twice', async () => {
    const erin = await peerIdOf(repo('erin'))
    const flags = ['--json', '--repo', repo('frank'), ...relayFlags(relays)]
    assert.equal((await runCli(['send', erin, 'first', ...flags])).code, 0)
    const read = await runCli(['inbox', '--ack', '--json', '--repo', repo('erin'), ...relayFlags(relays)])
    assert.deepEqual(read.json.map(m => m.text), ['first'])
    // Frank has not seen the receipt yet: his next record still carries "first"
    assert.equal((await runCli(['send', erin, 'second', ...flags])).code, 0)
    const next = await runCli(['inbox', '--ack', '--json', '--repo', repo('erin'), ...relayFlags(relays)])
    assert.deepEqual(next.json.map(m => [m.seq, m.text]), [['2', 'second']])
    // once Frank has the receipts, his outbox is empty of what Erin read
    const receipts = await runCli(['receipts', ...flags])
    assert.deepEqual(receipts.json.map(r => r.seq), ['2'], 'one cumulative receipt: up to record 2')
    assert.equal((await runCli(['send', erin, 'third', ...flags])).code, 0)
    const key = tagRoutingKey(peerIdFromString(erin).toMultihash().bytes)
    const pages: Uint8Array[] = []
    for await (const page of inboxPages(node, multiaddr(relays[1].addr), key)) pages.push(...page)
    assert.equal(pages.length, 1)
    // open Frank's latest record with Erin's key: it carries only the unread message
    const { privateKey } = await loadOrCreateIdentity(repo('erin'))
    const record = validateRecord(pages[0], { now: Date.now(), routingKey: key })
    const sender = peerIdFromMultihash(Digest.decode(record.signer))
    const opened = valueToEnvelope(record.value, { privateKey, sender })
    assert.deepEqual(opened.envelope?.messages.map(m => [m.seq, m.text]), [[3n, 'third']])
    const last = await runCli(['inbox', '--json', '--repo', repo('erin'), ...relayFlags(relays)])
    assert.deepEqual(last.json.map(m => [m.seq, m.text]), [['3', 'third']])
  })
})
