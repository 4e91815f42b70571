/**
 * `ipts relays set <multiaddr>... [--min N]`: publishes this repo's relay list, the relays its
 * mail should be kept on; `ipts relays show [peerId]`: prints a peer's list (this repo's by
 * default) as relays hold it. Protocol section 12.
 */
import { parsePeerId } from '../../client/peer.ts'
import { checkRelayList } from '../../client/relay-list.ts'
import { shortPeer } from '../../client/util.ts'
import { NETWORK_SETTINGS, parseCount, parseDuration, settingOptions } from '../config.ts'
import { outputFor, progressRenderer, settingsOf, withClient } from '../context.ts'
import type { CommonFlags } from '../config.ts'
import type { CliContext } from '../context.ts'
import type { Command } from 'commander'

interface SetFlags extends CommonFlags {
  min?: string
  lifetime: string
}

export function register (program: Command, ctx: CliContext): void {
  const relays = program.command('relays').description('choose the relays your mail is kept on, or show a peer\'s choice')

  settingOptions(relays.command('set'), NETWORK_SETTINGS)
    .description('publish your relay list: senders seek custody on these relays, in this order')
    .argument('<multiaddr...>', 'relays, each ending in /p2p/<peer ID>')
    .option('--min <n>', 'how many of them must hold each message (default 2 when 2 or more are listed, else 1)')
    .option('--lifetime <duration>', 'how long relays keep the list (set it again before then)', '30d')
    .action(async (addrs: string[], flags: SetFlags, command: Command) => {
      const out = outputFor(flags)
      const config = await settingsOf(NETWORK_SETTINGS, command, ctx, out)
      if (config == null) return
      const min = flags.min == null ? Math.min(2, addrs.length) : parseCount(flags.min, '--min')
      const list = checkRelayList({ relays: addrs, min })
      const lifetime = parseDuration(flags.lifetime, '--lifetime')
      await withClient(config, async (client) => {
        const result = await client.setRelays(list, { lifetime, signal: ctx.signal, onProgress: progressRenderer(out) })
        for (const addr of result.unreachable) out.note(`could not reach ${addr} now; the list names it anyway`)
        out.result(
          { event: 'relays-set', seq: result.sequence, min: result.list.min, relays: result.list.relays, expires: new Date(result.eol).toISOString(), heldBy: result.relays.map(r => r.toString()) },
          `relay list ${result.sequence} published (${result.list.min} of ${result.list.relays.length} must hold each message), held by ${result.relays.map(r => shortPeer(r)).join(', ')}; set it again before ${new Date(result.eol).toISOString()}`
        )
      })
    })

  settingOptions(relays.command('show'), NETWORK_SETTINGS)
    .description('print a peer\'s relay list as relays hold it (yours by default)')
    .argument('[peerId]', 'the peer (default: this repo\'s identity)')
    .action(async (peer: string | undefined, flags: CommonFlags, command: Command) => {
      const out = outputFor(flags)
      const config = await settingsOf(NETWORK_SETTINGS, command, ctx, out)
      if (config == null) return
      const target = peer == null ? undefined : parsePeerId(peer)
      await withClient(config, async (client) => {
        const info = await client.relayList(target, { signal: ctx.signal, onProgress: progressRenderer(out) })
        out.result(
          { peerId: info.peer.toString(), seq: info.sequence, min: info.min, relays: info.relays, expires: new Date(info.eol).toISOString() },
          `${info.peer.toString()} (list ${info.sequence}, ${info.min} must hold each message, until ${new Date(info.eol).toISOString()}):\n${info.relays.map(r => `  ${r}`).join('\n')}`
        )
      })
    })
}
