/**
 * `ipts web --relay MA...`: serves the web inbox on http://127.0.0.1:<port>/ until
 * SIGINT/SIGTERM. The page runs the ipts client in the browser (key and state in IndexedDB) and
 * reaches the given relays over WebSockets. JSON when ready: `{"event":"ready","url":"..."}`.
 */
import { WEB_SETTINGS, settingOptions } from '../config.ts'
import { outputFor, settingsOf } from '../context.ts'
import { checkBrowserRelays, startWebServer } from '../web-server.ts'
import type { CommonFlags } from '../config.ts'
import type { CliContext } from '../context.ts'
import type { Command } from 'commander'

export function register (program: Command, ctx: CliContext): void {
  settingOptions(program.command('web'), WEB_SETTINGS)
    .description('serve the web inbox on 127.0.0.1 (it reaches the relays over WebSockets)')
    .action(async (flags: CommonFlags, command: Command) => {
      const out = outputFor(flags)
      const config = await settingsOf(WEB_SETTINGS, command, ctx, out)
      if (config == null) return
      const relays = checkBrowserRelays(config.relays)
      if (relays.length === 0) out.note('no --relay given: the page can neither send nor read (give a relay\'s /ws address)')
      const server = await startWebServer({ port: config.webPort, relays })
      try {
        out.result({ event: 'ready', url: server.url, relays }, `web inbox on ${server.url}`)
        await new Promise<void>(resolve => {
          if (ctx.signal.aborted) resolve()
          ctx.signal.addEventListener('abort', () => { resolve() }, { once: true })
        })
      } finally {
        await server.close()
      }
    })
}
