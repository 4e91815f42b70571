/**
 * Builds the browser bundle, `dist/web/ipts.js` (an ES module, minified, with a source map), from
 * `src/web/index.ts` with esbuild. `npm run build` (and `npm install`, through `prepare`) runs it.
 *
 * The bundle is built for `platform: 'browser'`, where esbuild refuses every `node:` import: a
 * Node built-in that reaches the browser's import graph fails the build. Platform files are
 * swapped the way package.json `browser` maps swap them in dependencies: an import of `x.ts`
 * whose sibling `x.browser.ts` exists gets the sibling (src/crypto/x25519-platform, sha256,
 * src/record/verify).
 *
 * Usage: node dist/scripts/bundle-web.js [--metafile]
 */
import { existsSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as esbuild from 'esbuild'

/** The checkout's root (this file runs as dist/scripts/bundle-web.js). */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
/** Where the bundle is written. */
export const BUNDLE_FILE = join(ROOT, 'dist', 'web', 'ipts.js')

const browserSiblings: esbuild.Plugin = {
  name: 'ipts-browser-siblings',
  setup (build) {
    build.onResolve({ filter: /^\.\.?\/.*\.ts$/ }, args => {
      const path = resolve(args.resolveDir, args.path)
      const sibling = path.replace(/\.ts$/, '.browser.ts')
      return existsSync(sibling) ? { path: sibling } : { path }
    })
  }
}

export interface BundleResult {
  file: string
  bytes: number
  metafile?: esbuild.Metafile
}

/** The browser entry point. */
export const BUNDLE_ENTRY = join(ROOT, 'src', 'web', 'index.ts')

/**
 * Builds the bundle of `entry` into `outfile`. Throws (esbuild's error, naming the import) if it
 * cannot be built for browsers.
 */
export async function bundleWeb (outfile: string = BUNDLE_FILE, entry: string = BUNDLE_ENTRY): Promise<BundleResult> {
  await mkdir(dirname(outfile), { recursive: true })
  const result = await esbuild.build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    sourcemap: true,
    metafile: true,
    logLevel: 'silent',
    plugins: [browserSiblings]
  })
  const bytes = result.metafile.outputs[Object.keys(result.metafile.outputs).find(f => f.endsWith('.js')) ?? ''].bytes
  return { file: outfile, bytes, metafile: result.metafile }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    const { file, bytes, metafile } = await bundleWeb()
    if (process.argv.includes('--metafile') && metafile != null) await writeFile(`${file}.meta.json`, JSON.stringify(metafile))
    process.stdout.write(`bundle-web: ${file} (${bytes} bytes)\n`)
  } catch (err: any) {
    process.stderr.write(`bundle-web: ${err.message}\n`)
    process.exitCode = 1
  }
}
