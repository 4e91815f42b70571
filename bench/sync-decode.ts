/**
 * Responder-side decode CPU, before and after issue 9: the wasm decoder of `@peerbit/riblt`
 * (what the responder used, unbounded on hostile input) against `SymbolDecoder` (the wasm
 * encoder over the local set, then the bounded JS peel of src/sync/peel.ts). Same sets, same
 * coded batches (16, doubling, as an initiator sends them), run interleaved; each run checks both
 * found the same difference after the same number of coded symbols. CPU ms, median of `runs`.
 *
 * Run: `node_modules/.bin/tsc -p . && node_modules/.bin/node dist/bench/sync-decode.js [runs]`
 */
import { randomBytes } from 'node:crypto'
import { pathToFileURL } from 'node:url'
import { DecoderWrapper } from '@peerbit/riblt'
import { SymbolDecoder, SymbolEncoder, loadRiblt } from '../src/sync/riblt.ts'
import { sortedUnique } from '../src/sync/symbols.ts'
import type { CodedSymbol } from '../src/sync/peel.ts'

interface Run { ms: number, fed: number, differences: number }

const randomSymbol = (): bigint => randomBytes(8).readBigUInt64BE(0)
const cpuMs = (): number => { const u = process.cpuUsage(); return (u.user + u.system) / 1000 }
const median = (values: number[]): number => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)]

function batches (remote: bigint[]): CodedSymbol[][] {
  const encoder = new SymbolEncoder(remote)
  const out: CodedSymbol[][] = []
  for (let size = 16, i = 0; i < 14; i++, size *= 2) out.push(encoder.next(size))
  encoder.free()
  return out
}

async function decodeNew (local: bigint[], coded: CodedSymbol[][]): Promise<Run> {
  const start = cpuMs()
  const decoder = new SymbolDecoder(sortedUnique(local))
  let fed = 0
  let differences = 0
  for (const batch of coded) {
    const result = await decoder.add(batch, AbortSignal.timeout(60_000))
    fed += batch.length
    if (result.decoded) {
      differences = result.remoteOnly.length + result.localOnly.length
      break
    }
  }
  decoder.free()
  return { ms: cpuMs() - start, fed, differences }
}

function decodeOld (local: bigint[], coded: CodedSymbol[][]): Run {
  const start = cpuMs()
  const decoder = new DecoderWrapper()
  const set = sortedUnique(local)
  for (let i = 0; i < set.length; i++) decoder.add_symbol(set[i])
  let fed = 0
  for (const batch of coded) {
    for (const c of batch) decoder.add_coded_symbol(c)
    decoder.try_decode()
    fed += batch.length
    if (decoder.decoded()) break
  }
  const differences = decoder.get_remote_symbols().length + decoder.get_local_symbols().length
  decoder.free()
  return { ms: cpuMs() - start, fed, differences }
}

export async function run (runs = 7): Promise<string> {
  await loadRiblt()
  const lines = [
    `Responder decode CPU (ms), median of ${runs} interleaved runs.`,
    '',
    '| items | difference | coded symbols fed | wasm decoder | wasm encoder + JS peel | ratio |',
    '| ---: | ---: | ---: | ---: | ---: | ---: |'
  ]
  const n = (x: number): string => x.toLocaleString('en-US')
  for (const [items, difference] of [[20_000, 0], [20_000, 10], [20_000, 100], [20_000, 1000], [100_000, 100], [100_000, 10_000]]) {
    const before: number[] = []
    const after: number[] = []
    let fed = 0
    for (let r = 0; r < runs; r++) {
      const common = Array.from({ length: items - difference / 2 }, randomSymbol)
      const local = [...common, ...Array.from({ length: difference / 2 }, randomSymbol)]
      const remote = [...common, ...Array.from({ length: difference / 2 }, randomSymbol)]
      const coded = batches(remote)
      const oldFirst = r % 2 === 0
      const first = oldFirst ? decodeOld(local, coded) : await decodeNew(local, coded)
      const second = oldFirst ? await decodeNew(local, coded) : decodeOld(local, coded)
      const [o, x] = oldFirst ? [first, second] : [second, first]
      if (o.fed !== x.fed || o.differences !== difference || x.differences !== difference) {
        throw new Error(`decoders disagree: ${JSON.stringify({ old: o, new: x })}`)
      }
      before.push(o.ms)
      after.push(x.ms)
      fed = o.fed
    }
    lines.push(`| ${n(items)} | ${n(difference)} | ${n(fed)} | ${median(before).toFixed(1)} | ${median(after).toFixed(1)} | ${(median(after) / median(before)).toFixed(2)} |`)
  }
  return lines.join('\n')
}

if (process.argv[1] != null && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.stdout.write(await run(Number(process.argv[2] ?? 7)) + '\n')
}
