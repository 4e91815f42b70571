/**
 * The HTTP server behind `ipts web`: serves the web inbox (`examples/web/`), the browser bundle
 * (`dist/web/ipts.js`, built by `npm run build`) and `/config.json` (the relays the page dials),
 * on 127.0.0.1 only. Everything else happens in the browser: the page's key and messages never
 * pass through this server.
 */
import { readFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { multiaddr } from '@multiformats/multiaddr'
import { InvalidSettingError } from '../errors.ts'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'

/** The checkout's root (this file runs as dist/src/cli/web-server.js). */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url))

/** URL path -> file served, and its type. */
const FILES: Record<string, { file: string, type: string }> = {
  '/': { file: join(ROOT, 'examples', 'web', 'index.html'), type: 'text/html; charset=utf-8' },
  '/app.js': { file: join(ROOT, 'examples', 'web', 'app.js'), type: 'text/javascript; charset=utf-8' },
  '/ipts.js': { file: join(ROOT, 'dist', 'web', 'ipts.js'), type: 'text/javascript; charset=utf-8' },
  '/ipts.js.map': { file: join(ROOT, 'dist', 'web', 'ipts.js.map'), type: 'application/json' }
}

/** Only these hosts may serve the page: nothing is exposed beyond this machine. */
export const WEB_HOST = '127.0.0.1'

const HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  // the page talks to its own server and to relays over WebSockets, nothing else
  'content-security-policy': "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; style-src 'self' 'unsafe-inline'"
}

/**
 * Checks the relays a browser can dial: WebSockets addresses (`/ws`, `/wss`, `/tls/ws`) with
 * /p2p/. Browsers open no TCP sockets.
 *
 * @throws InvalidSettingError naming the first address a browser cannot dial
 */
export function checkBrowserRelays (relays: string[]): string[] {
  for (const addr of relays) {
    const names = multiaddr(addr).getComponents().map(c => c.name)
    if (!names.includes('ws') && !names.includes('wss')) {
      throw new InvalidSettingError(`--relay "${addr}" is not a WebSockets address (browsers dial /ws or /tls/ws, e.g. /ip4/127.0.0.1/tcp/4002/ws/p2p/<peer ID>; start the relay with --listen .../ws)`)
    }
  }
  return relays
}

export interface WebServer {
  url: string
  close(): Promise<void>
}

/** Serves the web inbox on 127.0.0.1:`port` (0: any free port). Fails if the bundle was not built. */
export async function startWebServer (init: { port: number, relays: string[] }): Promise<WebServer> {
  try {
    await readFile(FILES['/ipts.js'].file)
  } catch {
    throw new InvalidSettingError(`the browser bundle ${FILES['/ipts.js'].file} is missing: run npm run build`)
  }
  const config = JSON.stringify({ relays: init.relays })
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { ...HEADERS, allow: 'GET, HEAD' }).end()
      return
    }
    if (path === '/config.json') {
      res.writeHead(200, { ...HEADERS, 'content-type': 'application/json' }).end(req.method === 'HEAD' ? undefined : config)
      return
    }
    const entry = FILES[path]
    if (entry == null) {
      res.writeHead(404, { ...HEADERS, 'content-type': 'text/plain' }).end('not found')
      return
    }
    readFile(entry.file).then(body => {
      res.writeHead(200, { ...HEADERS, 'content-type': entry.type }).end(req.method === 'HEAD' ? undefined : body)
    }, () => {
      res.writeHead(404, { ...HEADERS, 'content-type': 'text/plain' }).end('not found')
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(init.port, WEB_HOST, () => { resolve() })
  })
  const { port } = server.address() as AddressInfo
  return {
    url: `http://${WEB_HOST}:${port}/`,
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>(resolve => { server.close(() => { resolve() }) })
    }
  }
}
