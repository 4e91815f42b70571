/** The comparison as a markdown table and as a hand-written SVG chart (delivery ratio vs churn). */
import type { SimResult } from './simulate.ts'
import type { RunResult } from './engine.ts'

const pct = (n: number, d: number): string => d === 0 ? '-' : `${(100 * n / d).toFixed(1)}%`
const num = (n: number | undefined): string => n == null ? '-' : String(n)
const kib = (n: number | undefined): string => n == null ? '-' : (n / 1024).toFixed(1)

function row (r: RunResult): string {
  const s = r.summary
  const custody = s.custodied == null ? '-' : `${s.custodiedFull}/${s.sent}`
  const held = `${s.storage.recordsHeld} (${s.storage.staleRecords ?? '-'} stale)`
  return `| ${r.churn} | ${r.system} | ${s.sent} | ${s.delivered} | **${pct(s.delivered, s.sent)}** | ${pct(s.deliveredOfReceiverBackLater, s.receiverBackLater)} | ${pct(s.deliveredOfOverlap, s.overlap)} | ${custody} | ${num(s.latencyRounds.median)} / ${num(s.latencyRounds.p95)} | ${num(s.latencyMs.median)} / ${num(s.latencyMs.p95)} | ${kib(s.wireBytesPerDelivered)} | ${s.deletions ? 'yes' : 'no'} | ${held} | ${(s.wallMs / 1000).toFixed(0)} |`
}

export function markdownTable (result: SimResult): string {
  const c = result.config
  const lines = [
    `${c.relays} relays, ${c.users} users, ${c.rounds} + ${c.cooldown} rounds of ${c.roundMs} ms, ${c.contacts} contacts each, send rate ${c.sendRate}, rejoin ${c.rejoin}, seed ${c.seed}; ${result.machine.cpus} CPUs, Node ${result.machine.node}, ${(result.wallMs / 1000).toFixed(0)} s in all.`,
    '',
    '| churn | system | sent | delivered | ratio | of receivers back later | of sender-receiver overlaps | custody (2 relays) | latency rounds (median / p95) | latency ms (median / p95) | wire KiB / delivered | deletions | records held at end | wall s |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...result.runs.map(row)
  ]
  for (const f of result.failed) lines.push(`| ${f.churn} | ${f.system} | failed: ${f.error} |`)
  return lines.join('\n')
}

const COLORS: Record<string, string> = { ipts: '#1b7f3b', 'ipns-pubsub': '#c0392b', 'dht-put': '#2c6fbb' }
const escape = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')

/** Delivery ratio (delivered / sent) against churn, one line per system. */
export function svgChart (result: SimResult): string {
  const width = 640
  const height = 400
  const m = { left: 64, right: 170, top: 48, bottom: 56 }
  const w = width - m.left - m.right
  const h = height - m.top - m.bottom
  const churns = [...new Set(result.runs.map(r => r.churn))].sort((a, b) => a - b)
  const lo = churns[0] ?? 0
  const hi = churns[churns.length - 1] ?? 1
  const x = (churn: number): number => m.left + (hi === lo ? w / 2 : (churn - lo) / (hi - lo) * w)
  const y = (ratio: number): number => m.top + (1 - ratio) * h
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${m.left}" y="22" font-size="15" font-weight="bold">Delivery ratio vs churn</text>`,
    `<text x="${m.left}" y="38" fill="#555">${escape(`${result.config.relays} relays, ${result.config.users} users, ${result.config.rounds}+${result.config.cooldown} rounds, seed ${result.config.seed}`)}</text>`
  ]
  for (let i = 0; i <= 5; i++) {
    const ratio = i / 5
    parts.push(`<line x1="${m.left}" x2="${m.left + w}" y1="${y(ratio)}" y2="${y(ratio)}" stroke="#ddd"/>`)
    parts.push(`<text x="${m.left - 8}" y="${y(ratio) + 4}" text-anchor="end">${(ratio * 100).toFixed(0)}%</text>`)
  }
  for (const churn of churns) {
    parts.push(`<line x1="${x(churn)}" x2="${x(churn)}" y1="${m.top + h}" y2="${m.top + h + 5}" stroke="#333"/>`)
    parts.push(`<text x="${x(churn)}" y="${m.top + h + 20}" text-anchor="middle">${churn}</text>`)
  }
  parts.push(`<line x1="${m.left}" x2="${m.left + w}" y1="${m.top + h}" y2="${m.top + h}" stroke="#333"/>`)
  parts.push(`<line x1="${m.left}" x2="${m.left}" y1="${m.top}" y2="${m.top + h}" stroke="#333"/>`)
  parts.push(`<text x="${m.left + w / 2}" y="${height - 14}" text-anchor="middle">churn (per-round chance an online user goes offline)</text>`)
  parts.push(`<text transform="translate(16 ${m.top + h / 2}) rotate(-90)" text-anchor="middle">delivered / sent</text>`)
  const systems = result.config.systems.filter(s => result.runs.some(r => r.system === s))
  systems.forEach((system, i) => {
    const color = COLORS[system] ?? '#333'
    const points = result.runs.filter(r => r.system === system).sort((a, b) => a.churn - b.churn)
      .map(r => [x(r.churn), y(r.summary.sent === 0 ? 1 : r.summary.delivered / r.summary.sent)] as const)
    if (points.length > 1) {
      parts.push(`<polyline fill="none" stroke="${color}" stroke-width="2.5" points="${points.map(p => `${p[0].toFixed(1)},${p[1].toFixed(1)}`).join(' ')}"/>`)
    }
    for (const [px, py] of points) parts.push(`<circle cx="${px.toFixed(1)}" cy="${py.toFixed(1)}" r="4" fill="${color}"/>`)
    const ly = m.top + 10 + i * 22
    parts.push(`<line x1="${m.left + w + 16}" x2="${m.left + w + 40}" y1="${ly}" y2="${ly}" stroke="${color}" stroke-width="2.5"/>`)
    parts.push(`<text x="${m.left + w + 46}" y="${ly + 4}">${escape(system)}</text>`)
  })
  parts.push('</svg>')
  return parts.join('\n') + '\n'
}
