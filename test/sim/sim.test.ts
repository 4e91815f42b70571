/**
 * The simulator end to end: `node dist/sim/run.js --quick` runs ipts and both baselines at two
 * churn levels on 4 relays and 12 users, and writes its result files. ipts must deliver every
 * message a relay took custody of whose receiver came back afterwards.
 */
import assert from 'node:assert/strict'
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { after, before, describe, it } from 'node:test'
import { SYSTEMS } from '../../sim/config.ts'
import { OVERLOADED_MS } from '../../sim/report.ts'
import { runNode } from '../utils/cli.ts'
import type { NodeRun } from '../utils/cli.ts'
import type { SimResult } from '../../sim/simulate.ts'

const RUN = fileURLToPath(new URL('../../sim/run.js', import.meta.url))
/**
 * Bound on the whole `--quick` run (~35 s on this machine with others working beside it; each of
 * its 6 runs has its own 2-minute bound), kept under the test runner's 300 s so that a run that
 * hangs fails here, with its stderr.
 */
const BOUND = 270_000
/** The ipts system's operations that a saturated machine can time out. */
const TIMEOUT_OPS = ['custody-put-failures', 'inbox-failures', 'ack-failures', 'relay-dial-failures']

async function runSim (args: string[]): Promise<NodeRun> {
  return runNode([RUN, ...args], BOUND)
}

describe('sim --quick: ipts, IPNS over pubsub and DHT put on the same workload', () => {
  let out: string
  let run: NodeRun
  let result: SimResult

  before(async () => {
    out = await mkdtemp(join(tmpdir(), 'ipts-sim-test-'))
    run = await runSim(['--quick', '--out', out])
    const json = (await readdir(out)).find(f => f.endsWith('.json'))
    assert.ok(json != null, `no result file; stderr:\n${run.stderr}`)
    result = JSON.parse(await readFile(join(out, json), 'utf8'))
  })
  after(async () => { await rm(out, { recursive: true, force: true }) })

  it('exits 0, prints the table and one progress line per round', () => {
    assert.equal(run.code, 0, run.stderr)
    assert.match(run.stdout, /\| churn \| system \|/)
    const rounds = result.config.rounds + result.config.cooldown
    for (const system of SYSTEMS) {
      for (const churn of result.config.churn) {
        const lines = run.stderr.split('\n').filter(l => l.startsWith(`[${system} churn=${churn}] round `))
        assert.equal(lines.length, rounds, `${system} at ${churn}`)
      }
    }
  })

  it('has a run of every system at every churn level, on the same workload', () => {
    assert.deepEqual(result.failed, [])
    assert.equal(result.runs.length, SYSTEMS.length * result.config.churn.length)
    for (const churn of result.config.churn) {
      const runs = result.runs.filter(r => r.churn === churn)
      assert.deepEqual(runs.map(r => r.system).sort(), [...SYSTEMS].sort())
      const sent = new Set(runs.map(r => r.summary.sent))
      const reachable = new Set(runs.map(r => r.summary.reachable))
      assert.equal(sent.size, 1, 'every system sent the same messages')
      assert.equal(reachable.size, 1, 'every system had the same receivers online')
    }
  })

  it('ipts delivers every custodied message whose receiver came back after it was sent', (t) => {
    let backLater = 0
    let exact = 0
    for (const r of result.runs.filter(r => r.system === 'ipts')) {
      const s = r.summary
      assert.deepEqual(s.unhandledRejections, {})
      assert.equal(s.deletions, true)
      backLater += s.custodiedBackLater ?? 0
      // rounds are wall-clock and every network call has a timeout: on a saturated machine (the
      // sim flags a run whose event loop lagged past OVERLOADED_MS) calls time out, and a message
      // can miss its receiver's last online round. Such a run must show the timeouts it had; a
      // run that was not overloaded, or had none, must deliver exactly.
      const timeouts = TIMEOUT_OPS.reduce((n, op) => n + (s.ops[op] ?? 0), 0)
      if (s.loopDelayMs.p99 > OVERLOADED_MS && timeouts > 0) {
        t.diagnostic(`churn ${r.churn}: overloaded (event-loop p99 ${s.loopDelayMs.p99} ms, ${timeouts} timed-out calls): custodied ${s.custodied ?? 0}/${s.sent}, delivered ${s.deliveredOfCustodiedBackLater ?? 0}/${s.custodiedBackLater ?? 0}; exact delivery not required`)
        continue
      }
      exact++
      assert.equal(s.custodied, s.sent, `churn ${r.churn}: every send was custodied by at least one relay`)
      assert.equal(s.deliveredOfCustodiedBackLater, s.custodiedBackLater, `churn ${r.churn}: ${JSON.stringify(s.ops)} missed ${JSON.stringify(s.missed)}`)
    }
    t.diagnostic(`${exact} ipts runs held to exact delivery`)
    assert.ok(backLater > 0, 'the workload has messages whose receiver came back later')
  })

  it('the baselines cannot delete, and the chart shows all three systems', async () => {
    for (const r of result.runs.filter(r => r.system !== 'ipts')) assert.equal(r.summary.deletions, false)
    const svg = (await readdir(out)).find(f => f.endsWith('.svg'))
    assert.ok(svg != null)
    const text = await readFile(join(out, svg), 'utf8')
    assert.match(text, /^<svg /)
    for (const system of SYSTEMS) assert.ok(text.includes(`>${system}</text>`), system)
  })
})
