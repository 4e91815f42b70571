/**
 * The browser bundle: built from the same source as the Node client, with the `.browser.ts`
 * siblings swapped in, and no Node built-in can reach it (esbuild's browser platform refuses
 * `node:` imports, and the build fails).
 */
import assert from 'node:assert/strict'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { BUNDLE_ENTRY, ROOT, bundleWeb } from '../../scripts/bundle-web.ts'
import { tempDir } from '../utils/cli.ts'

describe('the browser bundle', () => {
  let dir: { path: string, cleanup(): Promise<void> }

  before(async () => { dir = await tempDir('ipts-bundle-') })
  after(async () => { await dir?.cleanup() })

  it('builds from src/web/index.ts with the browser siblings, and imports nothing from Node', async () => {
    const out = join(dir.path, 'ipts.js')
    const { bytes, metafile } = await bundleWeb(out, BUNDLE_ENTRY)
    assert.ok(bytes > 100_000)
    const inputs = Object.keys(metafile?.inputs ?? {})
    for (const sibling of ['src/crypto/x25519-platform.browser.ts', 'src/crypto/aead.browser.ts', 'src/crypto/sha256.browser.ts', 'src/record/verify.browser.ts', 'src/client/client.ts', 'src/crypto/seal.ts']) {
      assert.ok(inputs.some(i => i.endsWith(sibling)), `${sibling} is in the bundle`)
    }
    for (const nodeOnly of ['src/crypto/x25519-platform.ts', 'src/crypto/aead.ts', 'src/crypto/sha256.ts', 'src/record/verify.ts', 'src/client/file-state.ts', 'src/identity.ts', 'src/node.ts']) {
      assert.ok(!inputs.some(i => i.endsWith(nodeOnly)), `${nodeOnly} stays out of the bundle`)
    }
    assert.ok(!inputs.some(i => i.startsWith('node:')), 'no node: module')
    assert.doesNotMatch(await readFile(out, 'utf8'), /from\s*["']node:/)
  })

  it('fails when a Node built-in reaches the browser import graph', async () => {
    const entry = join(dir.path, 'uses-node.ts')
    await writeFile(entry, `import { sha256 } from ${JSON.stringify(join(ROOT, 'src', 'crypto', 'sha256.ts'))}\nimport { randomBytes } from 'node:crypto'\nexport const f = (): Uint8Array => sha256(randomBytes(4))\n`)
    await assert.rejects(bundleWeb(join(dir.path, 'bad.js'), entry), /node:crypto/)
  })
})
