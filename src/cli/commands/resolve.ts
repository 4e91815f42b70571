/** `ipts resolve <name>`: resolves an IPNS name through relays (libp2p fetch, as IPNS over pubsub does). */
import { networkOptions } from '../config.ts'
import { outputFor, progressRenderer, withClient } from '../context.ts'
import type { NetworkFlags } from '../config.ts'
import type { CliContext } from '../context.ts'
import type { Command } from 'commander'

export function register (program: Command, ctx: CliContext): void {
  networkOptions(program.command('resolve'))
    .description('resolve an IPNS name (a peer ID or /ipns/<peer ID>) through relays')
    .argument('<name>', 'the name')
    .action(async (name: string, flags: NetworkFlags) => {
      const out = outputFor(flags)
      await withClient(flags, ctx, async (client) => {
        const result = await client.resolve(name, { signal: ctx.signal, onProgress: progressRenderer(out) })
        out.result({ name: result.name.toString(), value: result.value }, result.value)
      })
    })
}
