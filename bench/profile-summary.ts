/**
 * Summarises a V8 `.cpuprofile` (from `node --cpu-prof`, or IPTS_BENCH_CPU_PROF=dir for the
 * benches' relay children and the inbox client window) as markdown tables: self time by
 * function, self time by package (node_modules/<pkg>, src/<dir>, bench, node:<module>, or V8's
 * own buckets such as (garbage collector)), and inclusive time of named groups of frames.
 * Idle time ("(idle)") is left out of the percentages: they are shares of the CPU the profiled
 * thread spent. V8 samples the main thread only: LevelDB's thread pool and V8's concurrent GC
 * threads do not appear (the benches' `process.cpuUsage` figures include them).
 *
 * Run: node dist/bench/profile-summary.js FILE.cpuprofile [top=25] [--window START_MS END_MS]
 *   [--callers REGEX]  (inclusive time of matching frames by their nearest callers, instead)
 *   --window keeps samples taken between those offsets (ms from the profile's start).
 */
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

interface CallFrame { functionName: string, url: string, lineNumber: number, columnNumber: number }
interface ProfileNode { id: number, callFrame: CallFrame, children?: number[] }
export interface CpuProfile { nodes: ProfileNode[], startTime: number, endTime: number, samples: number[], timeDeltas: number[] }

/** The package a frame belongs to. */
export function packageOf (frame: CallFrame): string {
  const url = frame.url
  if (url === '') return frame.functionName.startsWith('(') ? frame.functionName : '(native)'
  const nm = url.lastIndexOf('/node_modules/')
  if (nm >= 0) {
    const parts = url.slice(nm + '/node_modules/'.length).split('/')
    return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]
  }
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/').slice(0, 2).join('/')}`
  const src = url.match(/\/dist\/(src|bench|test)\/([^/]+)/)
  if (src != null) return src[1] === 'src' ? `src/${src[2].replace(/\.js$/, '')}` : src[1]
  return url
}

function frameName (frame: CallFrame): string {
  const fn = frame.functionName === '' ? '(anonymous)' : frame.functionName
  if (frame.url === '') return fn
  const file = frame.url.replace(/^.*\/node_modules\//, '').replace(/^file:\/\/.*\/dist\//, '')
  return `${fn} ${file}:${frame.lineNumber + 1}`
}

/** Groups whose inclusive time the summary reports: a sample counts once if any frame matches. */
export const GROUPS: Array<{ name: string, test: (f: CallFrame) => boolean }> = [
  { name: 'gossipsub message signature check (incl. key from peer ID)', test: f => /gossipsub/.test(f.url) && /validateToRawMessage|verifySignature/.test(f.functionName) },
  { name: 'Ed25519 verify (node:crypto one-shot, incl. its key-slot lookup), any caller', test: f => f.functionName === 'verifyOneShot' || (f.functionName === 'verify' && /ed25519|crypto\/sig/.test(f.url)) },
  { name: 'key import (createPublicKey), any caller', test: f => f.functionName === 'createPublicKey' },
  { name: 'public key from peer ID / protobuf (key rebuild)', test: f => /publicKeyFromProtobuf|peerIdFromString|peerIdFromMultihash|publicKeyFromMultihash|unmarshalEd25519PublicKey|unmarshalPublicKey/.test(f.functionName) },
  { name: 'our RecordValidator (src/record)', test: f => /\/dist\/src\/record\//.test(f.url) },
  { name: 'our ingest (src/relay/ingest)', test: f => /\/dist\/src\/relay\/ingest\.js/.test(f.url) },
  { name: 'our store incl. LevelDB calls (src/relay/store*)', test: f => /\/dist\/src\/relay\/store/.test(f.url) },
  { name: 'process start-up (module loading, bootstrap)', test: f => /^node:internal\/(modules|bootstrap)/.test(f.url) },
  { name: 'the relays\' feed: handing each stored record on (frame, batch, encode, send)', test: f => (f.functionName === 'publish' || f.functionName === 'flush') && /\/dist\/src\/relay\/feed/.test(f.url) },
  { name: '(garbage collector), main thread', test: f => f.functionName === '(garbage collector)' },
  { name: 'LevelDB bindings (classic-level, abstract-level)', test: f => /classic-level|abstract-level|level-transcoder/.test(f.url) },
  { name: 'protobuf decode/encode (protons-runtime, uint8arraylist)', test: f => /protons-runtime|\/pb\//.test(f.url) },
  { name: 'DAG-CBOR (cborg, @ipld/dag-cbor)', test: f => /cborg|dag-cbor/.test(f.url) },
  { name: 'noise (encryption of the connection, incl. its ciphers)', test: f => /@chainsafe\/libp2p-noise/.test(f.url) },
  { name: 'yamux (stream multiplexing)', test: f => /@chainsafe\/libp2p-yamux/.test(f.url) },
  { name: 'gossipsub (all of it)', test: f => /@libp2p\/gossipsub|@chainsafe\/libp2p-gossipsub/.test(f.url) },
  { name: 'sealed-box open, all of it (src/crypto/seal openSealed)', test: f => f.functionName === 'openSealed' },
  { name: 'X25519 (node:crypto diffieHellman), any caller', test: f => f.functionName === 'diffieHellman' && f.url.startsWith('node:') },
  { name: 'XChaCha20-Poly1305 and HKDF in pure JS (@noble/ciphers, @noble/hashes), any caller', test: f => /@noble\/(ciphers|hashes)/.test(f.url) },
  { name: 'client state (src/client/state)', test: f => /\/dist\/src\/client\/state/.test(f.url) }
]

export interface Summary {
  totalMs: number
  idleMs: number
  byFunction: Array<[string, number]>
  byPackage: Array<[string, number]>
  groups: Array<[string, number]>
}

export function summarise (profile: CpuProfile, window?: [number, number]): Summary {
  const byId = new Map<number, ProfileNode>()
  const parent = new Map<number, number>()
  for (const n of profile.nodes) {
    byId.set(n.id, n)
    for (const c of n.children ?? []) parent.set(c, n.id)
  }
  const selfById = new Map<number, number>()
  let t = 0
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = profile.timeDeltas[i] ?? 0
    t += dt
    const at = t / 1000
    if (window != null && (at < window[0] || at > window[1])) continue
    // a sample's time is the delta to the next sample
    const next = (profile.timeDeltas[i + 1] ?? 0) / 1000
    selfById.set(profile.samples[i], (selfById.get(profile.samples[i]) ?? 0) + next)
  }
  const byFunction = new Map<string, number>()
  const byPackage = new Map<string, number>()
  const groups = new Map<string, number>()
  let totalMs = 0
  let idleMs = 0
  for (const [id, ms] of selfById) {
    const node = byId.get(id)
    if (node == null) continue
    if (node.callFrame.functionName === '(idle)') { idleMs += ms; continue }
    totalMs += ms
    const fn = frameName(node.callFrame)
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + ms)
    const pkg = packageOf(node.callFrame)
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + ms)
    // inclusive: walk the stack once, each group counted once per sample
    const hit = new Set<string>()
    for (let cur: number | undefined = id; cur != null; cur = parent.get(cur)) {
      const frame = byId.get(cur)?.callFrame
      if (frame == null) break
      for (const g of GROUPS) if (!hit.has(g.name) && g.test(frame)) hit.add(g.name)
    }
    for (const g of hit) groups.set(g, (groups.get(g) ?? 0) + ms)
  }
  const sorted = (m: Map<string, number>): Array<[string, number]> => [...m].sort((a, b) => b[1] - a[1])
  return { totalMs, idleMs, byFunction: sorted(byFunction), byPackage: sorted(byPackage), groups: GROUPS.map(g => [g.name, groups.get(g.name) ?? 0]) }
}

function table (title: string, rows: Array<[string, number]>, total: number, top: number): string {
  const lines = [`| ${title} | self ms | % of CPU |`, '| --- | ---: | ---: |']
  for (const [name, ms] of rows.slice(0, top)) lines.push(`| ${name.replace(/\|/g, '\\|')} | ${ms.toFixed(0)} | ${(100 * ms / total).toFixed(1)} |`)
  return lines.join('\n')
}

export function markdown (s: Summary, top = 25): string {
  // the benches' own windows start after the process has loaded its modules: a second share
  // leaves start-up out
  const startup = s.groups.find(([name]) => name.startsWith('process start-up'))?.[1] ?? 0
  const groups = ['| group (inclusive: a sample counts if any frame on its stack matches) | ms | % of CPU | % of CPU after start-up |', '| --- | ---: | ---: | ---: |']
  for (const [name, ms] of s.groups) groups.push(`| ${name} | ${ms.toFixed(0)} | ${(100 * ms / s.totalMs).toFixed(1)} | ${name.startsWith('process start-up') ? '' : (100 * ms / (s.totalMs - startup)).toFixed(1)} |`)
  return [
    `Main-thread CPU sampled: ${s.totalMs.toFixed(0)} ms (idle ${s.idleMs.toFixed(0)} ms left out).`,
    '',
    table('package', s.byPackage, s.totalMs, top),
    '',
    table('function', s.byFunction, s.totalMs, top),
    '',
    groups.join('\n')
  ].join('\n')
}

/** Inclusive time of frames whose name matches `pattern`, by their nearest `depth` callers. */
export function callers (profile: CpuProfile, pattern: RegExp, depth = 4): Array<[string, number]> {
  const byId = new Map<number, ProfileNode>()
  const parent = new Map<number, number>()
  for (const n of profile.nodes) {
    byId.set(n.id, n)
    for (const c of n.children ?? []) parent.set(c, n.id)
  }
  const out = new Map<string, number>()
  for (let i = 0; i < profile.samples.length; i++) {
    const ms = (profile.timeDeltas[i + 1] ?? 0) / 1000
    for (let cur: number | undefined = profile.samples[i]; cur != null; cur = parent.get(cur)) {
      const frame = byId.get(cur)?.callFrame
      if (frame == null) break
      if (!pattern.test(frameName(frame))) continue
      const chain: string[] = []
      for (let p = parent.get(cur); p != null && chain.length < depth; p = parent.get(p)) chain.push(frameName(byId.get(p)!.callFrame))
      const key = `${frameName(frame)} <- ${chain.join(' <- ')}`
      out.set(key, (out.get(key) ?? 0) + ms)
      break
    }
  }
  return [...out].sort((a, b) => b[1] - a[1])
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const file = process.argv[2]
  if (file == null) throw new Error('usage: profile-summary FILE.cpuprofile [top] [--window START_MS END_MS]')
  const w = process.argv.indexOf('--window')
  const window: [number, number] | undefined = w > 0 ? [Number(process.argv[w + 1]), Number(process.argv[w + 2])] : undefined
  const top = Number(process.argv[3] != null && !process.argv[3].startsWith('--') ? process.argv[3] : 25)
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile
  const c = process.argv.indexOf('--callers')
  if (c > 0) {
    for (const [chain, ms] of callers(profile, new RegExp(process.argv[c + 1])).slice(0, top)) console.log(`${ms.toFixed(0)} ms  ${chain}`)
  } else {
    console.log(markdown(summarise(profile, window), top))
  }
}
