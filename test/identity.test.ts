import assert from 'node:assert/strict'
import { chmod, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises'
import { homedir, tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { generateKeyPair, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { IDENTITY_FILE, loadOrCreateIdentity, resolveRepo } from '../src/identity.ts'

const posix = process.platform !== 'win32'

describe('identity', () => {
  let root: string
  before(async () => { root = await mkdtemp(join(tmpdir(), 'ipts-identity-')) })
  after(async () => { await rm(root, { recursive: true, force: true }) })

  it('creates an Ed25519 key with mode 0600 in a 0700 repo, and reloads the same peer ID', async () => {
    const repo = join(root, 'a', 'repo')
    const first = await loadOrCreateIdentity(repo)
    assert.equal(first.created, true)
    assert.equal(first.privateKey.type, 'Ed25519')
    assert.equal(first.peerId.type, 'Ed25519')
    if (posix) {
      assert.equal((await stat(join(repo, IDENTITY_FILE))).mode & 0o777, 0o600)
      assert.equal((await stat(repo)).mode & 0o777, 0o700)
    }
    const again = await loadOrCreateIdentity(repo)
    assert.equal(again.created, false)
    assert.equal(again.peerId.toString(), first.peerId.toString())
    assert.ok(again.privateKey.equals(first.privateKey))
    // no temporary files left behind
    assert.deepEqual(await readdir(repo), [IDENTITY_FILE])
  })

  it('two concurrent first uses agree on one identity', async () => {
    const repo = join(root, 'race')
    const results = await Promise.all(Array.from({ length: 8 }, async () => loadOrCreateIdentity(repo)))
    assert.equal(new Set(results.map(r => r.peerId.toString())).size, 1)
    assert.equal(results.filter(r => r.created).length, 1)
    assert.deepEqual(await readdir(repo), [IDENTITY_FILE])
  })

  it('refuses a key file readable or writable by group or others', { skip: !posix }, async () => {
    const repo = join(root, 'perm')
    await loadOrCreateIdentity(repo)
    for (const mode of [0o644, 0o640, 0o604, 0o620, 0o602]) {
      await chmod(join(repo, IDENTITY_FILE), mode)
      await assert.rejects(loadOrCreateIdentity(repo), { name: 'IdentityPermissionsError' }, mode.toString(8))
    }
    await chmod(join(repo, IDENTITY_FILE), 0o400)
    assert.equal((await loadOrCreateIdentity(repo)).created, false)
  })

  it('refuses a corrupt key file and leaves it in place', async () => {
    const repo = join(root, 'corrupt')
    await loadOrCreateIdentity(repo)
    const file = join(repo, IDENTITY_FILE)
    const good = await readFile(file)
    const damaged = Uint8Array.from(good)
    damaged[damaged.length - 1] ^= 1 // last byte: part of the stored public key
    const cases: Array<[string, Uint8Array]> = [
      ['garbage', new TextEncoder().encode('this is not a key, just some text\n')],
      ['empty', new Uint8Array(0)],
      ['truncated', Uint8Array.from(good.subarray(0, good.length - 10))],
      ['public half damaged', damaged]
    ]
    for (const [label, bytes] of cases) {
      await writeFile(file, bytes, { mode: 0o600 })
      await assert.rejects(loadOrCreateIdentity(repo), { name: 'IdentityCorruptError' }, label)
      assert.deepEqual(new Uint8Array(await readFile(file)), bytes, `${label}: file untouched`)
    }
  })

  it('refuses a key of another type', async () => {
    const repo = join(root, 'secp')
    await loadOrCreateIdentity(repo)
    await writeFile(join(repo, IDENTITY_FILE), privateKeyToProtobuf(await generateKeyPair('secp256k1')), { mode: 0o600 })
    await assert.rejects(loadOrCreateIdentity(repo), { name: 'UnsupportedKeyError' })
  })

  it('resolves the repo from flag, then $IPTS_REPO, then ~/.ipts', () => {
    assert.equal(resolveRepo('/flag', { IPTS_REPO: '/env' }), '/flag')
    assert.equal(resolveRepo(undefined, { IPTS_REPO: '/env' }), '/env')
    assert.equal(resolveRepo(undefined, { IPTS_REPO: '' }), join(homedir(), '.ipts'))
    assert.equal(resolveRepo(undefined, {}), join(homedir(), '.ipts'))
  })
})
