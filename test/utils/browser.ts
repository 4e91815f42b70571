/**
 * Headless Chromium for tests (Debian's `chromium`, driven by playwright-core), and the web inbox
 * served by a real `ipts web` process.
 */
import { access } from 'node:fs/promises'
import { chromium } from 'playwright-core'
import { CLI_TIMEOUT, startCli } from './cli.ts'
import type { IptsProcess } from '../../src/cli/spawn.ts'
import type { Browser, BrowserContext, Page } from 'playwright-core'

/** Debian's chromium: /usr/bin/chromium is a shell wrapper, the browser itself lives here. */
export const CHROMIUM_PATHS = ['/usr/lib/chromium/chromium', '/usr/bin/chromium']

/**
 * The browser, or undefined when it is not installed. CI (`CI=true`, where `.ci/run` installs it)
 * must have it; elsewhere the browser test is skipped with the command that installs it.
 */
export async function findChromium (): Promise<string | undefined> {
  for (const path of CHROMIUM_PATHS) {
    try {
      await access(path)
      return path
    } catch {}
  }
  const missing = `no chromium at ${CHROMIUM_PATHS.join(' or ')}: apt-get install -y chromium (.ci/run does)`
  if (process.env.CI === 'true') throw new Error(missing)
  return undefined
}

export async function launchChromium (executablePath: string): Promise<Browser> {
  return chromium.launch({ executablePath, headless: true, args: ['--no-sandbox'] })
}

export interface WebInbox {
  proc: IptsProcess
  url: string
  stop(): Promise<void>
}

/** Runs `ipts web --port 0 --relay ...` and waits for its ready line. */
export async function startWeb (relays: string[], env?: NodeJS.ProcessEnv): Promise<WebInbox> {
  const proc = startCli(['web', '--json', '--port', '0', ...relays.flatMap(r => ['--relay', r])], env == null ? {} : { env })
  try {
    const ready = await proc.waitForJson(o => o.event === 'ready', CLI_TIMEOUT)
    return { proc, url: ready.url, stop: async () => { await proc.stop('SIGTERM') } }
  } catch (err) {
    await proc.stop('SIGKILL')
    throw err
  }
}

/** A page on the web inbox that records the browser's errors (shown when a wait fails). */
export async function openInbox (context: BrowserContext, url: string): Promise<{ page: Page, errors: string[] }> {
  const page = await context.newPage()
  const errors: string[] = []
  page.on('pageerror', err => { errors.push(`pageerror: ${err.message}`) })
  page.on('console', msg => { if (msg.type() === 'error') errors.push(`console: ${msg.text()}`) })
  await page.goto(url)
  return { page, errors }
}

/** The peer ID the page shows once its key is loaded (or created). */
export async function pagePeerId (page: Page): Promise<string> {
  await page.waitForFunction(() => document.body.dataset.peerId != null || document.body.dataset.failed != null, undefined, { timeout: CLI_TIMEOUT })
  const failed = await page.evaluate(() => document.body.dataset.failed)
  if (failed != null) throw new Error(`the page failed to start: ${failed}`)
  return page.evaluate(() => document.body.dataset.peerId as string)
}

/** Waits until the page has drained every relay it reached once (the inbox is shown). */
export async function inboxShown (page: Page, errors: string[] = []): Promise<Array<{ from: string, seq: string, text: string }>> {
  try {
    await page.waitForSelector('#inbox[data-state="shown"]', { state: 'attached', timeout: CLI_TIMEOUT })
  } catch (err: any) {
    const status = await page.locator('#status').textContent().catch(() => '')
    throw new Error(`inbox not shown (status: ${status}; ${errors.join('; ')}): ${err.message}`)
  }
  return page.$$eval('#inbox tr', rows => rows.map(r => ({
    from: (r as HTMLElement).dataset.from ?? '',
    seq: (r as HTMLElement).dataset.seq ?? '',
    text: r.querySelector('td.text')?.textContent ?? ''
  })))
}
