/**
 * The HTTP side of a relay for its operator, on the `--metrics` address: `/` the status page,
 * `/status` the same facts as JSON (also what the Docker HEALTHCHECK asks), `/metrics` the
 * Prometheus text of libp2p's and ipts's metrics. GET only; nothing is read from the request but
 * its path.
 */
import { createServer } from 'node:http'
import { StatusHistory } from './history.ts'
import { renderStatusPage } from './page.ts'
import type { HistoryInit } from './history.ts'
import type { Relay } from '../relay/index.ts'
import type { Server } from 'node:http'

/** Renders `/metrics` (a `PrometheusExport`). */
export interface MetricsSource {
  contentType: string
  text(): Promise<string>
}

export interface StatusServerInit {
  relay: Relay
  /** where to listen */
  host: string
  /** 0 picks a free port */
  port: number
  /** what `/metrics` serves; without it `/metrics` is 404 */
  metrics?: MetricsSource
  /** the chart's samples */
  history?: HistoryInit
  /** @default Date.now */
  now?(): number
}

/** No script, no outside resource: the page needs neither. */
const PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; img-src data:",
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff'
}

export class StatusServer {
  readonly history: StatusHistory
  private readonly init: StatusServerInit
  private readonly now: () => number
  private server?: Server
  private address?: string

  constructor (init: StatusServerInit) {
    this.init = init
    this.now = init.now ?? Date.now
    this.history = new StatusHistory({ now: this.now, ...init.history })
  }

  /** `http://host:port` as bound, once started. */
  get url (): string | undefined {
    return this.address
  }

  /** Listens and starts sampling; resolves with the URL bound. */
  async start (): Promise<string> {
    if (this.address != null) return this.address
    const server = createServer((req, res) => {
      this.answer(req.method ?? 'GET', (req.url ?? '/').split('?')[0]).then(({ status, headers, body }) => {
        res.writeHead(status, headers).end(req.method === 'HEAD' ? undefined : body)
      }, (err: Error) => {
        res.writeHead(500, { 'content-type': 'text/plain' }).end(`${err.name}\n`)
      })
    })
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(this.init.port, this.init.host, () => {
        server.off('error', reject)
        resolve()
      })
    })
    this.server = server
    const address = server.address()
    const port = typeof address === 'object' && address != null ? address.port : this.init.port
    const host = this.init.host.includes(':') ? `[${this.init.host}]` : this.init.host
    this.address = `http://${host}:${port}`
    const relay = this.init.relay
    this.history.start(() => {
      const s = relay.status()
      return { records: s.records, bytes: s.bytes, keys: s.keys, topics: s.topics, connections: s.connections, refused: relay.counters.refusedTotal() }
    })
    return this.address
  }

  async stop (): Promise<void> {
    this.history.stop()
    const server = this.server
    if (server == null) return
    this.server = undefined
    this.address = undefined
    server.closeAllConnections()
    await new Promise<void>(resolve => { server.close(() => { resolve() }) })
  }

  private async answer (method: string, path: string): Promise<{ status: number, headers: Record<string, string>, body?: string }> {
    if (method !== 'GET' && method !== 'HEAD') return { status: 405, headers: { allow: 'GET, HEAD' } }
    switch (path) {
      case '/':
        return { status: 200, headers: PAGE_HEADERS, body: renderStatusPage({ status: this.init.relay.status(), samples: this.history.samples(), now: this.now() }) }
      case '/status':
        return { status: 200, headers: { 'content-type': 'application/json', 'cache-control': 'no-store' }, body: `${JSON.stringify(this.init.relay.status())}\n` }
      case '/metrics':
        if (this.init.metrics == null) break
        return { status: 200, headers: { 'content-type': this.init.metrics.contentType }, body: await this.init.metrics.text() }
    }
    return { status: 404, headers: { 'content-type': 'text/plain' }, body: 'try /, /status or /metrics\n' }
  }
}
