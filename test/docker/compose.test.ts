/**
 * The compose network and the image, checked as far as this machine allows: it has no container
 * engine, so nothing is built or started. `docker-compose config` (Debian's docker-compose,
 * installed by `.ci/run`) validates docker-compose.yml; every command a service runs is run here
 * through the real CLI with `--print-config` (or, for `ipts id`, for real) under the environment
 * the image and the service give it; the Dockerfile's shape is checked; and its HEALTHCHECK
 * command is run against a live relay.
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { parse as parseYaml } from 'yaml'
import { CLI_TIMEOUT, cleanEnv, peerIdOf, runCli, spawnRelay, tempDir } from '../utils/cli.ts'

const run = promisify(execFile)
const ROOT = fileURLToPath(new URL('../../../', import.meta.url))

interface Service {
  entrypoint?: string[]
  command?: string[]
  environment?: Record<string, string>
  ports?: string[]
  healthcheck?: { test?: string[] }
  depends_on?: Record<string, { condition: string }>
}

interface Image {
  stages: number
  env: Record<string, string>
  entrypoint: string[]
  cmd: string[]
  user?: string
  healthcheck?: string[]
  /** the final stage's lines */
  runtime: string[]
}

/** The Dockerfile's stages, and the final stage's environment, entrypoint, command, user and health check. */
async function readDockerfile (): Promise<Image> {
  const text = (await readFile(join(ROOT, 'Dockerfile'), 'utf8')).replace(/\\\n\s*/g, ' ')
  const lines = text.split('\n').map(l => l.trim()).filter(l => l !== '' && !l.startsWith('#'))
  const froms = lines.map((l, i) => [l, i] as const).filter(([l]) => /^FROM /i.test(l))
  const runtime = lines.slice(froms[froms.length - 1][1])
  const image: Image = { stages: froms.length, env: {}, entrypoint: [], cmd: [], runtime }
  for (const line of runtime) {
    const [, instruction, rest] = /^(\w+)\s+(.*)$/.exec(line) ?? []
    switch (instruction?.toUpperCase()) {
      case 'ENV':
        for (const [, k, v] of rest.matchAll(/(\w+)=(\S+)/g)) image.env[k] = v
        break
      case 'ENTRYPOINT': image.entrypoint = JSON.parse(rest); break
      case 'CMD': image.cmd = JSON.parse(rest); break
      case 'USER': image.user = rest; break
      case 'HEALTHCHECK': image.healthcheck = JSON.parse(rest.slice(rest.indexOf('CMD ') + 4)); break
    }
  }
  return image
}

/** Words of a shell command: double- or single-quoted strings, or runs of non-space. */
function words (command: string): string[] {
  return [...command.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map(m => m[1] ?? m[2] ?? m[3])
}

describe('docker-compose.yml and the Dockerfile (no engine here: validated, not run)', () => {
  let dir: { path: string, cleanup(): Promise<void> }
  let services: Record<string, Service>
  let image: Image

  before(async () => {
    dir = await tempDir('ipts-compose-test-')
    image = await readDockerfile()
  })
  after(async () => { await dir?.cleanup() })

  it('docker-compose config accepts the compose file', async (t) => {
    let out
    try {
      out = await run('docker-compose', ['-f', join(ROOT, 'docker-compose.yml'), 'config'], { cwd: ROOT, timeout: CLI_TIMEOUT })
    } catch (err: any) {
      const missing = 'docker-compose is not installed: apt-get install -y docker-compose (.ci/run does)'
      // CI (CI=true) installs it and must run this; elsewhere it is skipped, saying how to get it
      if (err.code === 'ENOENT' && process.env.CI !== 'true') { t.skip(missing); return }
      if (err.code === 'ENOENT') assert.fail(missing)
      assert.fail(`docker-compose config refused docker-compose.yml: ${String(err.stderr ?? err.message)}`)
    }
    services = parseYaml(out.stdout).services
    assert.deepEqual(Object.keys(services).sort(), ['bootstrap', 'inbox', 'receiver-id', 'relay2', 'relay3', 'send'])
    // the story's order: relays up and healthy, the receiver known, the sender gone before the inbox runs
    assert.equal(services.relay2.depends_on?.bootstrap.condition, 'service_healthy')
    assert.equal(services.send.depends_on?.relay2.condition, 'service_healthy')
    assert.equal(services.inbox.depends_on?.send.condition, 'service_completed_successfully')
  })

  it('every command a service runs parses with the CLI, under the environment it would have', async (t) => {
    if (services == null) { t.skip('needs docker-compose config (see above)'); return }
    assert.ok(services != null, 'the compose file was loaded')
    // the files in the `shared` volume hold peer IDs: give them real ones
    const ids = new Map<string, string>()
    const idOf = async (file: string): Promise<string> => {
      if (!ids.has(file)) ids.set(file, await peerIdOf(join(dir.path, 'ids', file)))
      return ids.get(file) as string
    }
    for (const [name, service] of Object.entries(services)) {
      await t.test(name, async () => {
        const entrypoint = service.entrypoint ?? image.entrypoint
        const command = service.command ?? image.cmd
        let invocations: string[][]
        if (entrypoint.join(' ') === 'ipts') {
          invocations = [command]
        } else {
          assert.deepEqual(entrypoint.slice(0, 1), ['sh'], `${name}: ipts, or a shell running ipts`)
          let script = command.join(' ').replaceAll('$$', '$')
          for (const [, file] of script.matchAll(/\$\(cat \/shared\/([\w-]+)\)/g)) {
            script = script.replace(`$(cat /shared/${file})`, await idOf(file))
          }
          invocations = script.split('&&').map(part => words(part.replace(/^\s*exec\s+/, '').replace(/>\s*\S+\s*$/, '')))
        }
        // the repo (/data in the image) becomes a directory here
        const repo = join(dir.path, 'repos', name)
        const env = cleanEnv({ ...image.env, ...service.environment, IPTS_REPO: repo })
        for (const words of invocations) {
          assert.equal(words[0], 'ipts', `${name} runs ipts: ${words.join(' ')}`)
          const args = words.slice(1)
          if (args[0] === 'id') {
            const result = await runCli(args, { env })
            assert.equal(result.code, 0, `${name}: ipts ${args.join(' ')}: ${result.stderr}`)
            assert.match(result.lines[0], /^12D3KooW/)
            continue
          }
          const result = await runCli([...args.filter(a => a !== '--json'), '--print-config', '--json'], { env })
          assert.equal(result.code, 0, `${name}: ipts ${args.join(' ')}: ${result.stderr}`)
          const settings = result.json[0].settings
          assert.equal(settings.repo.value, repo)
          if (args[0] === 'relay') {
            // peers reach it on every interface; its metrics stay on loopback unless the service asks
            assert.deepEqual(settings.listen.value, ['/ip4/0.0.0.0/tcp/4001'])
            const published = (service.ports ?? []).some(p => p.endsWith(':9090/tcp') || p.endsWith(':9090'))
            assert.equal(settings.metrics.value.host, published ? '0.0.0.0' : '127.0.0.1', `${name}: metrics host`)
            for (const p of service.ports ?? []) assert.match(p, /^127\.0\.0\.1:/, `${name} publishes to the host's loopback only`)
            if (name !== 'bootstrap') assert.deepEqual(settings.bootstrap.value, [`/ip4/172.28.0.10/tcp/4001/p2p/${await idOf('bootstrap-id')}`])
          }
          if (args[0] === 'send') assert.equal(settings.relays.value.length, 2)
        }
      })
    }
  })

  it('the Dockerfile: multi-stage, runtime without dev dependencies, tests, bench or sim, non-root, HEALTHCHECK on /status', () => {
    assert.ok(image.stages >= 2, 'multi-stage')
    const runtime = image.runtime.join('\n')
    assert.doesNotMatch(runtime, /COPY\s+(--from=\w+\s+)?\S*(test|bench|sim)\b/, 'no tests, bench or sim copied into the runtime image')
    assert.match(runtime, /COPY --from=deps \/app\/node_modules/, 'node_modules from the stage without dev dependencies')
    assert.ok(image.user != null && image.user !== 'root' && image.user !== '0', `runs as a non-root user (${String(image.user)})`)
    assert.ok(image.healthcheck?.join(' ').includes('/status'), 'HEALTHCHECK asks /status')
    assert.match(image.env.IPTS_METRICS, /^127\.0\.0\.1:/, 'metrics on loopback unless asked')
  })

  it('the deps stage installs without dev dependencies', async () => {
    const text = await readFile(join(ROOT, 'Dockerfile'), 'utf8')
    const stage = text.slice(text.indexOf(' AS deps'), text.indexOf('FROM', text.indexOf(' AS deps')))
    assert.match(stage, /npm ci --omit=dev/)
  })

  it('the HEALTHCHECK command passes against a live relay, and fails when nothing answers', async () => {
    const [node, flag, script] = image.healthcheck ?? []
    assert.deepEqual([node, flag], ['node', '-e'])
    const check = async (metrics: string): Promise<number> => {
      try {
        await run(process.execPath, ['-e', script], { env: { ...process.env, IPTS_METRICS: metrics }, timeout: CLI_TIMEOUT })
        return 0
      } catch (err: any) {
        return err.code
      }
    }
    const relay = await spawnRelay(join(dir.path, 'health'), ['--metrics', '127.0.0.1:0'])
    const port = new URL(relay.metrics as string).port
    try {
      assert.equal(await check(`127.0.0.1:${port}`), 0)
      assert.equal(await check(`0.0.0.0:${port}`), 0, 'a relay bound to every interface is asked on loopback')
    } finally {
      await relay.stop()
    }
    assert.equal(await check(`127.0.0.1:${port}`), 1, 'unhealthy once the relay is gone')
  })
})
