/**
 * The profiling hooks of the benches: a relay child started with IPTS_BENCH_CPU_PROF writes a
 * `.cpuprofile` when it stops, and bench/profile-summary.ts attributes a real profile's time to
 * the functions, packages and groups that spent it.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { callers, markdown, summarise } from '../../bench/profile-summary.ts'
import { CPU_PROF_ENV, RelayProcess } from '../../bench/relay-process.ts'
import type { CpuProfile } from '../../bench/profile-summary.ts'

// about 400 ms: Ed25519 verifies in a loop, then a JS spin of about the same length
const SCRIPT = `
import crypto from 'node:crypto'
const { publicKey, privateKey } = crypto.generateKeyPairSync('ed25519')
const message = Buffer.alloc(200, 1)
const signature = crypto.sign(null, message, privateKey)
function verifyLoop () { const end = Date.now() + 200; while (Date.now() < end) crypto.verify(null, message, publicKey, signature) }
function spinHere () { let x = 0; const end = Date.now() + 200; while (Date.now() < end) x += Math.sqrt(x + 1); return x }
verifyLoop()
spinHere()
`

async function profileOf (dir: string): Promise<CpuProfile> {
  const files = (await readdir(dir)).filter(f => f.endsWith('.cpuprofile'))
  assert.equal(files.length, 1, `one profile in ${dir}: ${files.join(', ')}`)
  return JSON.parse(await readFile(join(dir, files[0]), 'utf8')) as CpuProfile
}

describe('profile-summary', () => {
  let dir = ''
  let profile: CpuProfile
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ipts-prof-test-'))
    const script = join(dir, 'work.mjs')
    await writeFile(script, SCRIPT)
    const out = join(dir, 'out')
    const code = await new Promise<number | null>((resolve) => {
      const child = spawn(process.execPath, ['--cpu-prof', '--cpu-prof-dir', out, script], { stdio: 'inherit' })
      const timer = setTimeout(() => { child.kill('SIGKILL') }, 60_000)
      child.on('exit', (c) => { clearTimeout(timer); resolve(c) })
    })
    assert.equal(code, 0)
    profile = await profileOf(out)
  })
  after(async () => { await rm(dir, { recursive: true, force: true }) })

  it('puts the verify loop in node:crypto and the spin in the script, each near half', () => {
    const s = summarise(profile)
    const share = (rows: Array<[string, number]>, test: (name: string) => boolean): number =>
      rows.filter(([name]) => test(name)).reduce((sum, [, ms]) => sum + ms, 0) / s.totalMs
    const verify = s.groups.find(([name]) => name.startsWith('Ed25519 verify'))?.[1] ?? 0
    assert.ok(verify / s.totalMs > 0.25 && verify / s.totalMs < 0.75, `verify share ${verify / s.totalMs}`)
    const spin = share(s.byFunction, name => name.startsWith('spinHere '))
    assert.ok(spin > 0.25 && spin < 0.75, `spin share ${spin}`)
    assert.ok(share(s.byPackage, name => name === 'node:internal/crypto') > 0.1, 'node:internal/crypto listed')
    // the shares add up: every sampled non-idle millisecond is in exactly one function
    assert.ok(Math.abs(s.byFunction.reduce((sum, [, ms]) => sum + ms, 0) - s.totalMs) < 1)
    assert.match(markdown(s, 5), /\| function \| self ms \| % of CPU \|/)
  })

  it('names the callers of a frame', () => {
    const rows = callers(profile, /^verifyOneShot/)
    assert.ok(rows.length > 0)
    assert.match(rows[0][0], /<- verifyLoop /)
  })
})

describe(`${CPU_PROF_ENV}`, () => {
  it('makes a relay child write its profile when it stops', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ipts-prof-relay-'))
    const before = process.env[CPU_PROF_ENV]
    process.env[CPU_PROF_ENV] = dir
    try {
      const host = await RelayProcess.start({})
      delete process.env[CPU_PROF_ENV]
      await host.stop()
      const s = summarise(await profileOf(dir))
      // a profile with samples; which frames a start-and-stop happens to sample depends on the
      // machine's load, so the test does not require our own code among them
      assert.ok(s.totalMs > 0, 'the profile holds samples')
    } finally {
      if (before == null) delete process.env[CPU_PROF_ENV]
      else process.env[CPU_PROF_ENV] = before
      await rm(dir, { recursive: true, force: true })
    }
  })
})
