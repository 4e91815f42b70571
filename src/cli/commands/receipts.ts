/** `ipts receipts`: collects receipts from relays and prints every receipt this repo holds. */
import { NETWORK_SETTINGS, parseDuration, settingOptions } from '../config.ts'
import { outputFor, progressRenderer, settingsOf, withClient } from '../context.ts'
import type { CommonFlags } from '../config.ts'
import type { CliContext } from '../context.ts'
import type { Command } from 'commander'

export function register (program: Command, ctx: CliContext): void {
  settingOptions(program.command('receipts'), NETWORK_SETTINGS)
    .description('print the receipts peers sent for your messages (one line each)')
    .option('--timeout <duration>', 'give up on a relay whose drain has not ended after this long', '2m')
    .action(async (flags: CommonFlags & { timeout: string }, command: Command) => {
      const timeout = parseDuration(flags.timeout, '--timeout')
      const out = outputFor(flags)
      const config = await settingsOf(NETWORK_SETTINGS, command, ctx, out)
      if (config == null) return
      await withClient(config, async (client) => {
        const receipts = await client.receipts({ timeout, signal: ctx.signal, onProgress: progressRenderer(out) })
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
