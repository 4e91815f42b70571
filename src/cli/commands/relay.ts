/**
 * `ipts relay`: runs a relay until SIGINT/SIGTERM, then shuts down cleanly. Prints a ready line
 * with its peer ID and addresses, and logs what happens on stderr (`--log-format json` for
 * machines). `--metrics HOST:PORT` serves the status page (`/`), `/metrics` (Prometheus: libp2p's
 * and ipts's) and `/status` (JSON). Every setting, every policy limit included, can come from a
 * flag, the environment or `<repo>/config.json` (`--print-config` shows which).
 */
import { loadOrCreateIdentity } from '../../identity.ts'
import { RELAY_SETTINGS, settingOptions } from '../config.ts'
import { outputFor, settingsOf } from '../context.ts'
import { EventLog } from '../log.ts'
import { watchRelay } from '../relay-log.ts'
import type { CommonFlags } from '../config.ts'
import type { CliContext } from '../context.ts'
import type { Output } from '../output.ts'
import type { Relay } from '../../relay/index.ts'
import type { StatusServer } from '../../operator/server.ts'
import type { Command } from 'commander'

export { DEFAULT_RELAY_LISTEN } from '../config.ts'

export function register (program: Command, ctx: CliContext): void {
  settingOptions(program.command('relay'), RELAY_SETTINGS)
    .description('run a relay until SIGINT/SIGTERM')
    .action(async (flags: CommonFlags, command: Command) => {
      const out = outputFor(flags)
      const config = await settingsOf(RELAY_SETTINGS, command, ctx, out)
      if (config == null) return
      const log = new EventLog({ format: config.logFormat, level: config.logLevel, write: line => { out.note(line) } })
      const { repo } = config
      const { privateKey } = await loadOrCreateIdentity(repo)
      ctx.signal.throwIfAborted()
      log.info('relay:start', 'relay starting', { repo, listen: config.listen, bootstrap: config.bootstrap, public: config.public })
      // loaded here, not at start-up: a bad setting is reported before libp2p loads
      const { createRelay } = await import('../../relay/index.ts')
      const metrics = config.metrics == null
        ? undefined
        : new (await import('../../metrics.ts')).PrometheusExport({ statfsLocation: repo })
      const handle = await createRelay({
        repo,
        privateKey,
        listen: config.listen,
        bootstrap: config.bootstrap,
        public: config.public,
        metrics: metrics?.node,
        maxRecordSize: config.maxRecordSize,
        maxLifetime: config.maxLifetime,
        maxRecordsPerKey: config.maxRecordsPerKey,
        maxRecords: config.maxRecords,
        maxBytes: config.maxBytes,
        maxAckBytes: config.maxAckBytes,
        maxPublishesPerPeerPerMinute: config.maxPublishesPerMinute,
        maxPublishesPerIpPerMinute: config.maxPublishesPerIpPerMinute,
        maxPutsPerPeerPerMinute: config.maxPutsPerMinute,
        maxPutsPerIpPerMinute: config.maxPutsPerIpPerMinute,
        maxAcksPerPeerPerMinute: config.maxAcksPerMinute,
        maxAcksPerIpPerMinute: config.maxAcksPerIpPerMinute,
        maxRelayItemsPerPeerPerMinute: config.maxRelayItemsPerMinute,
        maxRelayItemsPerIpPerMinute: config.maxRelayItemsPerIpPerMinute,
        maxTopicsPerPeer: config.maxTopicsPerPeer,
        follow: { maxTopicsPerHost: config.maxTopicsPerHost, maxTopics: config.maxTopics, grace: config.followGrace },
        inbox: {
          maxStreams: config.maxInboxStreams,
          maxStreamsPerPeer: config.maxInboxStreamsPerPeer,
          maxStreamsPerIp: config.maxInboxStreamsPerIp,
          maxBytes: config.maxInboxBytes,
          maxBytesPerPeer: config.maxInboxBytesPerPeer,
          maxBytesPerIp: config.maxInboxBytesPerIp,
          pageBytes: config.inboxPageBytes
        },
        stallTimeout: config.stallTimeout,
        syncWrites: config.syncWrites
      })
      const unwatch = watchRelay(handle, log)
      let server: StatusServer | undefined
      let ticker: ReturnType<typeof setInterval> | undefined
      try {
        let url: string | undefined
        if (config.metrics != null) {
          const { StatusServer } = await import('../../operator/server.ts')
          server = new StatusServer({ relay: handle.relay, host: config.metrics.host, port: config.metrics.port, metrics })
          url = await server.start()
        }
        const peerId = handle.node.peerId.toString()
        const addrs = handle.node.getMultiaddrs().map(String)
        const ready: Record<string, unknown> = { event: 'ready', peerId, addrs }
        if (url != null) ready.metrics = url
        out.result(ready, `relay ${peerId} ready\n${addrs.map(a => `  listening on ${a}`).join('\n')}${url != null ? `\n  status page on ${url}/, metrics on ${url}/metrics, status on ${url}/status` : ''}`)
        log.info('relay:ready', 'relay ready', { peer: peerId })
        for (const addr of addrs) log.info('relay:listening', 'listening', { addr })
        if (url != null) log.info('status:listening', 'status page, /metrics and /status', { url: `${url}/` })
        if (config.bootstrap.length === 0 && !config.public) {
          log.warn('relay:alone', 'running alone: no --bootstrap given, so this relay knows no other relay until one bootstraps from it')
        }
        ticker = setInterval(() => { showStatus(out, handle.relay) }, 1000)
        ticker.unref()
        await new Promise<void>(resolve => {
          if (ctx.signal.aborted) resolve()
          ctx.signal.addEventListener('abort', () => { resolve() }, { once: true })
        })
        log.info('relay:stopping', 'stopping the relay')
      } finally {
        clearInterval(ticker)
        unwatch()
        await server?.stop()
        await handle.stop()
      }
      log.info('relay:stopped', 'relay stopped')
    })
}

function showStatus (out: Output, relay: Relay): void {
  const s = relay.status()
  out.progress(`records ${s.records} (${s.bytes} B) under ${s.keys} keys, ${s.tombstones} tombstones, ${s.topics} topics, ${s.connections} connections`)
}
