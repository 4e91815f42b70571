/**
 * `ipts web` serves the web inbox on 127.0.0.1 and refuses relays a browser cannot dial. (The page
 * itself runs in Chromium in test/web/inbox.test.ts.)
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { runCli } from '../utils/cli.ts'
import { startWeb } from '../utils/browser.ts'
import type { WebInbox } from '../utils/browser.ts'

const relay = '/ip4/127.0.0.1/tcp/4002/ws/p2p/12D3KooWCo5g9oYgbhoHAkGrR6YbzWP1kWAv8XiFUXSBkYx7Hf6F'

describe('ipts web', () => {
  let web: WebInbox

  before(async () => {
    web = await startWeb([relay])
  })
  after(async () => {
    await web?.stop()
  })

  it('serves the page, the bundle and the relays it was given, on 127.0.0.1 only', async () => {
    assert.match(web.url, /^http:\/\/127\.0\.0\.1:\d+\/$/)
    const page = await fetch(web.url)
    assert.equal(page.status, 200)
    assert.match(await page.text(), /<script type="module" src="app.js">/)
    assert.match(page.headers.get('content-security-policy') ?? '', /connect-src 'self' ws: wss:/)
    const bundle = await fetch(new URL('ipts.js', web.url))
    assert.equal(bundle.status, 200)
    assert.match(bundle.headers.get('content-type') ?? '', /^text\/javascript/)
    assert.ok((await bundle.arrayBuffer()).byteLength > 100_000)
    assert.deepEqual(await (await fetch(new URL('config.json', web.url))).json(), { relays: [relay] })
    assert.equal((await fetch(new URL('../etc/passwd', web.url))).status, 404)
    assert.equal((await fetch(web.url, { method: 'POST' })).status, 405)
  })

  it('refuses a relay address a browser cannot dial (TCP), with a one-line reason', async () => {
    const tcp = '/ip4/127.0.0.1/tcp/4001/p2p/12D3KooWCo5g9oYgbhoHAkGrR6YbzWP1kWAv8XiFUXSBkYx7Hf6F'
    const result = await runCli(['web', '--port', '0', '--relay', tcp])
    assert.equal(result.code, 1)
    assert.match(result.stderr, /^ipts: --relay "[^"]+" is not a WebSockets address/)
  })
})
