/** `ipts id`: prints this repo's peer ID, creating the identity on first use. */
import { loadOrCreateIdentity } from '../../identity.ts'
import { REPO_SETTINGS, commonOptions } from '../config.ts'
import { resolveSettings } from '../settings.ts'
import { outputFor } from '../context.ts'
import type { CommonFlags } from '../config.ts'
import type { CliContext } from '../context.ts'
import type { Command } from 'commander'

export function register (program: Command, ctx: CliContext): void {
  commonOptions(program.command('id'))
    .description("print this repo's peer ID (creates the identity on first use)")
    .action(async (flags: CommonFlags, command: Command) => {
      const out = outputFor(flags)
      const { repo } = resolveSettings(REPO_SETTINGS, command, ctx.env).values
      const { peerId, created } = await loadOrCreateIdentity(repo)
      if (created) out.note(`created a new identity in ${repo}`)
      out.result({ peerId: peerId.toString() }, peerId.toString())
    })
}
