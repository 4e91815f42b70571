/**
 * Tagged records other tools publish (the `ipns` package's records with a Tag added by hand)
 * reach the receiver's `ipts inbox` like ipts's own, with real `ipts` processes over 127.0.0.1.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'
import { createClient } from '../../src/client/index.ts'
import { valueToEnvelope } from '../../src/client/payload.ts'
import { inboxPages, putRecord, queryRecord } from '../../src/client/relay-rpc.ts'
import { loadOrCreateIdentity } from '../../src/identity.ts'
import { createNode } from '../../src/node.ts'
import { RelayResponse } from '../../src/pb/relay.ts'
import { RecordValidator, tagRoutingKey, topicForKey, validateRecord } from '../../src/record/index.ts'
import { foreignTaggedRecord, inlineCid } from '../utils/foreign.ts'
import { peerIdOf, relayFlags, runCli, spawnRelay, tempDir, CLI_TIMEOUT } from '../utils/cli.ts'
import type { CliRelay } from '../utils/cli.ts'
import type { IptsNode } from '../../src/node.ts'
import type { PeerId, PrivateKey } from '@libp2p/interface'

/** Records in the burst, and its rate (records per second, all publishers together). */
const RECORDS = 1000
const RATE = 200
/**
 * Publishing nodes. A relay takes at most 600 records a minute from one peer (its default
 * `--max-publishes-per-minute`, a burst of 600): four tools of 250 records each stay within it.
 */
const PUBLISHERS = 4

async function status (relay: CliRelay): Promise<any> {
  const res = await fetch(`${relay.metrics as string}/status`)
  return res.json()
}

/** Re-reads the relay's status until `check` holds (bounded). */
async function statusUntil (relay: CliRelay, check: (s: any) => boolean, timeout = CLI_TIMEOUT): Promise<any> {
  const deadline = Date.now() + timeout
  while (true) {
    const s = await status(relay)
    if (check(s)) return s
    if (Date.now() > deadline) throw new Error(`relay status never matched: ${JSON.stringify(s)}`)
    await new Promise(resolve => setTimeout(resolve, 20))
  }
}

/**
 * Subscribes to `topic` and resolves once `relay` is among its subscribers: a relay follows a
 * record topic while a connected peer (not a relay) is subscribed to it, and gossipsub publishes
 * only to peers it knows are subscribed.
 */
async function joinWithRelay (node: IptsNode, topic: string, relay: PeerId): Promise<void> {
  const pubsub = node.services.pubsub
  const joined = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => { done(); reject(new Error('the relay never joined the topic')) }, CLI_TIMEOUT)
    const check = (): void => {
      if (pubsub.getSubscribers(topic).some(p => p.equals(relay))) { done(); resolve() }
    }
    const done = (): void => {
      clearTimeout(timer)
      pubsub.removeEventListener('subscription-change', check)
    }
    pubsub.addEventListener('subscription-change', check)
    check()
  })
  pubsub.subscribe(topic)
  await joined
}

describe('tagged records made by other tools, in ipts inbox', () => {
  let dir: { path: string, cleanup(): Promise<void> }
  const nodes: IptsNode[] = []
  const relays: CliRelay[] = []
  const repo = (name: string): string => `${dir.path}/${name}`

  before(async () => {
    dir = await tempDir()
  })

  after(async () => {
    await Promise.all(nodes.map(async n => n.stop()))
    await Promise.all(relays.map(async r => r.stop()))
    await dir?.cleanup()
  })

  it(`${RECORDS} records with text, published on Bob's topic at ${RATE}/s, all print in Bob's next cold inbox`, async () => {
    const relay = await spawnRelay(repo('relay-burst'), ['--metrics', '127.0.0.1:0'])
    relays.push(relay)
    const relayPeer = peerIdFromString(relay.peerId)
    const bob = peerIdFromString(await peerIdOf(repo('bob')))
    const key = tagRoutingKey(bob.toMultihash().bytes)
    const topic = topicForKey(key)

    // one signer per record: a relay keeps the latest record per (tag, signer)
    const texts = new Map<string, string>()
    const records: Uint8Array[] = []
    for (let i = 0; i < RECORDS; i++) {
      const signer = await generateKeyPair('Ed25519')
      const text = `note ${i} from another tool`
      texts.set(peerIdFromPrivateKey(signer).toString(), text)
      records.push(await foreignTaggedRecord(signer, bob, inlineCid(text), BigInt(i + 1)))
    }

    const publishers = await Promise.all(Array.from({ length: PUBLISHERS }, async () => createNode({ listen: [] })))
    nodes.push(...publishers)
    await Promise.all(publishers.map(async p => p.dial(multiaddr(relay.addr))))
    await Promise.all(publishers.map(async p => joinWithRelay(p, topic, relayPeer)))

    // paced: record i leaves at start + i / RATE seconds, publishers taking turns
    const start = performance.now()
    for (let i = 0; i < RECORDS; i++) {
      const due = start + i * 1000 / RATE
      const wait = due - performance.now()
      if (wait > 0) await new Promise(resolve => setTimeout(resolve, wait))
      await publishers[i % PUBLISHERS].services.pubsub.publish(topic, records[i])
    }
    const publishMs = performance.now() - start
    const held = await statusUntil(relay, s => s.records >= RECORDS)
    assert.equal(held.records, RECORDS)
    assert.equal((held.counters.refused?.RateLimitedError ?? 0) + (held.counters.refused?.HostRateLimitedError ?? 0), 0, 'no publish was over the rate limit')
    await Promise.all(publishers.map(async p => p.stop()))

    // the floor: one dial to the relay, plus verifying those records, on this machine now
    const probe = await createNode({ listen: [] })
    nodes.push(probe)
    const dialStart = performance.now()
    await probe.dial(multiaddr(relay.addr))
    const dialMs = performance.now() - dialStart
    await probe.stop()
    const validator = new RecordValidator()
    const verifyStart = performance.now()
    const now = Date.now()
    for (const bytes of records) validator.validate(bytes, { now, routingKey: key })
    const verifyMs = performance.now() - verifyStart
    const floorMs = dialMs + verifyMs

    // Bob's next inbox, from cold, as a process
    const cliStart = performance.now()
    const inbox = await runCli(['inbox', '--json', '--repo', repo('bob'), '--relay', relay.addr])
    const cliMs = performance.now() - cliStart
    assert.equal(inbox.code, 0, inbox.stderr)
    assert.equal(inbox.json.length, RECORDS)
    const shown = new Map<string, string>()
    for (const line of inbox.json) {
      assert.equal(shown.has(line.from), false, `${line.from as string} printed once`)
      shown.set(line.from, line.text)
      assert.equal(line.value, `/ipfs/${inlineCid(line.text).toString()}`)
      assert.equal(line.encrypted, false)
    }
    assert.deepEqual(shown, texts)

    // the same drain through the library, from cold, to time it without a process start
    const { privateKey } = await loadOrCreateIdentity(repo('bob'))
    const clientStart = performance.now()
    const client = await createClient({ privateKey, relays: [relay.addr] })
    let count = 0
    try {
      for await (const m of client.inbox()) if (m.text != null) count++
    } finally {
      await client.stop()
    }
    const clientMs = performance.now() - clientStart
    assert.equal(count, RECORDS)

    const r = (x: number): number => Math.round(x * 10) / 10
    console.log(`# published ${RECORDS} records in ${r(publishMs)} ms (${r(RECORDS / publishMs * 1000)}/s)`)
    console.log(`# floor: dial ${r(dialMs)} ms + verify ${RECORDS} ${r(verifyMs)} ms = ${r(floorMs)} ms`)
    console.log(`# time to inbox, library from cold: ${r(clientMs)} ms = ${r(clientMs / floorMs)} x floor (target <= 2)`)
    console.log(`# time to inbox, \`ipts inbox --json\` process (Node start-up included): ${r(cliMs)} ms`)
  })

  it('Bob acknowledges them like ipts messages: relays delete them, each signer gets a receipt, nothing prints twice', async () => {
    const pair = await Promise.all([spawnRelay(repo('relay-ack1')), spawnRelay(repo('relay-ack2'))])
    relays.push(...pair)
    const bob = peerIdFromString(await peerIdOf(repo('bob2')))
    const key = tagRoutingKey(bob.toMultihash().bytes)
    const sha = CID.createV1(0x55, await sha256.digest(new TextEncoder().encode('content elsewhere')))
    const binary = new Uint8Array([0xc3, 0x28, 0x00, 0xff])
    const ipns = '/ipns/k51qzi5uqu5dlvj2baxnqndepeb86cbk3ng7n3i46uzyxzyqj2xjonzllnv0v8'
    const cases: Array<{ value: CID | string, expect: Record<string, string> }> = [
      { value: inlineCid('plain words'), expect: { text: 'plain words' } },
      { value: inlineCid(binary), expect: { data: Buffer.from(binary).toString('base64') } },
      { value: sha, expect: { cid: sha.toString() } },
      { value: ipns, expect: {} }
    ]
    const node = await createNode({ listen: [] })
    nodes.push(node)
    const signers: PrivateKey[] = []
    const expected = new Map<string, Record<string, string>>()
    for (const c of cases) {
      const signer = await generateKeyPair('Ed25519')
      signers.push(signer)
      const bytes = await foreignTaggedRecord(signer, bob, c.value, 5n, { v1Compatible: signers.length % 2 === 0 })
      const value = typeof c.value === 'string' ? c.value : `/ipfs/${c.value.toString()}`
      expected.set(peerIdFromPrivateKey(signer).toString(), { seq: '5', value, ...c.expect })
      // delivered by custody, as a tool that knows the relay protocol would
      for (const relay of pair) {
        const answer = await putRecord(node, multiaddr(relay.addr), key, bytes)
        assert.equal(answer.status, RelayResponse.Status.OK)
      }
    }

    const read = await runCli(['inbox', '--ack', '--json', '--repo', repo('bob2'), ...relayFlags(pair)])
    assert.equal(read.code, 0, read.stderr)
    const got = new Map(read.json.map(line => {
      const { from, seq, value, text, data, cid } = line
      return [from, Object.fromEntries(Object.entries({ seq, value, text, data, cid }).filter(([, v]) => v != null))]
    }))
    assert.deepEqual(got, expected)

    for (const signer of signers) {
      const from = peerIdFromPrivateKey(signer)
      for (const relay of pair) {
        const answer = await queryRecord(node, multiaddr(relay.addr), key, from.toMultihash().bytes)
        assert.equal(answer.status, RelayResponse.Status.NOT_FOUND, 'the relay deleted the acknowledged record')
      }
      // Bob's receipt, a record tagged with the signer: readable with the signer's key
      const theirs = tagRoutingKey(from.toMultihash().bytes)
      const held: Uint8Array[] = []
      for await (const page of inboxPages(node, multiaddr(pair[0].addr), theirs)) held.push(...page)
      assert.equal(held.length, 1, 'one receipt record for the signer')
      const receipt = validateRecord(held[0], { now: Date.now(), routingKey: theirs })
      const opened = valueToEnvelope(receipt.value, { privateKey: signer, sender: bob })
      assert.deepEqual(opened.envelope?.receipts.map(x => x.seq), [5n])
    }

    const again = await runCli(['inbox', '--json', '--repo', repo('bob2'), ...relayFlags(pair)])
    assert.equal(again.code, 0, again.stderr)
    assert.deepEqual(again.json, [], 'nothing printed after the acknowledgement')
  })
})
