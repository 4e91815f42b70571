/**
 * The benches' own machinery: the spread of runs, the plausibility check that fails a broken
 * measurement, and a quick run of the ingest bench end to end (relay in a child process, CPU
 * from before the first publish to the last store), which must exit 0 with every ratio within
 * what two (gossip) or one (direct) signature checks allow, and print its summary rows.
 */
import assert from 'node:assert/strict'
import { fileURLToPath } from 'node:url'
import { describe, it } from 'node:test'
import { assertPlausible, spread } from '../../bench/stats.ts'
import { MAX_GOSSIP_RATIO_SIGNED, MAX_ONE_CHECK_RATIO } from '../../bench/ingest.ts'
import { runNode } from '../utils/cli.ts'

const RUN = fileURLToPath(new URL('../../bench/run.js', import.meta.url))
const BOUND = 240_000

describe('bench statistics', () => {
  it('gives the median and extremes of runs, odd and even', () => {
    assert.deepEqual(spread([3, 1, 2]), { median: 2, min: 1, max: 3, runs: 3 })
    assert.deepEqual(spread([4, 1, 3, 2]), { median: 2.5, min: 1, max: 4, runs: 4 })
    assert.throws(() => spread([]))
  })

  it('fails a figure outside what is physically possible, by name', () => {
    assert.doesNotThrow(() => { assertPlausible('ratio', [0.2, 0.55], { max: 0.55 }) })
    for (const bad of [0.56, -0.1, Number.NaN, Infinity]) {
      assert.throws(() => { assertPlausible('ratio', [0.2, bad], { max: 0.55 }) }, { name: 'ImplausibleFigureError' }, String(bad))
    }
    assert.throws(() => { assertPlausible('ratio', 0.5, { min: 0.9 }) }, { name: 'ImplausibleFigureError' })
  })
})

describe('npm run bench -- ingest --quick', () => {
  it('exits 0 with gossip and direct ratios within their physical bounds, and prints the summary rows', async () => {
    const { code, stdout, stderr } = await runNode(['--expose-gc', RUN, 'ingest', '--quick'], BOUND)
    assert.equal(code, 0, stderr)
    const printed = JSON.parse(stdout.slice(0, stdout.indexOf('\nSummary')))
    const r = printed.result
    assert.equal(printed.bench, 'ingest')
    // with gossipsub signatures (StrictSign) a message costs two checks, without them one
    const gossipMax = r.gossipSignedShare === 1 ? MAX_GOSSIP_RATIO_SIGNED : MAX_ONE_CHECK_RATIO
    for (const [name, s, max] of [
      ['gossip', r.ratios.gossipToKeyImport, gossipMax],
      ['direct, first-seen', r.ratios.directFirstSeenToKeyImport, MAX_ONE_CHECK_RATIO],
      ['direct, known', r.ratios.directKnownToCached, MAX_ONE_CHECK_RATIO]
    ] as const) {
      assert.ok(s.runs >= 2, `${name}: several runs`)
      assert.ok(s.min > 0 && s.min <= s.median && s.median <= s.max && s.max <= max, `${name}: ${JSON.stringify(s)}`)
    }
    assert.match(stdout, /\| ingest \| gossip ingest \/ raw verify with key import/)
    assert.match(stdout, /load average/)
  })
})
