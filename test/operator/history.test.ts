/** The bounded rings behind the status page: chart samples and recent refusals. */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { StatusHistory } from '../../src/operator/history.ts'
import { renderStatusPage } from '../../src/operator/page.ts'
import { Counters, RECENT_REFUSALS } from '../../src/relay/counters.ts'
import type { Sample } from '../../src/operator/history.ts'
import type { RelayStatus } from '../../src/relay/index.ts'

const sample = (at: number, records = at): Sample => ({ at, records, bytes: 0, keys: 0, topics: 0, connections: 0, refused: 0 })

describe('StatusHistory', () => {
  it('keeps the last `capacity` samples, oldest first', () => {
    const h = new StatusHistory({ capacity: 3 })
    for (let i = 1; i <= 7; i++) h.add(sample(i))
    assert.deepEqual(h.samples().map(s => s.at), [5, 6, 7])
    const partial = new StatusHistory({ capacity: 3 })
    partial.add(sample(1))
    assert.deepEqual(partial.samples().map(s => s.at), [1])
  })
})

describe('Counters: recent refusals', () => {
  it('remembers the last RECENT_REFUSALS, newest first, while totals keep counting', () => {
    let now = 0
    const c = new Counters({ now: () => now })
    for (let i = 0; i < RECENT_REFUSALS + 5; i++) {
      now = i
      c.refused(i % 2 === 0 ? 'KeyFullError' : 'BadSignatureError', 'custody')
    }
    const recent = c.recentRefusals()
    assert.equal(recent.length, RECENT_REFUSALS)
    assert.equal(recent[0].at, RECENT_REFUSALS + 4)
    assert.equal(recent[recent.length - 1].at, 5)
    assert.equal(c.refusedTotal(), RECENT_REFUSALS + 5)
    assert.equal(c.refusedBySource.get('custody'), RECENT_REFUSALS + 5)
  })
})

describe('renderStatusPage', () => {
  it('escapes what it shows, and draws one vertex per sample plus now', () => {
    const status = {
      peerId: '12D3KooW<script>', addrs: ['/ip4/1.2.3.4/tcp/1"onload="x'], uptime: 90, records: 3, bytes: 10, keys: 1,
      tombstones: 0, acks: 0, symbols: 0, indexBytes: 0, topics: 1, connections: 0, relays: [], alone: true,
      limits: [], recentRefusals: [], counters: { refused: {} }
    } as unknown as RelayStatus
    const html = renderStatusPage({ status, samples: [sample(1000, 0), sample(2000, 1)], now: 3000 })
    assert.ok(!html.includes('<script>'))
    assert.ok(!html.includes('"onload="'))
    assert.match(html, /id="chart-records"[^>]* data-points="3"/)
    assert.match(html, /<span id="uptime">1 min 30 s<\/span>/)
  })
})
