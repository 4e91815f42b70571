/**
 * The browser client: the size of the bundle (dist/web/ipts.js, minified, and gzipped as a web
 * server would send it), and the time from page load to inbox shown with 100 pending messages,
 * in headless Chromium (Debian's `chromium`), against the Node client reading the same 100 from
 * the same relay over the same transport in the same run.
 *
 * Setup: one `ipts relay` process listening on TCP and `/ws`; 100 senders (one record each, text
 * sealed to the receiver) hand it their messages; the receiver's key is imported into the page
 * (IndexedDB) once. Each sample opens a fresh page on `ipts web` (the server sends
 * `cache-control: no-store`, so every sample loads and compiles the bundle again) and reads `performance.getEntriesByName('ipts:inbox-shown')`, the mark app.js sets when every relay
 * was drained once (ms since navigation start). The messages are not acknowledged, so every
 * sample reads all 100.
 *
 * Run: npm run bench -- web   (needs chromium: apt-get install -y chromium)
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { generateKeyPair, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { IptsProcess } from '../src/cli/spawn.ts'
import { Client } from '../src/client/client.ts'
import { createClient } from '../src/client/index.ts'
import { MemoryState } from '../src/client/state.ts'
import { createNode } from '../src/node.ts'
import { bundleWeb } from '../scripts/bundle-web.ts'
import { cleanEnv, tempDir } from '../test/utils/cli.ts'
import { findChromium, inboxShown, launchChromium, openInbox, pagePeerId, startWeb } from '../test/utils/browser.ts'
import { assertPlausible, formatSpread, load, rounded, spread } from './stats.ts'
import type { SummaryRow } from './stats.ts'

export interface WebBenchInit {
  /** Pending messages the page reads. @default 100 */
  messages?: number
  /** Page loads measured (and Node client reads). @default 5 */
  samples?: number
}

export async function run (init: WebBenchInit = {}): Promise<{ rows: SummaryRow[], [key: string]: unknown }> {
  const messages = init.messages ?? 100
  const samples = init.samples ?? 5
  const executable = await findChromium()
  if (executable == null) throw new Error('no chromium: apt-get install -y chromium')

  const bundle = await bundleWeb()
  const gzipped = gzipSync(await readFile(bundle.file)).byteLength
  assertPlausible('bundle bytes', bundle.bytes, { min: 50_000, max: 20_000_000 })

  const dir = await tempDir('ipts-bench-web-')
  const relay = new IptsProcess(['relay', '--json', '--repo', join(dir.path, 'relay'), '--listen', '/ip4/127.0.0.1/tcp/0', '--listen', '/ip4/127.0.0.1/tcp/0/ws'], { env: cleanEnv() })
  const cleanup: Array<() => Promise<unknown>> = [async () => relay.stop('SIGTERM'), async () => dir.cleanup()]
  try {
    const ready = await relay.waitForJson(o => o.event === 'ready', 60_000)
    const ws = (ready.addrs as string[]).find(a => a.includes('/ws/')) as string

    // 100 senders, one sealed message each, handed to the relay over one connection
    const bob = await generateKeyPair('Ed25519')
    const bobId = peerIdFromPrivateKey(bob)
    const node = await createNode({ listen: [] })
    try {
      for (let i = 0; i < messages; i++) {
        const sender = new Client({ privateKey: await generateKeyPair('Ed25519'), node, ownsNode: false, state: new MemoryState(), relays: [ws] })
        await sender.send(bobId, { text: `message ${i} of ${messages}: pending while the receiver was away` }, { minRelays: 1 })
      }
    } finally {
      await node.stop()
    }

    const web = await startWeb([ws])
    cleanup.unshift(async () => web.stop())
    const browser = await launchChromium(executable)
    cleanup.unshift(async () => browser.close())
    const context = await browser.newContext()
    // the receiver's key into the page's IndexedDB, once
    const setup = await openInbox(context, web.url)
    await pagePeerId(setup.page)
    const bytes = Array.from(privateKeyToProtobuf(bob))
    await setup.page.evaluate(async (key) => { await (window as any).ipts.store.importIdentity(Uint8Array.from(key)) }, bytes)
    await setup.page.close()

    const pageMs: number[] = []
    const bundleMs: number[] = []
    const clientMs: number[] = []
    for (let s = 0; s < samples; s++) {
      const { page, errors } = await openInbox(context, web.url)
      if (await pagePeerId(page) !== bobId.toString()) throw new Error('the page did not load the imported key')
      const shown = await inboxShown(page, errors)
      if (shown.length !== messages) throw new Error(`the page showed ${shown.length} messages, not ${messages}`)
      const marks = await page.evaluate(() => ['ipts:bundle-loaded', 'ipts:client-started', 'ipts:inbox-shown'].map(name => performance.getEntriesByName(name)[0].startTime))
      bundleMs.push(marks[0])
      clientMs.push(marks[1] - marks[0])
      pageMs.push(marks[2])
      await page.close()
    }

    // the Node client, cold each time: a new node, the same relay, the same WebSockets address
    const nodeMs: number[] = []
    for (let s = 0; s < samples; s++) {
      const started = performance.now()
      const client = await createClient({ privateKey: bob, relays: [ws] })
      let count = 0
      for await (const message of client.inbox()) if (message.text != null) count++
      nodeMs.push(performance.now() - started)
      await client.stop()
      if (count !== messages) throw new Error(`the Node client read ${count} messages, not ${messages}`)
    }
    assertPlausible('page load to inbox shown (ms)', pageMs, { min: 1, max: 120_000 })

    const page = rounded(spread(pageMs), 0)
    const nodeSpread = rounded(spread(nodeMs), 0)
    const ratio = rounded(spread(pageMs.map((t, i) => t / nodeMs[i])))
    return {
      bundleBytes: bundle.bytes,
      bundleGzipBytes: gzipped,
      pageMs: page,
      pageParts: {
        bundleLoadedMs: rounded(spread(bundleMs), 0),
        clientStartedMs: rounded(spread(clientMs), 0),
        drainedMs: rounded(spread(pageMs.map((t, i) => t - bundleMs[i] - clientMs[i])), 0)
      },
      nodeClientMs: nodeSpread,
      messages,
      samples,
      load: load(),
      rows: [
        { measure: 'browser bundle dist/web/ipts.js', value: spread([bundle.bytes]), unit: 'bytes', target: 'record', note: `${gzipped} bytes gzipped (zlib default level)` },
        {
          measure: `page load to inbox shown, ${messages} pending messages (Chromium, ws)`,
          value: page,
          unit: 'ms',
          baseline: { label: 'Node client, cold, same relay over ws', value: nodeSpread, unit: 'ms' },
          ratio,
          target: 'record',
          note: `from navigation start: bundle fetched and evaluated ${formatSpread(rounded(spread(bundleMs), 0))} ms, key from IndexedDB and libp2p started ${formatSpread(rounded(spread(clientMs), 0))} ms, then dial, drain, verify and open (noble)`
        }
      ]
    }
  } finally {
    for (const step of cleanup) await step().catch(() => {})
  }
}
