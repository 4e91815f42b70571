/** `ipts resolve <name>`: resolves an IPNS name through relays (libp2p fetch, as IPNS over pubsub does). */
import { NETWORK_SETTINGS, settingOptions } from '../config.ts'
import { outputFor, progressRenderer, settingsOf, withClient } from '../context.ts'
import { printable } from '../output.ts'
import type { CommonFlags } from '../config.ts'
import type { CliContext } from '../context.ts'
import type { Command } from 'commander'

export function register (program: Command, ctx: CliContext): void {
  settingOptions(program.command('resolve'), NETWORK_SETTINGS)
    .description('resolve an IPNS name (a peer ID or /ipns/<peer ID>) through relays')
    .argument('<name>', 'the name')
    .action(async (name: string, flags: CommonFlags, command: Command) => {
      const out = outputFor(flags)
      const config = await settingsOf(NETWORK_SETTINGS, command, ctx, out)
      if (config == null) return
      await withClient(config, async (client) => {
        const result = await client.resolve(name, { signal: ctx.signal, onProgress: progressRenderer(out) })
        // the name's owner chose the value: escaped in human output
        out.result({ name: result.name.toString(), value: result.value }, printable(result.value))
      })
    })
}
