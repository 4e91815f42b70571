/** `ipts receipts`: collects receipts from relays and prints every receipt this repo holds. */
import { networkOptions } from '../config.ts'
import { outputFor, progressRenderer, withClient } from '../context.ts'
import type { NetworkFlags } from '../config.ts'
import type { CliContext } from '../context.ts'
import type { Command } from 'commander'

export function register (program: Command, ctx: CliContext): void {
  networkOptions(program.command('receipts'))
    .description('print the receipts peers sent for your messages (one line each)')
    .action(async (flags: NetworkFlags) => {
      const out = outputFor(flags)
      await withClient(flags, ctx, async (client) => {
        const receipts = await client.receipts({ signal: ctx.signal, onProgress: progressRenderer(out) })
        for (const r of receipts) {
          out.result(
            { from: r.from.toString(), seq: r.seq, at: r.at.toISOString() },
            `${r.from.toString()} received your messages up to ${r.seq} (${r.at.toISOString()})`
          )
        }
        if (receipts.length === 0 && !out.json) out.note('no receipts yet')
      })
    })
}
