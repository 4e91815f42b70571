/**
 * The comparison as a markdown table and as a hand-written SVG chart: delivery against churn,
 * and wire bytes per delivered message against churn, one line per system.
 */
import type { SimResult } from './simulate.ts'
import type { RunResult } from './engine.ts'

const pct = (n: number, d: number): string => d === 0 ? '-' : `${(100 * n / d).toFixed(1)}%`
const num = (n: number | undefined): string => n == null ? '-' : String(n)
const kib = (n: number | undefined): string => n == null ? '-' : (n / 1024).toFixed(1)

/** Event-loop delay (p99) above which a run is flagged as measuring the machine rather than the protocol. */
export const OVERLOADED_MS = 1000

/** Delivered among messages whose receiver was online in the send round or later (what any system could deliver). */
export function deliveredOfReachable (r: RunResult): number {
  return r.summary.reachable === 0 ? 1 : r.summary.deliveredOfReachable / r.summary.reachable
}

function row (r: RunResult, relays: number): string {
  const s = r.summary
  const custody = s.custodied == null ? '-' : `${s.custodiedFull}/${s.sent}`
  const held = `${s.storage.recordsHeld} (${s.storage.staleRecords ?? '-'} delivered)`
  const disk = s.storage.diskBytes == null ? '-' : `${kib(s.storage.diskBytes / Math.max(1, relays))}`
  const unhandled = Object.values(s.unhandledRejections ?? {}).reduce((a, b) => a + b, 0)
  return `| ${r.churn} | ${r.system} | ${s.sent} | ${s.delivered} (${pct(s.delivered, s.sent)}) | ${s.reachable} | **${pct(s.deliveredOfReachable, s.reachable)}** | ${pct(s.deliveredOfReceiverBackLater, s.receiverBackLater)} | ${custody} | ${num(s.latencyRounds.median)} / ${num(s.latencyRounds.p95)} | ${kib(s.wireBytesPerDelivered)} | ${s.deletions ? 'yes' : 'no'} | ${held} | ${disk} | ${s.heapPeakMB} | ${s.loopDelayMs.p99}${s.loopDelayMs.p99 > OVERLOADED_MS ? ' (overloaded)' : ''} | ${(s.wallMs / 1000).toFixed(0)}${unhandled > 0 ? ` (${unhandled} unhandled rejections)` : ''} |`
}

export function markdownTable (result: SimResult): string {
  const c = result.config
  const lines = [
    `${c.relays} relays, ${c.users} users, ${c.rounds} + ${c.cooldown} rounds of ${c.roundMs} ms, ${c.contacts} contacts each, send rate ${c.sendRate}, rejoin ${c.rejoin}, relay crash ${c.relayChurn ?? 'churn/3'} per round, seed ${c.seed}; ${result.machine.cpus} CPUs, Node ${result.machine.node}, ${(result.wallMs / 1000).toFixed(0)} s in all.`,
    '',
    '| churn | system | sent | delivered | reachable | delivered of reachable | of receivers back after the send round | custody (2 relays) | latency, rounds (median / p95) | wire KiB / delivered | deletions | records held at end | relay disk, KiB each | heap, MB | loop delay p99, ms | wall s |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...result.runs.map(r => row(r, c.relays))
  ]
  for (const f of result.failed) lines.push(`| ${f.churn} | ${f.system} | failed: ${f.error} |`)
  lines.push('', `reachable: messages whose receiver was online in the send round or later. records held at end: copies still stored (relays / DHT nodes / name followers), and how many of them carry only messages already delivered. heap: peak V8 heap of the run (all its nodes share one worker thread). loop delay: that thread's event-loop delay; "overloaded" (p99 over ${OVERLOADED_MS} ms) means timeouts fired because this machine was saturated, so that row measures the machine more than the protocol.`)
  return lines.join('\n')
}

const COLORS: Record<string, string> = { ipts: '#1b7f3b', 'ipns-pubsub': '#c0392b', 'dht-put': '#2c6fbb' }
const escape = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')

interface Panel {
  title: string
  yLabel: string
  value(r: RunResult): number | undefined
  max(values: number[]): number
  format(v: number): string
}

function panel (result: SimResult, p: Panel, left: number, top: number, w: number, h: number): string[] {
  const out: string[] = []
  const churns = [...new Set(result.runs.map(r => r.churn))].sort((a, b) => a - b)
  const lo = churns[0] ?? 0
  const hi = churns[churns.length - 1] ?? 1
  const values = result.runs.map(p.value).filter((v): v is number => v != null)
  const max = p.max(values)
  const x = (churn: number): number => left + (hi === lo ? w / 2 : 20 + (churn - lo) / (hi - lo) * (w - 40))
  const y = (v: number): number => top + (1 - Math.min(v, max) / max) * h
  out.push(`<text x="${left}" y="${top - 12}" font-size="13" font-weight="bold">${escape(p.title)}</text>`)
  for (let i = 0; i <= 4; i++) {
    const v = max * i / 4
    out.push(`<line x1="${left}" x2="${left + w}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#e3e3e3"/>`)
    out.push(`<text x="${left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${p.format(v)}</text>`)
  }
  for (const churn of churns) {
    out.push(`<line x1="${x(churn)}" x2="${x(churn)}" y1="${top + h}" y2="${top + h + 5}" stroke="#333"/>`)
    out.push(`<text x="${x(churn)}" y="${top + h + 18}" text-anchor="middle">${churn}</text>`)
  }
  out.push(`<line x1="${left}" x2="${left + w}" y1="${top + h}" y2="${top + h}" stroke="#333"/>`)
  out.push(`<line x1="${left}" x2="${left}" y1="${top}" y2="${top + h}" stroke="#333"/>`)
  out.push(`<text x="${left + w / 2}" y="${top + h + 36}" text-anchor="middle">churn</text>`)
  out.push(`<text transform="translate(${left - 48} ${top + h / 2}) rotate(-90)" text-anchor="middle">${escape(p.yLabel)}</text>`)
  // ipts last, so that its line is on top where lines meet
  for (const system of [...result.config.systems].reverse()) {
    const color = COLORS[system] ?? '#333'
    const points = result.runs.filter(r => r.system === system).sort((a, b) => a.churn - b.churn)
      .map(r => [r.churn, p.value(r)] as const).filter((pt): pt is readonly [number, number] => pt[1] != null)
      .map(([c, v]) => [x(c), y(v)] as const)
    if (points.length > 1) {
      out.push(`<polyline fill="none" stroke="${color}" stroke-width="2.5" points="${points.map(pt => `${pt[0].toFixed(1)},${pt[1].toFixed(1)}`).join(' ')}"/>`)
    }
    for (const [px, py] of points) out.push(`<circle cx="${px.toFixed(1)}" cy="${py.toFixed(1)}" r="4" fill="${color}"/>`)
  }
  return out
}

/** Two panels side by side, a shared legend underneath. */
export function svgChart (result: SimResult): string {
  const width = 820
  const height = 380
  const c = result.config
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="20" y="24" font-size="15" font-weight="bold">ipts vs IPNS over pubsub vs DHT put, same workload</text>`,
    `<text x="20" y="42" fill="#555">${escape(`${c.relays} relays, ${c.users} users, ${c.rounds}+${c.cooldown} rounds, ${c.contacts} contacts, rejoin ${c.rejoin}, seed ${c.seed}; churn = per-round chance an online user goes offline`)}</text>`,
    ...panel(result, {
      title: 'Delivered, of messages whose receiver came online',
      yLabel: 'delivered / reachable',
      value: deliveredOfReachable,
      max: () => 1,
      format: v => `${(v * 100).toFixed(0)}%`
    }, 80, 86, 300, 200),
    ...panel(result, {
      title: 'Wire bytes per delivered message',
      yLabel: 'KiB',
      value: r => r.summary.wireBytesPerDelivered == null ? undefined : r.summary.wireBytesPerDelivered / 1024,
      max: values => {
        const top = Math.max(1, ...values)
        const step = 10 ** Math.floor(Math.log10(top))
        return Math.ceil(top / step) * step
      },
      format: v => v.toFixed(0)
    }, 500, 86, 300, 200)
  ]
  const systems = c.systems.filter(s => result.runs.some(r => r.system === s))
  systems.forEach((system, i) => {
    const color = COLORS[system] ?? '#333'
    const lx = 80 + i * 200
    const ly = height - 18
    parts.push(`<line x1="${lx}" x2="${lx + 24}" y1="${ly - 4}" y2="${ly - 4}" stroke="${color}" stroke-width="2.5"/>`)
    parts.push(`<text x="${lx + 30}" y="${ly}">${escape(system)}</text>`)
  })
  parts.push('</svg>')
  return parts.join('\n') + '\n'
}
