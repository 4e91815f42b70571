/** The client's persisted state: atomic replacement, a lock shared by processes, and its rules. */
import assert from 'node:assert/strict'
import { fork, spawn } from 'node:child_process'
import { readdir, readFile, writeFile, mkdir, utimes } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { FileState } from '../../src/client/file-state.ts'
import { MemoryState, applyReceipt, peerState, pruneExpired } from '../../src/client/state.ts'
import { tempDir } from '../utils/cli.ts'

describe('client state', () => {
  let dir: { path: string, cleanup(): Promise<void> }

  before(async () => { dir = await tempDir('ipts-state-') })
  after(async () => { await dir?.cleanup() })

  it('persists across instances and leaves no temporary file or lock behind', async () => {
    const repo = join(dir.path, 'persist')
    await new FileState(repo).update(data => { peerState(data, 'bob').seq = '7' })
    const data = await new FileState(repo).read()
    assert.equal(data.peers.bob.seq, '7')
    assert.deepEqual((await readdir(join(repo, 'client'))).sort(), ['state.json'])
  })

  it('a failed update writes nothing', async () => {
    const repo = join(dir.path, 'failed')
    const state = new FileState(repo)
    await state.update(data => { peerState(data, 'bob').seq = '1' })
    await assert.rejects(state.update(data => {
      peerState(data, 'bob').seq = '2'
      throw new Error('boom')
    }), /boom/)
    assert.equal((await state.read()).peers.bob.seq, '1')
  })

  it('concurrent updates from several instances (as from several processes) lose nothing', async () => {
    const repo = join(dir.path, 'concurrent')
    const states = Array.from({ length: 4 }, () => new FileState(repo))
    await Promise.all(Array.from({ length: 40 }, async (_, i) => states[i % states.length].update(data => {
      const peer = peerState(data, 'bob')
      peer.seq = (BigInt(peer.seq) + 1n).toString()
    })))
    assert.equal((await new FileState(repo).read()).peers.bob.seq, '40')
  })

  it('concurrent updates from two real processes lose nothing', async () => {
    const repo = join(dir.path, 'processes')
    const script = join(dir.path, 'bump.mjs')
    const stateModule = new URL('../../src/client/state.js', import.meta.url).href
    const fileStateModule = new URL('../../src/client/file-state.js', import.meta.url).href
    await writeFile(script, `
      import { peerState } from ${JSON.stringify(stateModule)}
      import { FileState } from ${JSON.stringify(fileStateModule)}
      const state = new FileState(process.argv[2])
      for (let i = 0; i < 25; i++) {
        await state.update(data => { const p = peerState(data, 'bob'); p.seq = (BigInt(p.seq) + 1n).toString() })
      }
    `)
    const run = async (): Promise<number | null> => new Promise(resolve => {
      fork(script, [repo]).once('exit', code => { resolve(code) })
    })
    assert.deepEqual(await Promise.all([run(), run()]), [0, 0])
    assert.equal((await new FileState(repo).read()).peers.bob.seq, '50')
  })

  it('takes over a lock left by a process that died', async () => {
    const repo = join(dir.path, 'stale')
    await mkdir(join(repo, 'client'), { recursive: true })
    // a pid that cannot be alive: above the kernel's pid_max
    await writeFile(join(repo, 'client', 'state.lock'), `${2 ** 22 + 1} ${Date.now()}`)
    await new FileState(repo, { lockTimeout: 1000 }).update(data => { peerState(data, 'bob').seq = '3' })
    assert.equal((await new FileState(repo).read()).peers.bob.seq, '3')
  })

  it('takes over an empty lock file left by a crash between creating and writing it', async () => {
    const repo = join(dir.path, 'empty-lock')
    const lock = join(repo, 'client', 'state.lock')
    await mkdir(join(repo, 'client'), { recursive: true })
    await writeFile(lock, '')
    // as the crash left it: some seconds ago
    const then = new Date(Date.now() - 10_000)
    await utimes(lock, then, then)
    await new FileState(repo, { lockTimeout: 1000 }).update(data => { peerState(data, 'bob').seq = '4' })
    assert.equal((await new FileState(repo).read()).peers.bob.seq, '4')
    assert.deepEqual((await readdir(join(repo, 'client'))).sort(), ['state.json'])
  })

  it('a process that cannot write its lock (file size limit 0, as on a full disk) leaves no lock behind', async () => {
    const repo = join(dir.path, 'full-disk')
    const script = join(dir.path, 'full-disk.mjs')
    const stateModule = new URL('../../src/client/state.js', import.meta.url).href
    const fileStateModule = new URL('../../src/client/file-state.js', import.meta.url).href
    await writeFile(script, `
      import { peerState } from ${JSON.stringify(stateModule)}
      import { FileState } from ${JSON.stringify(fileStateModule)}
      try {
        await new FileState(process.argv[2]).update(data => { peerState(data, 'bob').seq = '1' })
        process.stdout.write('written')
      } catch (err) {
        process.stdout.write(err.code ?? err.name)
      }
    `)
    // a real write failure: the shell's file size limit makes every write fail with EFBIG
    const child = spawn('/bin/sh', ['-c', 'ulimit -f 0 && exec "$0" "$@"', process.execPath, script, repo])
    let out = ''
    child.stdout.on('data', (chunk: Buffer) => { out += chunk.toString() })
    assert.equal(await new Promise(resolve => child.once('exit', resolve)), 0)
    assert.equal(out, 'EFBIG')
    assert.deepEqual(await readdir(join(repo, 'client')), [], 'no lock and no temporary file left')
    await new FileState(repo, { lockTimeout: 50 }).update(data => { peerState(data, 'bob').seq = '2' })
    assert.equal((await new FileState(repo).read()).peers.bob.seq, '2')
  })

  it('waits for a live lock, then gives up with ClientStateError', async () => {
    const repo = join(dir.path, 'held')
    await mkdir(join(repo, 'client'), { recursive: true })
    await writeFile(join(repo, 'client', 'state.lock'), `${process.pid} ${Date.now()}`)
    await assert.rejects(new FileState(repo, { lockTimeout: 50 }).update(() => {}), { name: 'ClientStateError' })
  })

  it('refuses a corrupt state file rather than starting over', async () => {
    const repo = join(dir.path, 'corrupt')
    await mkdir(join(repo, 'client'), { recursive: true })
    await writeFile(join(repo, 'client', 'state.json'), '{"version": 1, "peers":')
    await assert.rejects(new FileState(repo).read(), { name: 'ClientStateError' })
    assert.equal(await readFile(join(repo, 'client', 'state.json'), 'utf8'), '{"version": 1, "peers":')
  })

  it('a receipt drops the messages it covers and is kept once', async () => {
    const state = new MemoryState()
    await state.update(data => {
      const peer = peerState(data, 'bob')
      for (const seq of ['1', '2', '3']) peer.outbox.push({ seq, at: 0, expires: 100, encrypt: true, text: seq })
      assert.equal(applyReceipt(data, 'bob', { seq: 2n, at: 5 }), true)
      assert.equal(applyReceipt(data, 'bob', { seq: 2n, at: 6 }), false, 'the same receipt again is no news')
      assert.equal(applyReceipt(data, 'bob', { seq: 1n, at: 7 }), false, 'an older receipt is no news')
      assert.deepEqual(peer.outbox.map(m => m.seq), ['3'])
      assert.deepEqual(peer.receipts, [{ seq: '2', at: 5 }])
      pruneExpired(peer, 100)
      assert.deepEqual(peer.outbox, [], 'expired messages go')
    })
  })
})
