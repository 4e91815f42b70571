/** `ipts id`: prints this repo's peer ID, creating the identity on first use. */
import { loadOrCreateIdentity, resolveRepo } from '../../identity.ts'
import { commonOptions } from '../config.ts'
import { outputFor } from '../context.ts'
import type { CommonFlags } from '../config.ts'
import type { CliContext } from '../context.ts'
import type { Command } from 'commander'

export function register (program: Command, ctx: CliContext): void {
  commonOptions(program.command('id'))
    .description("print this repo's peer ID (creates the identity on first use)")
    .action(async (flags: CommonFlags) => {
      const out = outputFor(flags)
      const repo = resolveRepo(flags.repo, ctx.env)
      const { peerId, created } = await loadOrCreateIdentity(repo)
      if (created) out.note(`created a new identity in ${repo}`)
      out.result({ peerId: peerId.toString() }, peerId.toString())
    })
}
