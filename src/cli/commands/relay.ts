/**
 * `ipts relay`: runs a relay until SIGINT/SIGTERM, then shuts down cleanly. Prints a ready line
 * with its peer ID and addresses; `--metrics HOST:PORT` serves `/metrics` (Prometheus text) and
 * `/status` (JSON). Every policy limit has a flag.
 */
import { createServer } from 'node:http'
import { Option } from 'commander'
import { loadOrCreateIdentity, resolveRepo } from '../../identity.ts'
import { checkMultiaddr, commonOptions, parseCount, parseDuration, parseHostPort, parseSize } from '../config.ts'
import { outputFor } from '../context.ts'
import { toJsonLine } from '../output.ts'
import type { CommonFlags } from '../config.ts'
import type { CliContext } from '../context.ts'
import type { Output } from '../output.ts'
import type { Relay } from '../../relay/index.ts'
import type { Command } from 'commander'
import type { Server } from 'node:http'

/** Where a relay listens when no --listen is given. */
export const DEFAULT_RELAY_LISTEN = '/ip4/127.0.0.1/tcp/4001'

interface RelayFlags extends CommonFlags {
  listen?: string[]
  bootstrap?: string[]
  public?: boolean
  metrics?: string
  maxRecordSize?: string
  maxLifetime?: string
  maxRecordsPerKey?: string
  maxRecords?: string
  maxBytes?: string
  maxPublishesPerMinute?: string
  maxTopicsPerPeer?: string
  maxTopicsPerHost?: string
  maxTopics?: string
  followGrace?: string
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value]

export function register (program: Command, ctx: CliContext): void {
  commonOptions(program.command('relay'))
    .description('run a relay until SIGINT/SIGTERM')
    .option('--listen <multiaddr>', `address to listen on (repeatable; default ${DEFAULT_RELAY_LISTEN})`, collect)
    .option('--bootstrap <multiaddr>', 'another relay or DHT peer to join through (repeatable)', collect)
    .addOption(new Option('--public', 'join the public IPFS network (its DHT and bootstrap peers)'))
    .option('--metrics <host:port>', 'serve /metrics (Prometheus) and /status (JSON) over HTTP here')
    .option('--max-record-size <size>', 'largest record accepted (default 10KiB)')
    .option('--max-lifetime <duration>', 'longest record lifetime accepted (default 30d)')
    .option('--max-records-per-key <n>', 'records one tag or name may hold: senders per receiver (default 1000)')
    .option('--max-records <n>', 'records stored in all; the coldest tags are evicted beyond (default 1000000)')
    .option('--max-bytes <size>', 'record bytes stored in all; the coldest tags are evicted beyond (default 1GiB)')
    .option('--max-publishes-per-minute <n>', 'records one peer may publish per minute (default 600)')
    .option('--max-topics-per-peer <n>', 'topics one peer may make this relay follow (default 1000)')
    .option('--max-topics-per-host <n>', 'topics the peers of one IP address may make this relay follow (default 4000)')
    .option('--max-topics <n>', 'record topics followed at once, in all (default 10000)')
    .option('--follow-grace <duration>', 'how long a topic stays followed after its last subscriber left (default 60s)')
    .action(async (flags: RelayFlags) => {
      const out = outputFor(flags)
      const repo = resolveRepo(flags.repo, ctx.env)
      const listen = (flags.listen ?? [DEFAULT_RELAY_LISTEN]).map(a => checkMultiaddr(a))
      const bootstrap = (flags.bootstrap ?? []).map(a => checkMultiaddr(a, { peerId: true }))
      const metrics = flags.metrics == null ? undefined : parseHostPort(flags.metrics, '--metrics')
      const policy = {
        maxRecordSize: optional(flags.maxRecordSize, v => parseSize(v, '--max-record-size')),
        maxLifetime: optional(flags.maxLifetime, v => parseDuration(v, '--max-lifetime')),
        maxRecordsPerKey: optional(flags.maxRecordsPerKey, v => parseCount(v, '--max-records-per-key')),
        maxRecords: optional(flags.maxRecords, v => parseCount(v, '--max-records')),
        maxBytes: optional(flags.maxBytes, v => parseSize(v, '--max-bytes')),
        maxPublishesPerPeerPerMinute: optional(flags.maxPublishesPerMinute, v => parseCount(v, '--max-publishes-per-minute')),
        maxTopicsPerPeer: optional(flags.maxTopicsPerPeer, v => parseCount(v, '--max-topics-per-peer'))
      }
      const follow = {
        maxTopicsPerHost: optional(flags.maxTopicsPerHost, v => parseCount(v, '--max-topics-per-host')),
        maxTopics: optional(flags.maxTopics, v => parseCount(v, '--max-topics')),
        grace: optional(flags.followGrace, v => parseDuration(v, '--follow-grace'))
      }
      const { privateKey } = await loadOrCreateIdentity(repo)
      ctx.signal.throwIfAborted()
      const { createRelay } = await import('../../relay/index.ts')
      const handle = await createRelay({ repo, privateKey, listen, bootstrap, public: flags.public, ...policy, follow })
      let server: Server | undefined
      let ticker: ReturnType<typeof setInterval> | undefined
      try {
        const metricsUrl = metrics == null ? undefined : await serveMetrics(handle.relay, metrics).then(s => { server = s.server; return s.url })
        const addrs = handle.node.getMultiaddrs().map(String)
        const ready: Record<string, unknown> = { event: 'ready', peerId: handle.node.peerId.toString(), addrs }
        if (metricsUrl != null) ready.metrics = metricsUrl
        out.result(ready, `relay ${handle.node.peerId.toString()} ready\n${addrs.map(a => `  listening on ${a}`).join('\n')}${metricsUrl != null ? `\n  metrics on ${metricsUrl}/metrics, status on ${metricsUrl}/status` : ''}`)
        if (bootstrap.length === 0 && flags.public !== true) {
          out.note('running alone: no --bootstrap given, so this relay knows no other relay until one bootstraps from it')
        }
        ticker = setInterval(() => { showStatus(out, handle.relay) }, 1000)
        ticker.unref()
        await new Promise<void>(resolve => {
          if (ctx.signal.aborted) resolve()
          ctx.signal.addEventListener('abort', () => { resolve() }, { once: true })
        })
        out.note('stopping the relay…')
      } finally {
        clearInterval(ticker)
        server?.closeAllConnections()
        await new Promise<void>(resolve => { server == null ? resolve() : server.close(() => { resolve() }) })
        await handle.stop()
      }
      out.note('relay stopped')
    })
}

function optional<T> (value: string | undefined, parse: (v: string) => T): T | undefined {
  return value == null ? undefined : parse(value)
}

function showStatus (out: Output, relay: Relay): void {
  const s = relay.status()
  out.progress(`records ${s.records} (${s.bytes} B) under ${s.keys} keys, ${s.tombstones} tombstones, ${s.topics} topics, ${s.connections} connections`)
}

/** Serves /metrics and /status; resolves with the URL actually bound (port 0 picks one). */
async function serveMetrics (relay: Relay, at: { host: string, port: number }): Promise<{ server: Server, url: string }> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]
    if (req.method !== 'GET') {
      res.writeHead(405).end()
    } else if (path === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(relay.metrics())
    } else if (path === '/status') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(toJsonLine(relay.status() as unknown as Record<string, unknown>))
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('try /metrics or /status\n')
    }
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(at.port, at.host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const address = server.address()
  const port = typeof address === 'object' && address != null ? address.port : at.port
  const host = at.host.includes(':') ? `[${at.host}]` : at.host
  return { server, url: `http://${host}:${port}` }
}
