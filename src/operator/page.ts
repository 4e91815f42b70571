/**
 * The status page a volunteer opens at `/` on the `--metrics` port: who the relay is, how long it
 * has run, what it holds (with a chart of the last hours drawn as inline SVG), every limit and
 * how close it is, the relays it is connected to, and what it refused lately. One HTML document
 * rendered here, with no script, no stylesheet or font from elsewhere and no build step; it
 * reloads itself every minute. Pure: the same input gives the same page.
 */
import { REFUSALS } from '../relay/refusals.ts'
import type { Sample } from './history.ts'
import type { RelayLimit, RelayStatus } from '../relay/index.ts'

export interface PageInput {
  status: RelayStatus
  /** oldest first */
  samples: Sample[]
  /** ms since the epoch */
  now: number
}

/** The page reloads itself this often, seconds. */
export const PAGE_REFRESH_SECONDS = 60

const CHART_WIDTH = 320
const CHART_HEIGHT = 80

interface Series {
  id: string
  title: string
  value: (s: Sample) => number
  format: (n: number) => string
}

const SERIES: Series[] = [
  { id: 'records', title: 'records', value: s => s.records, format: count },
  { id: 'bytes', title: 'bytes', value: s => s.bytes, format: size },
  { id: 'keys', title: 'inboxes and names', value: s => s.keys, format: count },
  { id: 'topics', title: 'topics followed', value: s => s.topics, format: count }
]

export function renderStatusPage ({ status, samples, now }: PageInput): string {
  const current: Sample = {
    at: now,
    records: status.records,
    bytes: status.bytes,
    keys: status.keys,
    topics: status.topics,
    connections: status.connections,
    refused: sumValues(status.counters.refused)
  }
  const points = [...samples.filter(s => s.at < now), current]
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="${PAGE_REFRESH_SECONDS}">
<title>ipts relay ${esc(short(status.peerId))}</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>ipts relay</h1>
<p class="peer">peer ID <code id="peer-id">${esc(status.peerId)}</code></p>
<p>up <span id="uptime">${esc(duration(status.uptime * 1000))}</span> · ${status.connections} connection(s) · ${status.alone ? '<strong class="warn">alone: no other relay or DHT peer known</strong>' : `${status.relays.length} relay(s) connected`}</p>
</header>
<section class="figures">
${figure('records', 'records', count(status.records))}
${figure('bytes', 'bytes held', size(status.bytes))}
${figure('keys', 'inboxes and names', count(status.keys))}
${figure('topics', 'topics followed', count(status.topics))}
${figure('tombstones', 'tombstones', count(status.tombstones))}
${figure('refused', 'refused since start', count(current.refused))}
</section>
<section>
<h2>Last ${esc(duration(Math.max(0, now - points[0].at)))}</h2>
<div class="charts">
${SERIES.map(s => chart(s, points)).join('\n')}
</div>
</section>
<section>
<h2>Limits</h2>
<table id="limits">
<thead><tr><th>limit</th><th>value</th><th>use</th><th>refused</th></tr></thead>
<tbody>
${status.limits.map(limitRow).join('\n')}
</tbody>
</table>
</section>
<section>
<h2>Refusals</h2>
${refusals(status, now)}
</section>
<section>
<h2>Connected relays</h2>
${status.relays.length === 0 ? '<p id="relays">none</p>' : `<ul id="relays">${status.relays.map(r => `<li><code>${esc(r)}</code></li>`).join('')}</ul>`}
</section>
<section>
<h2>Addresses</h2>
<ul id="addrs">${status.addrs.map(a => `<li><code>${esc(a)}</code></li>`).join('')}</ul>
</section>
<footer>JSON at <a href="/status">/status</a> · Prometheus at <a href="/metrics">/metrics</a> · reloads every ${PAGE_REFRESH_SECONDS} s</footer>
</body>
</html>
`
}

function figure (id: string, label: string, value: string): string {
  return `<div class="figure"><div class="value" id="${id}">${esc(value)}</div><div class="label">${esc(label)}</div></div>`
}

/** One series as an SVG polyline, time on x (first sample to now), 0 to the series' peak on y. */
function chart (series: Series, points: Sample[]): string {
  const t0 = points[0].at
  const t1 = points[points.length - 1].at
  const values = points.map(series.value)
  const peak = Math.max(1, ...values)
  const x = (at: number): number => t1 === t0 ? CHART_WIDTH : (at - t0) / (t1 - t0) * CHART_WIDTH
  const y = (v: number): number => CHART_HEIGHT - v / peak * (CHART_HEIGHT - 4) - 2
  const coords = points.map((p, i) => `${x(p.at).toFixed(1)},${y(values[i]).toFixed(1)}`)
  const last = coords[coords.length - 1].split(',')
  return `<figure class="chart">
<figcaption>${esc(series.title)}: <strong>${esc(series.format(values[values.length - 1]))}</strong> <span class="peak">peak ${esc(series.format(Math.max(...values)))}</span></figcaption>
<svg id="chart-${series.id}" class="series" data-points="${points.length}" viewBox="0 0 ${CHART_WIDTH} ${CHART_HEIGHT}" width="${CHART_WIDTH}" height="${CHART_HEIGHT}" role="img" aria-label="${esc(series.title)} over time">
<line x1="0" y1="${CHART_HEIGHT - 1}" x2="${CHART_WIDTH}" y2="${CHART_HEIGHT - 1}" class="axis"/>
<polyline points="${coords.join(' ')}"/>
<circle cx="${last[0]}" cy="${last[1]}" r="3"/>
</svg>
</figure>`
}

function limitRow (limit: RelayLimit): string {
  const format = limit.unit === 'bytes' ? size : limit.unit === 'ms' ? (n: number) => duration(n) : (n: number) => `${count(n)} ${limit.unit}`
  let use = '<span class="muted">per item or per peer</span>'
  if (limit.used != null) {
    const ratio = limit.value > 0 ? limit.used / limit.value : 0
    use = `<meter min="0" max="1" low="0.75" high="0.9" optimum="0" value="${ratio.toFixed(4)}"></meter> ${esc(format(limit.used))} (${(ratio * 100).toFixed(ratio < 0.1 ? 2 : 1)}%)`
  }
  return `<tr data-limit="${esc(limit.name)}"><td><code>${esc(limit.name)}</code></td><td>${esc(format(limit.value))}</td><td>${use}</td><td class="${limit.refused > 0 ? 'warn' : ''}">${count(limit.refused)} <span class="muted">${esc(limit.reason)}</span></td></tr>`
}

function refusals (status: RelayStatus, now: number): string {
  const totals = status.counters.refused as Record<string, number>
  const reasons = Object.entries(totals).filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1])
  if (reasons.length === 0) return '<p id="refusals">none since start</p>'
  const lastSeen = new Map<string, number>()
  for (const r of status.recentRefusals) {
    if (!lastSeen.has(r.reason)) lastSeen.set(r.reason, r.at)
  }
  const rows = reasons.map(([reason, n]) => {
    const info = (REFUSALS as Record<string, { kind: string, meaning: string } | undefined>)[reason]
    const seen = lastSeen.get(reason)
    return `<tr data-reason="${esc(reason)}"><td><code>${esc(reason)}</code></td><td>${esc(info?.kind ?? '')}</td><td class="count">${count(n)}</td><td>${seen == null ? '' : `${esc(duration(Math.max(0, now - seen)))} ago`}</td><td>${esc(info?.meaning ?? '')}</td></tr>`
  })
  const recent = status.recentRefusals.slice(0, 10).map(r =>
    `<li>${esc(new Date(r.at).toISOString())} <code>${esc(r.reason)}</code> via ${esc(r.source)}</li>`)
  return `<table id="refusals">
<thead><tr><th>reason</th><th>kind</th><th>since start</th><th>last</th><th>meaning</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table>
<h3>Most recent</h3>
<ol class="recent">${recent.join('')}</ol>`
}

function sumValues (map: unknown): number {
  let total = 0
  for (const n of Object.values((map ?? {}) as Record<string, number>)) total += n
  return total
}

function short (peerId: string): string {
  return peerId.length > 16 ? `${peerId.slice(0, 8)}…${peerId.slice(-6)}` : peerId
}

function count (n: number): string {
  return n.toLocaleString('en-US')
}

function size (n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let v = n
  let i = 0
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024
    i++
  }
  return i === 0 ? `${n} B` : `${v.toFixed(v < 10 ? 2 : 1)} ${units[i]}`
}

function duration (ms: number): string {
  const s = Math.floor(ms / 1000)
  const parts: Array<[number, string]> = [[Math.floor(s / 86400), 'd'], [Math.floor(s / 3600) % 24, 'h'], [Math.floor(s / 60) % 60, 'min'], [s % 60, 's']]
  const first = parts.findIndex(([v]) => v > 0)
  if (first === -1) return ms > 0 && ms < 1000 ? `${ms} ms` : '0 s'
  return parts.slice(first, first + 2).filter(([v]) => v > 0).map(([v, u]) => `${v} ${u}`).join(' ')
}

function esc (text: string): string {
  return text.replace(/[&<>"']/g, c => `&#${c.charCodeAt(0)};`)
}

const STYLE = `
:root { color-scheme: light dark; --fg: #1b1f24; --muted: #6b7280; --line: #2563eb; --warn: #b45309; --bg: #fff; --card: #f3f4f6; }
@media (prefers-color-scheme: dark) { :root { --fg: #e5e7eb; --muted: #9ca3af; --line: #60a5fa; --warn: #f59e0b; --bg: #111827; --card: #1f2937; } }
body { font: 14px/1.45 system-ui, sans-serif; color: var(--fg); background: var(--bg); margin: 0 auto; padding: 1rem 1.5rem; max-width: 1100px; }
h1 { margin: 0 0 .25rem; font-size: 1.4rem; } h2 { font-size: 1.05rem; margin: 1.5rem 0 .5rem; } h3 { font-size: .95rem; }
code { font: 12px ui-monospace, monospace; word-break: break-all; }
.figures { display: flex; flex-wrap: wrap; gap: .75rem; margin-top: 1rem; }
.figure { background: var(--card); border-radius: 6px; padding: .5rem .9rem; min-width: 8rem; }
.figure .value { font-size: 1.4rem; font-weight: 600; } .figure .label, .muted, .peak { color: var(--muted); font-size: 12px; }
.charts { display: flex; flex-wrap: wrap; gap: 1rem; }
.chart { margin: 0; background: var(--card); border-radius: 6px; padding: .5rem; }
.chart svg { display: block; } .chart polyline { fill: none; stroke: var(--line); stroke-width: 1.5; } .chart circle { fill: var(--line); } .chart .axis { stroke: var(--muted); stroke-width: .5; }
table { border-collapse: collapse; width: 100%; } th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid var(--card); vertical-align: top; }
meter { width: 8rem; } .warn { color: var(--warn); } ul, ol { padding-left: 1.2rem; } footer { margin-top: 2rem; color: var(--muted); }
`
