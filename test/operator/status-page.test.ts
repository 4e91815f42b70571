/**
 * What a volunteer sees: a real `ipts relay --metrics` process takes records and refuses some
 * (a full inbox, a lifetime over its limit, garbage), then headless Chromium opens its status
 * page and finds the peer ID, the record count `/status` reports and charts with data points,
 * and `/metrics`, read by a Prometheus text parser, carries libp2p's series, every ipts series
 * the docs name, and refusal counters equal to the refusals this test caused.
 *
 * Needs Debian's `chromium` (`.ci/run` installs it). `IPTS_TEST_SCREENSHOT=<file>` also copies
 * the screenshot there (that is how docs/status-page.png was made).
 */
import assert from 'node:assert/strict'
import { copyFile, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { multiaddr } from '@multiformats/multiaddr'
import parsePrometheusTextFormat from 'parse-prometheus-text-format'
import { chromium } from 'playwright-core'
import { putRecord } from '../../src/client/relay-rpc.ts'
import { createNode } from '../../src/node.ts'
import { RelayResponse } from '../../src/pb/relay.ts'
import { tagRoutingKey } from '../../src/record/index.ts'
import { REFUSAL_REASONS } from '../../src/relay/refusals.ts'
import { findChromium } from '../utils/browser.ts'
import { spawnRelay, tempDir } from '../utils/cli.ts'
import { key } from '../utils/network.ts'
import { mh, tagged } from '../utils/store-fixtures.ts'
import type { CliRelay } from '../utils/cli.ts'
import type { IptsNode } from '../../src/node.ts'
import type { Family } from 'parse-prometheus-text-format'

const hour = 3600_000

/** Every `ipts_*` series named in README.md and docs/*.md. */
async function seriesInDocs (): Promise<Set<string>> {
  const root = new URL('../../../', import.meta.url)
  const text = (await Promise.all(['README.md', 'docs/protocol.md'].map(async f => readFile(new URL(f, root), 'utf8')))).join('\n')
  return new Set(text.match(/\bipts_[a-z_]+[a-z]\b/g) ?? [])
}

describe('the status page and /metrics of a relay that took records and refused some', () => {
  let dir: { path: string, cleanup(): Promise<void> }
  let relay: CliRelay
  let client: IptsNode
  /** what this test made the relay refuse, by reason */
  const caused: Record<string, number> = { KeyFullError: 1, LifetimeTooLongError: 1, MalformedRecordError: 1 }

  before(async () => {
    dir = await tempDir('ipts-status-page-')
    relay = await spawnRelay(join(dir.path, 'relay'), ['--metrics', '127.0.0.1:0', '--max-records-per-key', '2', '--max-lifetime', '1h'])
    client = await createNode({ listen: [] })
    const target = multiaddr(relay.addr)
    const bob = await key()
    const inbox = tagRoutingKey(mh(bob))
    const put = async (bytes: Uint8Array, key = inbox): Promise<RelayResponse> => putRecord(client, target, key, bytes)
    // two senders fill Bob's inbox (limit 2)
    for (let i = 0; i < 2; i++) {
      const response = await put((await tagged(await key(), bob, 1, Date.now(), { lifetime: hour / 2 })).bytes)
      assert.equal(response.status, RelayResponse.Status.OK)
    }
    // a third sender: KeyFullError
    const full = await put((await tagged(await key(), bob, 1, Date.now(), { lifetime: hour / 2 })).bytes)
    assert.deepEqual([full.status, full.error], [RelayResponse.Status.REFUSED, 'KeyFullError'])
    // longer than --max-lifetime, to another receiver: LifetimeTooLongError
    const carol = await key()
    const long = await put((await tagged(await key(), carol, 1, Date.now(), { lifetime: 2 * hour })).bytes, tagRoutingKey(mh(carol)))
    assert.deepEqual([long.status, long.error], [RelayResponse.Status.REFUSED, 'LifetimeTooLongError'])
    // not a record at all: MalformedRecordError
    const garbage = await put(new TextEncoder().encode('not a record'))
    assert.deepEqual([garbage.status, garbage.error], [RelayResponse.Status.REFUSED, 'MalformedRecordError'])
  })

  after(async () => {
    await client?.stop()
    await relay?.stop()
    await dir?.cleanup()
  })

  it('/metrics parses as Prometheus text: libp2p series, every ipts series in the docs, and the refusals caused', async () => {
    const res = await fetch(`${relay.metrics as string}/metrics`)
    assert.equal(res.status, 200)
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain/)
    const families = parsePrometheusTextFormat(await res.text())
    const byName = new Map<string, Family>(families.map(f => [f.name, f]))
    const value = (name: string, labels: Record<string, string> = {}): number => {
      const family = byName.get(name)
      assert.ok(family != null, `${name} is exported`)
      const sample = family.metrics.find(m => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v))
      assert.ok(sample != null, `${name} ${JSON.stringify(labels)} is exported`)
      return Number(sample.value)
    }

    // libp2p's own figures, and gossipsub's
    assert.ok(families.some(f => f.name.startsWith('libp2p_')), 'libp2p_ series')
    assert.ok(byName.has('libp2p_connection_manager_connections'))
    assert.ok(families.some(f => f.name.startsWith('gossipsub_')), 'gossipsub_ series')

    // the docs and /metrics name the same ipts series
    const documented = await seriesInDocs()
    const exported = new Set(families.map(f => f.name).filter(n => n.startsWith('ipts_')))
    assert.ok(documented.size >= 20, `docs name the ipts series (found ${documented.size})`)
    for (const name of documented) assert.ok(exported.has(name), `${name}, named in the docs, is exported`)
    for (const name of exported) assert.ok(documented.has(name), `${name} is exported but not documented`)

    // refusals: exactly the ones caused, by reason and by path; every other reason listed at 0
    for (const reason of REFUSAL_REASONS) {
      assert.equal(value('ipts_records_refused_total', { reason }), caused[reason] ?? 0, reason)
    }
    assert.equal(value('ipts_records_refused_by_source_total', { source: 'custody' }), 3)
    assert.equal(value('ipts_records_refused_by_source_total', { source: 'gossip' }), 0)
    assert.equal(value('ipts_records_stored_total', { source: 'custody' }), 2)
    assert.equal(value('ipts_custody_answers_total', { answer: 'put-ok' }), 2)
    assert.equal(value('ipts_custody_answers_total', { answer: 'put-refused' }), 3)
    assert.equal(value('ipts_store_records'), 2)
    assert.equal(value('ipts_store_keys'), 1)
    assert.equal(byName.get('ipts_records_refused_total')?.type, 'COUNTER')
    assert.equal(byName.get('ipts_store_records')?.type, 'GAUGE')

    // /status and /metrics agree
    const status = await (await fetch(`${relay.metrics as string}/status`)).json()
    assert.deepEqual(status.counters.refused, caused)
    assert.equal(status.records, value('ipts_store_records'))
    // a second scrape does not count anything twice
    const again = parsePrometheusTextFormat(await (await fetch(`${relay.metrics as string}/metrics`)).text())
    const refusedAgain = again.find(f => f.name === 'ipts_records_refused_total')?.metrics.find(m => m.labels?.reason === 'KeyFullError')
    assert.equal(Number(refusedAgain?.value), 1)
  })

  it('headless Chromium shows the peer ID, the record count /status reports, charts with data points and the refusals', async (t) => {
    const status = await (await fetch(`${relay.metrics as string}/status`)).json()
    assert.equal(status.records, 2)
    const executablePath = await findChromium()
    if (executablePath == null) {
      t.skip('chromium is not installed: apt-get install -y chromium (.ci/run does)')
      return
    }
    const browser = await chromium.launch({ executablePath, headless: true, args: ['--no-sandbox'] })
    try {
      const page = await browser.newPage({ viewport: { width: 1100, height: 900 } })
      const blocked: string[] = []
      page.on('request', req => { if (!req.url().startsWith(relay.metrics as string)) blocked.push(req.url()) })
      const response = await page.goto(`${relay.metrics as string}/`)
      assert.equal(response?.status(), 200)
      assert.equal((await page.textContent('#peer-id'))?.trim(), relay.peerId)
      assert.equal((await page.textContent('#records'))?.trim(), String(status.records))
      for (const series of ['records', 'bytes', 'keys', 'topics']) {
        const chart = page.locator(`svg#chart-${series}`)
        const points = Number(await chart.getAttribute('data-points'))
        assert.ok(points >= 2, `${series}: at least the start sample and now (${points})`)
        const drawn = (await chart.locator('polyline').getAttribute('points'))?.trim().split(/\s+/) ?? []
        assert.equal(drawn.length, points, `${series}: one vertex per data point`)
        assert.ok(await chart.isVisible())
      }
      // the record chart ends at the count /status reports: its last vertex is above the first
      const recordPoints = (await page.locator('svg#chart-records polyline').getAttribute('points'))?.trim().split(/\s+/).map(p => Number(p.split(',')[1])) ?? []
      assert.ok(recordPoints[recordPoints.length - 1] < recordPoints[0], 'records rose since start')
      for (const [reason, n] of Object.entries(caused)) {
        assert.equal((await page.textContent(`#refusals tr[data-reason="${reason}"] td.count`))?.trim(), String(n), reason)
      }
      assert.match((await page.textContent('#limits tr[data-limit="maxRecordsPerKey"]')) ?? '', /1 KeyFullError/)
      assert.deepEqual(blocked, [], 'the page loads nothing from anywhere else')
      const shot = join(dir.path, 'status-page.png')
      await page.screenshot({ path: shot, fullPage: true })
      const png = await readFile(shot)
      assert.ok(png.length > 10_000, `a screenshot with something in it (${png.length} bytes)`)
      assert.deepEqual([...png.subarray(1, 4)], [...Buffer.from('PNG')])
      if (process.env.IPTS_TEST_SCREENSHOT != null) await copyFile(shot, process.env.IPTS_TEST_SCREENSHOT)
    } finally {
      await browser.close()
    }
  })
})
