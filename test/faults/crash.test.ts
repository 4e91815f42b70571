/**
 * Fault suite, crash safety: a real `ipts relay` process takes a stream of custody PUTs from
 * four concurrent requests and is SIGKILLed after a random number of confirmations, again and
 * again. After every kill its store is opened and verified, and the restarted relay must hold
 * every (key, signer) it confirmed at the confirmed sequence or higher, read back over the
 * relay protocol (INBOX).
 *
 * `npm test` delivers 5 kills; `npm run test:faults` 200, or as many as fit in 5 minutes
 * (`IPTS_FAULT_KILLS`, `IPTS_FAULT_CRASH_SECONDS`, `IPTS_FAULT_SEED` override them).
 */
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { multiaddr } from '@multiformats/multiaddr'
import { createTaggedRecord, tagRoutingKey } from '../../src/record/index.ts'
import { RelayRequest, RelayResponse } from '../../src/pb/relay.ts'
import { RecordStore } from '../../src/relay/store.ts'
import { spawnRelay, tempDir } from '../utils/cli.ts'
import { TestNetwork, relayRequest } from '../utils/network.ts'
import { makeKeys, mh } from '../utils/store-fixtures.ts'
import { NO_BUDGETS, faultSettings, heldByInbox, missing, pairId, random, report } from './harness.ts'
import type { CliRelay } from '../utils/cli.ts'
import type { PrivateKey } from '@libp2p/interface'

/** PUTs in flight at once. */
const WORKERS = 4
/** A kill comes after 0 to this many further confirmations in a cycle. */
const MAX_CONFIRMATIONS_BEFORE_KILL = 150
const HOUR = 3_600_000

interface Pair {
  id: string
  routingKey: Uint8Array
  tag: Uint8Array
  signer: PrivateKey
}

describe('fault: SIGKILL during custody PUTs', () => {
  const settings = faultSettings()
  const net = new TestNetwork()
  const cleanups: Array<() => Promise<unknown>> = []
  after(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => {})
    await net.stop()
  })

  it(`a relay killed ${settings.kills} times at random moments never loses a record it confirmed, and its store reopens and verifies every time`, async (t) => {
    const rnd = random(settings.seed)
    const repo = await tempDir('ipts-fault-crash-')
    cleanups.push(repo.cleanup)
    const client = await net.node()
    const tags = await makeKeys(8)
    const signers = await makeKeys(8)
    const pairs: Pair[] = tags.flatMap(tag => signers.map(signer => {
      const routingKey = tagRoutingKey(mh(tag))
      return { id: pairId(routingKey, mh(signer)), routingKey, tag: mh(tag), signer }
    }))
    const routingKeys = tags.map(tag => tagRoutingKey(mh(tag)))
    const next = new Map<string, bigint>()
    const confirmed = new Map<string, bigint>()
    const figures = { kills: 0, puts: 0, confirmed: 0, unanswered: 0, checkedPairs: 0, verifyRuns: 0 }

    let relay: CliRelay = await spawnRelay(repo.path, NO_BUDGETS)
    cleanups.push(async () => relay.kill())
    const started = Date.now()

    while (figures.kills < settings.kills && Date.now() - started < settings.crashBudget) {
      // one cycle: PUTs stream in until `target` confirmations, then SIGKILL mid-stream
      const target = Math.floor(rnd() * (MAX_CONFIRMATIONS_BEFORE_KILL + 1))
      let confirmations = 0
      let stop = false
      let wake = (): void => {}
      const reached = new Promise<void>(resolve => { wake = resolve })
      const addr = multiaddr(relay.addr)
      const worker = async (): Promise<void> => {
        while (!stop) {
          const pair = pairs[Math.floor(rnd() * pairs.length)]
          const seq = (next.get(pair.id) ?? 0n) + 1n
          next.set(pair.id, seq)
          const record = await createTaggedRecord(pair.signer, { tag: pair.tag, value: '/ipfs/bafkqaaa', sequence: seq, lifetime: HOUR, now: Date.now() })
          figures.puts++
          let response: RelayResponse
          try {
            [response] = await relayRequest(client, addr, { type: RelayRequest.Type.PUT, key: pair.routingKey, record: record.bytes })
          } catch (err) {
            // only the kill may cut a PUT short
            if (!stop) throw err
            figures.unanswered++
            return
          }
          assert.equal(response.status, RelayResponse.Status.OK, `PUT refused: ${response.error ?? ''}`)
          assert.ok(response.sequence != null && response.sequence >= seq, `OK with sequence ${String(response.sequence)} for ${seq}`)
          if ((confirmed.get(pair.id) ?? 0n) < seq) confirmed.set(pair.id, seq)
          figures.confirmed++
          if (++confirmations > target) wake()
        }
      }
      const workers = Array.from({ length: WORKERS }, async () => worker())
      // a worker that fails before the kill ends the cycle and the test with its error
      await Promise.race([reached, Promise.all(workers)])
      stop = true
      await relay.kill()
      figures.kills++
      await Promise.all(workers)

      // the store reopens and is consistent, and holds every confirmed pair
      const store = new RecordStore({ path: join(repo.path, 'relay') })
      await store.open()
      try {
        assert.deepEqual(await store.verify(), [], `store inconsistent after kill ${figures.kills}`)
        figures.verifyRuns++
        const onDisk = new Map<string, bigint>()
        for (const pair of pairs) {
          const held = await store.query(pair.routingKey, mh(pair.signer))
          if (held != null) onDisk.set(pair.id, held.sequence)
        }
        assert.deepEqual(missing(confirmed, p => onDisk.get(p)), [], `lost after kill ${figures.kills} (seed ${settings.seed})`)
      } finally {
        await store.close()
      }

      // and the restarted relay serves them
      relay = await spawnRelay(repo.path, NO_BUDGETS)
      const served = await heldByInbox(client, relay.addr, routingKeys)
      assert.deepEqual(missing(confirmed, p => served.get(p)), [], `not served after restart ${figures.kills} (seed ${settings.seed})`)
      figures.checkedPairs += confirmed.size
    }

    await report(t, 'crash', { seed: settings.seed, seconds: Math.round((Date.now() - started) / 100) / 10, ...figures, pairsConfirmed: confirmed.size, lost: 0 })
    assert.ok(figures.kills >= Math.min(settings.kills, 1), 'no kill happened')
    assert.ok(figures.confirmed > 0, 'no PUT was confirmed')
  })
})
