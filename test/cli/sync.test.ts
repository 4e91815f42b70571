/**
 * `ipts relay --sync` (issue 9, item 7): the relay fsyncs its store writes before it confirms
 * custody. Seen from outside with strace: the same run (start, 5 custody PUTs, stop) makes more
 * fsync/fdatasync calls with `--sync` than without, at least one per confirmed PUT.
 */
import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { after, describe, it } from 'node:test'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { createClient } from '../../src/client/index.ts'
import { MAIN_JS } from '../../src/cli/spawn.ts'
import { CLI_TIMEOUT, cleanEnv, tempDir } from '../utils/cli.ts'
import { key } from '../utils/network.ts'

const PUTS = 5
const hasStrace = spawnSync('strace', ['-V']).status === 0

/** Runs a relay under strace, sends PUTS messages through it, stops it; returns its sync calls. */
async function syncCalls (dir: string, flags: string[]): Promise<number> {
  const trace = join(dir, `strace-${flags.length}.txt`)
  const child = spawn('strace', ['-f', '-qq', '-e', 'trace=fsync,fdatasync', '-o', trace, process.execPath, MAIN_JS,
    'relay', '--json', '--repo', join(dir, `repo-${flags.length}`), '--listen', '/ip4/127.0.0.1/tcp/0', ...flags], { env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'], detached: true })
  const exited = new Promise(resolve => child.once('close', resolve))
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => { stderr += String(d) })
  try {
    const ready = await new Promise<Record<string, any>>((resolve, reject) => {
      const timer = setTimeout(() => { reject(new Error(`relay not ready: ${stderr}`)) }, CLI_TIMEOUT)
      createInterface({ input: child.stdout }).on('line', line => {
        try {
          const obj = JSON.parse(line)
          if (obj.event === 'ready') {
            clearTimeout(timer)
            resolve(obj)
          }
        } catch {}
      })
      child.once('close', () => { reject(new Error(`relay exited before it was ready: ${stderr}`)) })
    })
    const addr = (ready.addrs as string[]).find(a => a.startsWith('/ip4/127.0.0.1/')) as string
    const alice = await createClient({ privateKey: await key(), relays: [addr] })
    try {
      for (let i = 0; i < PUTS; i++) {
        const sent = await alice.send(await receiver(), { text: `m${i}` }, { minRelays: 1 })
        assert.equal(sent.relays.length, 1)
      }
    } finally {
      await alice.stop()
    }
  } finally {
    // strace and the relay form their own process group: SIGTERM reaches the relay (which stops
    // cleanly), not only strace (which would detach and leave it running)
    const kill = (signal: NodeJS.Signals): void => {
      try {
        process.kill(-(child.pid as number), signal)
      } catch {
        // the group is gone already
      }
    }
    kill('SIGTERM')
    const timer = setTimeout(() => { kill('SIGKILL') }, 10_000)
    await exited
    clearTimeout(timer)
  }
  const lines = (await readFile(trace, 'utf8')).split('\n')
  return lines.filter(l => /\b(fsync|fdatasync)\(/.test(l)).length
}

/** A fresh receiver's peer ID. */
async function receiver (): Promise<string> {
  return peerIdFromPrivateKey(await key()).toString()
}

describe('relay --sync', { skip: hasStrace ? false : 'strace is not installed' }, () => {
  let dir: { path: string, cleanup(): Promise<void> }
  after(async () => { await dir?.cleanup() })

  it('fsyncs each confirmed custody write; without it the writes are not fsynced', async () => {
    dir = await tempDir()
    const plain = await syncCalls(dir.path, [])
    const synced = await syncCalls(dir.path, ['--sync'])
    assert.ok(synced >= plain + PUTS, `fsync/fdatasync calls: ${plain} without --sync, ${synced} with it`)
  })
})
