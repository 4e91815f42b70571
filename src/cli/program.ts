/**
 * The `ipts` command line: one file per command under `commands/`, each parsing its flags into
 * typed options and calling the library. `run` returns the exit code instead of exiting, so the
 * caller decides how the process ends.
 */
import { Command, CommanderError } from 'commander'
import { register as registerDemo } from './commands/demo.ts'
import { register as registerId } from './commands/id.ts'
import { register as registerInbox } from './commands/inbox.ts'
import { register as registerReceipts } from './commands/receipts.ts'
import { register as registerRelay } from './commands/relay.ts'
import { register as registerRelays } from './commands/relays.ts'
import { register as registerResolve } from './commands/resolve.ts'
import { register as registerSend } from './commands/send.ts'
import { register as registerWeb } from './commands/web.ts'
import { printable } from './output.ts'
import type { CliContext } from './context.ts'

export function buildProgram (ctx: CliContext): Command {
  const program = new Command('ipts')
    .description('offline delivery of tagged IPNS records through volunteer relays')
    .version('0.1.0')
    .showSuggestionAfterError()
    .exitOverride()
  for (const register of [registerId, registerRelay, registerSend, registerInbox, registerReceipts, registerRelays, registerResolve, registerWeb, registerDemo]) {
    register(program, ctx)
  }
  const override = (command: Command): void => {
    command.exitOverride()
    for (const sub of command.commands) override(sub)
  }
  for (const command of program.commands) override(command)
  return program
}

/** Parses `argv` (without node and script) and runs the command. Resolves with the exit code. */
export async function run (argv: string[], ctx: CliContext, writeErr: (line: string) => void): Promise<number> {
  const program = buildProgram(ctx)
  try {
    await program.parseAsync(argv, { from: 'user' })
    return 0
  } catch (err: any) {
    if (err instanceof CommanderError) {
      // commander already printed its one-line message (or the help/version text)
      return err.exitCode === 0 ? 0 : 2
    }
    // a relay's or a peer's words can end up in an error message
    writeErr(`ipts: ${printable(describe(err))}`)
    return 1
  }
}

/** One line: the message of our errors, or name and message of anything else. */
function describe (err: any): string {
  const message = String(err?.message ?? err).split('\n')[0]
  if (err?.name === 'AbortError' || err?.name === 'TimeoutError') return `interrupted: ${message}`
  return message
}
