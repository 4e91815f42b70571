/**
 * One config for every command: flag, then `IPTS_<SETTING>`, then `<repo>/config.json`, then the
 * default. `--print-config` shows each value and where it came from; a bad value in any source
 * is one line naming that source. And the settings are really used: a relay joins the bootstrap
 * peer it was given only through the environment or the file (issue 13, defect 6), a client
 * reaches the relay named in IPTS_RELAYS or config.json.
 */
import assert from 'node:assert/strict'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { ALL_SETTINGS } from '../../src/cli/config.ts'
import { flagName } from '../../src/cli/settings.ts'
import { CLI_TIMEOUT, cleanEnv, peerIdOf, runCli, spawnRelay, tempDir } from '../utils/cli.ts'
import type { CliRelay } from '../utils/cli.ts'

const MiB = 1024 * 1024
const day = 24 * 3600_000
/** A syntactically valid peer address nothing listens on (port 9 is discard; never dialled by print-config). */
const FAKE_PEER = '12D3KooWEvFXUb8H3A6pJSxVo2aUAMp8gbAnzydSs9GC63tUQZfB'
const fakeAddr = (port: number): string => `/ip4/127.0.0.1/tcp/${port}/p2p/${FAKE_PEER}`

describe('config: flag > environment > config.json > default', { concurrency: true }, () => {
  let dir: { path: string, cleanup(): Promise<void> }
  before(async () => { dir = await tempDir('ipts-config-test-') })
  after(async () => { await dir?.cleanup() })

  async function repoWith (name: string, config?: unknown): Promise<string> {
    const repo = join(dir.path, name)
    await mkdir(repo, { recursive: true })
    if (config !== undefined) await writeFile(join(repo, 'config.json'), typeof config === 'string' ? config : JSON.stringify(config))
    return repo
  }

  async function printConfig (args: string[], env: NodeJS.ProcessEnv = {}): Promise<Record<string, { value: unknown, source: string, from?: string }>> {
    const result = await runCli([...args, '--print-config', '--json'], { env: cleanEnv(env) })
    assert.equal(result.code, 0, result.stderr)
    assert.equal(result.json.length, 1)
    assert.equal(result.json[0].event, 'config')
    return result.json[0].settings
  }

  it('relay: five settings through all four sources, each shown with its source', async () => {
    const file = {
      maxRecords: 5000,
      maxBytes: '256MiB',
      maxLifetime: '7d',
      bootstrap: [fakeAddr(9001)],
      listen: ['/ip4/127.0.0.1/tcp/4101']
    }
    const env = {
      IPTS_MAX_RECORDS: '6000',
      IPTS_MAX_BYTES: '512MiB',
      IPTS_MAX_LIFETIME: '14d',
      IPTS_BOOTSTRAP: `${fakeAddr(9002)},${fakeAddr(9003)}`,
      IPTS_LISTEN: '/ip4/127.0.0.1/tcp/4102'
    }
    const flags = ['--max-records', '7000', '--max-bytes', '768MiB', '--max-lifetime', '21d', '--bootstrap', fakeAddr(9004), '--listen', '/ip4/127.0.0.1/tcp/4103']
    const bare = await repoWith('precedence-bare')
    const filed = await repoWith('precedence-file', file)

    const defaults = await printConfig(['relay', '--repo', bare])
    const fromFile = await printConfig(['relay', '--repo', filed])
    const fromEnv = await printConfig(['relay', '--repo', filed], env)
    const fromFlags = await printConfig(['relay', '--repo', filed, ...flags], env)

    const expect = (settings: typeof defaults, key: string, value: unknown, source: string): void => {
      assert.deepEqual(settings[key].value, value, `${key} from ${source}`)
      assert.equal(settings[key].source, source, key)
    }
    expect(defaults, 'maxRecords', 1_000_000, 'default')
    expect(defaults, 'maxBytes', 1024 * MiB, 'default')
    expect(defaults, 'maxLifetime', 30 * day, 'default')
    expect(defaults, 'bootstrap', [], 'default')
    expect(defaults, 'listen', ['/ip4/127.0.0.1/tcp/4001'], 'default')

    expect(fromFile, 'maxRecords', 5000, 'config')
    expect(fromFile, 'maxBytes', 256 * MiB, 'config')
    expect(fromFile, 'maxLifetime', 7 * day, 'config')
    expect(fromFile, 'bootstrap', [fakeAddr(9001)], 'config')
    expect(fromFile, 'listen', ['/ip4/127.0.0.1/tcp/4101'], 'config')
    assert.equal(fromFile.maxRecords.from, join(filed, 'config.json'))

    expect(fromEnv, 'maxRecords', 6000, 'env')
    expect(fromEnv, 'maxBytes', 512 * MiB, 'env')
    expect(fromEnv, 'maxLifetime', 14 * day, 'env')
    expect(fromEnv, 'bootstrap', [fakeAddr(9002), fakeAddr(9003)], 'env')
    expect(fromEnv, 'listen', ['/ip4/127.0.0.1/tcp/4102'], 'env')
    assert.equal(fromEnv.maxRecords.from, 'IPTS_MAX_RECORDS')

    expect(fromFlags, 'maxRecords', 7000, 'flag')
    expect(fromFlags, 'maxBytes', 768 * MiB, 'flag')
    expect(fromFlags, 'maxLifetime', 21 * day, 'flag')
    expect(fromFlags, 'bootstrap', [fakeAddr(9004)], 'flag')
    expect(fromFlags, 'listen', ['/ip4/127.0.0.1/tcp/4103'], 'flag')
    assert.equal(fromFlags.maxRecords.from, '--max-records')
    // the repo itself: flag > IPTS_REPO > default, never the file
    assert.deepEqual(fromFlags.repo, { value: filed, source: 'flag', from: '--repo' })
  })

  it('clients: IPTS_RELAYS and IPTS_BOOTSTRAP beat config.json, flags beat both; send settings too', async () => {
    const repo = await repoWith('client', { relays: [fakeAddr(9101)], bootstrap: [fakeAddr(9102)], lifetime: '2h', minRelays: 1 })
    const fromFile = await printConfig(['inbox', '--repo', repo])
    assert.deepEqual(fromFile.relays, { value: [fakeAddr(9101)], source: 'config', from: join(repo, 'config.json') })
    assert.deepEqual(fromFile.bootstrap.value, [fakeAddr(9102)])
    const env = { IPTS_RELAYS: `${fakeAddr(9103)} ${fakeAddr(9104)}`, IPTS_BOOTSTRAP: fakeAddr(9105), IPTS_LIFETIME: '3h' }
    const fromEnv = await printConfig(['send', FAKE_PEER, 'hi', '--repo', repo], env)
    assert.deepEqual(fromEnv.relays, { value: [fakeAddr(9103), fakeAddr(9104)], source: 'env', from: 'IPTS_RELAYS' })
    assert.deepEqual(fromEnv.bootstrap, { value: [fakeAddr(9105)], source: 'env', from: 'IPTS_BOOTSTRAP' })
    assert.deepEqual(fromEnv.lifetime, { value: 3 * 3600_000, source: 'env', from: 'IPTS_LIFETIME' })
    assert.deepEqual(fromEnv.minRelays, { value: 1, source: 'config', from: join(repo, 'config.json') })
    assert.deepEqual(fromEnv.timeout, { value: 30_000, source: 'default' })
    const fromFlags = await printConfig(['receipts', '--repo', repo, '--relay', fakeAddr(9106)], env)
    assert.deepEqual(fromFlags.relays, { value: [fakeAddr(9106)], source: 'flag', from: '--relay' })
    assert.equal(fromFlags.bootstrap.source, 'env')
  })

  it('a bad value is one line naming its source: flag, variable, file and key, or the file itself', async () => {
    const cases: Array<{ repo: unknown, args?: string[], env?: NodeJS.ProcessEnv, error: RegExp }> = [
      { repo: undefined, args: ['--max-bytes', 'lots'], error: /^ipts: --max-bytes "lots" is not a size/ },
      { repo: undefined, env: { IPTS_MAX_BYTES: 'lots' }, error: /^ipts: IPTS_MAX_BYTES "lots" is not a size/ },
      { repo: undefined, env: { IPTS_BOOTSTRAP: '/ip4/127.0.0.1/tcp/1' }, error: /^ipts: IPTS_BOOTSTRAP "\/ip4\/127.0.0.1\/tcp\/1" lacks \/p2p\/<peer ID>/ },
      { repo: undefined, env: { IPTS_PUBLIC: 'maybe' }, error: /^ipts: IPTS_PUBLIC "maybe" is not true or false/ },
      { repo: undefined, env: { IPTS_LOG_FORMAT: 'xml' }, error: /^ipts: IPTS_LOG_FORMAT "xml" must be one of text, json/ },
      { repo: { maxRecords: 'many' }, error: /config\.json: maxRecords "many" must be a whole number/ },
      { repo: { bootstrap: '/ip4/127.0.0.1/tcp/1' }, error: /config\.json: bootstrap must be a list of strings/ },
      { repo: { public: 'yes' }, error: /config\.json: public must be true or false/ },
      { repo: { maxRecord: 5 }, error: /config\.json: unknown setting "maxRecord"/ },
      { repo: { repo: '/elsewhere' }, error: /config\.json: unknown setting "repo"/ },
      { repo: '{"maxRecords": 5', error: /config\.json is not valid JSON/ },
      { repo: '[1, 2]', error: /config\.json must hold a JSON object/ }
    ]
    let i = 0
    for (const c of cases) {
      const repo = await repoWith(`bad-${i++}`, c.repo)
      const result = await runCli(['relay', '--repo', repo, ...(c.args ?? [])], { env: cleanEnv(c.env) })
      assert.equal(result.code, 1, `${String(c.error)}: ${result.stderr}`)
      const lines = result.stderr.trim().split('\n')
      assert.equal(lines.length, 1, result.stderr)
      assert.match(lines[0], c.error)
      if (c.repo !== undefined) assert.ok(lines[0].includes(join(repo, 'config.json')), `names the file: ${lines[0]}`)
    }
    // clients read the same file: a malformed one stops them too, before any network work
    const broken = await repoWith('bad-client', '{')
    const inbox = await runCli(['inbox', '--repo', broken])
    assert.equal(inbox.code, 1)
    assert.match(inbox.stderr.trim(), /^ipts: .*config\.json is not valid JSON/)
  })

  it('README lists every setting with its flag and environment variable', async () => {
    const readme = await readFile(new URL('../../../README.md', import.meta.url), 'utf8')
    const table = readme.slice(readme.indexOf('## Settings'))
    for (const settings of ALL_SETTINGS) {
      for (const setting of Object.values(settings)) {
        assert.ok(table.includes(`\`${flagName(setting)}`), `README's settings table lists ${flagName(setting)}`)
        if (setting.env != null) assert.ok(table.includes(`\`${setting.env}\``), `README's settings table lists ${setting.env}`)
      }
    }
  })
})

describe('config: the settings are used, not only printed', { concurrency: true }, () => {
  let dir: { path: string, cleanup(): Promise<void> }
  let first: CliRelay
  before(async () => {
    dir = await tempDir('ipts-config-live-')
    first = await spawnRelay(join(dir.path, 'first'))
  })
  after(async () => {
    await first?.stop()
    await dir?.cleanup()
  })

  const joins = (peer: string) => (stderr: string): boolean =>
    stderr.split('\n').some(line => line.includes('"event":"peer:joined"') && line.includes(peer))

  it('a relay joins the bootstrap peer given only in IPTS_BOOTSTRAP (issue 13, defect 6)', async () => {
    const relay = await spawnRelay(join(dir.path, 'by-env'), ['--log-format', 'json'], { env: cleanEnv({ IPTS_BOOTSTRAP: first.addr }) })
    try {
      await relay.proc.waitForStderr(joins(first.peerId), CLI_TIMEOUT)
      assert.doesNotMatch(relay.proc.stderr, /running alone/)
    } finally {
      await relay.stop()
    }
  })

  it('a relay joins the bootstrap peer given only in config.json', async () => {
    const repo = join(dir.path, 'by-file')
    await mkdir(repo, { recursive: true })
    await writeFile(join(repo, 'config.json'), JSON.stringify({ bootstrap: [first.addr], logFormat: 'json' }))
    const relay = await spawnRelay(repo)
    try {
      await relay.proc.waitForStderr(joins(first.peerId), CLI_TIMEOUT)
    } finally {
      await relay.stop()
    }
  })

  it('a client reaches the relay named in IPTS_RELAYS, and the one in config.json', async () => {
    const bob = join(dir.path, 'bob')
    const bobId = await peerIdOf(bob)
    const byEnv = await runCli(['send', bobId, 'through IPTS_RELAYS', '--json', '--repo', join(dir.path, 'alice')], { env: cleanEnv({ IPTS_RELAYS: first.addr }) })
    assert.equal(byEnv.code, 0, byEnv.stderr)
    assert.deepEqual(byEnv.json[0].relays, [first.peerId])
    await writeFile(join(bob, 'config.json'), JSON.stringify({ relays: [first.addr] }))
    const inbox = await runCli(['inbox', '--json', '--repo', bob])
    assert.equal(inbox.code, 0, inbox.stderr)
    assert.deepEqual(inbox.json.map(m => m.text), ['through IPTS_RELAYS'])
  })
})
