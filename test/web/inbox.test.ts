/**
 * The web inbox in headless Chromium: real `ipts relay` processes listening on TCP and on `/ws`,
 * real CLI users, and the page served by a real `ipts web`, whose client (the same source as the
 * CLI's, bundled for browsers) reaches the relays over WebSockets only.
 * - Alice (CLI) sends to Bob (browser) while Bob's page is closed, and exits. Bob's page opens,
 *   shows her text, and acknowledges it; Alice's `ipts receipts` shows the receipt.
 * - Bob (browser) sends to Carol (CLI), sees both relays confirm custody; Carol's `ipts inbox`
 *   prints it.
 * - Alice sends to Dave (browser) through both relays; relay 1 is SIGKILLed and restarted on its
 *   addresses, relay 2 is SIGKILLed for good; Dave's page opens and shows the message.
 *
 * Needs Debian's `chromium` (`.ci/run` installs it); skipped with the command that installs it
 * elsewhere. `IPTS_TEST_SCREENSHOT=<file>` saves the page with messages (docs/web-inbox.png).
 */
import assert from 'node:assert/strict'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { CLI_TIMEOUT, peerIdOf, runCli, spawnRelay, tempDir } from '../utils/cli.ts'
import { findChromium, inboxShown, launchChromium, openInbox, pagePeerId, startWeb } from '../utils/browser.ts'
import type { CliRelay } from '../utils/cli.ts'
import type { WebInbox } from '../utils/browser.ts'
import type { Browser } from 'playwright-core'

const executable = await findChromium()

/** A relay's `/ws` address (with /p2p/). */
function wsAddr (relay: CliRelay): string {
  const ws = relay.addrs.find(a => a.startsWith('/ip4/127.0.0.1/') && a.includes('/ws/'))
  assert.ok(ws != null, `a /ws address among ${relay.addrs.join(', ')}`)
  return ws
}

/** A relay's TCP address: the CLI users reach the relays over TCP, the browser over WebSockets. */
function tcpAddr (relay: CliRelay): string {
  const tcp = relay.addrs.find(a => a.startsWith('/ip4/127.0.0.1/') && !a.includes('/ws'))
  assert.ok(tcp != null, `a TCP address among ${relay.addrs.join(', ')}`)
  return tcp
}

describe('the web inbox in Chromium, through relays over WebSockets', { skip: executable == null ? 'no chromium: apt-get install -y chromium (.ci/run does)' : false }, () => {
  let dir: { path: string, cleanup(): Promise<void> }
  let relays: CliRelay[]
  let web: WebInbox
  let browser: Browser

  before(async () => {
    dir = await tempDir('ipts-web-')
    relays = await Promise.all([1, 2].map(async i => spawnRelay(join(dir.path, `relay${i}`), ['--listen', '/ip4/127.0.0.1/tcp/0/ws'])))
    web = await startWeb(relays.map(wsAddr))
    browser = await launchChromium(executable as string)
  })

  after(async () => {
    await browser?.close()
    await web?.stop()
    await Promise.all((relays ?? []).map(async r => r.stop()))
    await dir?.cleanup()
  })

  const cli = (repo: string): string[] => ['--json', '--repo', join(dir.path, repo), ...relays.flatMap(r => ['--relay', tcpAddr(r)])]

  it('Alice (CLI) sends to Bob while his page is closed; the page shows it, Bob acknowledges, Alice gets the receipt', async () => {
    const context = await browser.newContext()
    try {
      // Bob's first visit creates his key (in IndexedDB); then he closes the page
      const first = await openInbox(context, web.url)
      const bob = await pagePeerId(first.page)
      await inboxShown(first.page, first.errors)
      await first.page.close()

      const sent = await runCli(['send', bob, 'hello Bob, from the command line', ...cli('alice')], { timeout: CLI_TIMEOUT })
      assert.equal(sent.code, 0, sent.stderr)
      assert.equal(sent.json[0].relays.length, 2)

      const { page, errors } = await openInbox(context, web.url)
      assert.equal(await pagePeerId(page), bob, 'the same key, loaded from IndexedDB')
      const shown = await inboxShown(page, errors)
      const alice = await peerIdOf(join(dir.path, 'alice'))
      assert.deepEqual(shown, [{ from: alice, seq: '1', text: 'hello Bob, from the command line' }])
      if (process.env.IPTS_TEST_SCREENSHOT != null) {
        // a second message, so the picture shows a list
        const more = await runCli(['send', bob, 'and a second one: relays keep both until you acknowledge', ...cli('carol')], { timeout: CLI_TIMEOUT })
        assert.equal(more.code, 0, more.stderr)
        await page.reload()
        await inboxShown(page, errors)
        await page.screenshot({ path: process.env.IPTS_TEST_SCREENSHOT, fullPage: true })
      }

      await page.click('#ack-all')
      await page.waitForSelector('#ack-status[data-state="done"]', { state: 'attached', timeout: CLI_TIMEOUT })

      const receipts = await runCli(['receipts', ...cli('alice')], { timeout: CLI_TIMEOUT })
      assert.equal(receipts.code, 0, receipts.stderr)
      assert.deepEqual(receipts.json.map(r => [r.from, r.seq]), [[bob, '1']])
      // acknowledged: the relays deleted it, so a fresh page shows nothing from Alice
      const again = await openInbox(context, web.url)
      assert.deepEqual((await inboxShown(again.page, again.errors)).filter(m => m.from === alice), [])
    } finally {
      await context.close()
    }
  })

  it('Bob (browser) sends to Carol (CLI): both relays confirm custody, and Carol\'s inbox prints it', async () => {
    const carol = await peerIdOf(join(dir.path, 'carol'))
    const context = await browser.newContext()
    try {
      const { page, errors } = await openInbox(context, web.url)
      const bob = await pagePeerId(page)
      await page.fill('#to', carol)
      await page.fill('#text', 'hello Carol, from a browser')
      await page.click('#send')
      try {
        await page.waitForSelector('#send-result[data-state="sent"]', { state: 'attached', timeout: CLI_TIMEOUT })
      } catch (err: any) {
        throw new Error(`not sent: ${await page.locator('#send-result').textContent()} ${errors.join('; ')} (${err.message})`)
      }
      const custody = await page.$$eval('#send-log li', items => items.map(li => li.textContent ?? ''))
      assert.equal(custody.filter(line => line.startsWith('held by relay')).length, 2, custody.join('; '))

      const inbox = await runCli(['inbox', ...cli('carol')], { timeout: CLI_TIMEOUT })
      assert.equal(inbox.code, 0, inbox.stderr)
      assert.deepEqual(inbox.json.map(m => [m.from, m.seq, m.text]), [[bob, '1', 'hello Carol, from a browser']])

      // Bob's exported key is a repo identity file: the CLI reads it as the same peer
      const exported = await page.evaluate(async () => Array.from(await (window as any).ipts.store.exportIdentity() as Uint8Array))
      await mkdir(join(dir.path, 'bob-cli'), { mode: 0o700 })
      await writeFile(join(dir.path, 'bob-cli', 'identity.key'), Uint8Array.from(exported), { mode: 0o600 })
      assert.equal(await peerIdOf(join(dir.path, 'bob-cli')), bob)
    } finally {
      await context.close()
    }
  })

  it('a message held by two relays reaches the page after one is restarted and the other killed', async () => {
    const context = await browser.newContext()
    try {
      // Dave brings his CLI key into the browser (the import button), and the page reloads as him
      const dave = await peerIdOf(join(dir.path, 'dave'))
      const first = await openInbox(context, web.url)
      await pagePeerId(first.page)
      await Promise.all([first.page.waitForEvent('load', { timeout: CLI_TIMEOUT }), first.page.setInputFiles('#import-key', join(dir.path, 'dave', 'identity.key'))])
      assert.equal(await pagePeerId(first.page), dave)
      await inboxShown(first.page, first.errors)
      await first.page.close()

      const sent = await runCli(['send', dave, 'still here after the crash', ...cli('erin')], { timeout: CLI_TIMEOUT })
      assert.equal(sent.code, 0, sent.stderr)
      assert.equal(sent.json[0].relays.length, 2)

      // relay 1: SIGKILL, then up again on the same TCP and WebSockets ports
      const [one, two] = relays
      const tcp = tcpAddr(one).split('/p2p/')[0]
      const ws = wsAddr(one).split('/p2p/')[0]
      await one.kill()
      relays[0] = await spawnRelay(join(dir.path, 'relay1'), ['--listen', ws], { listen: tcp })
      assert.equal(relays[0].peerId, one.peerId)
      // relay 2: SIGKILL, and it stays down
      await two.kill()
      relays.splice(1, 1)

      const { page, errors } = await openInbox(context, web.url)
      const erin = await peerIdOf(join(dir.path, 'erin'))
      assert.deepEqual(await inboxShown(page, errors), [{ from: erin, seq: '1', text: 'still here after the crash' }])
    } finally {
      await context.close()
    }
  })
})
