/**
 * What every command gets from `main`: a shutdown signal (SIGINT/SIGTERM) and the environment,
 * plus helpers to build an Output and a Client from parsed flags.
 */
import { shortPeer } from '../client/util.ts'
import { loadSettings, printConfig } from './config.ts'
import { Output } from './output.ts'
import type { CommonFlags, NETWORK_SETTINGS } from './config.ts'
import type { SettingTable, SettingValues } from './settings.ts'
import type { Client, ClientProgressEvent } from '../client/index.ts'
import type { Command } from 'commander'

export interface CliContext {
  /** Aborts on SIGINT or SIGTERM. */
  signal: AbortSignal
  env: NodeJS.ProcessEnv
}

export function outputFor (flags: CommonFlags): Output {
  return new Output({ json: flags.json === true })
}

/**
 * A command's settings (flag, environment, config.json, default). With `--print-config` they
 * are printed instead, and the result is undefined: the command has nothing more to do.
 */
export async function settingsOf<S extends SettingTable> (table: S, command: Command, ctx: CliContext, out: Output): Promise<SettingValues<S> | undefined> {
  const resolved = await loadSettings(table, command, ctx.env)
  if (command.opts().printConfig === true) {
    printConfig(out, resolved)
    return undefined
  }
  return resolved.values
}

type NetworkConfig = SettingValues<typeof NETWORK_SETTINGS>

/** Runs `fn` with a client built from the settings, and stops it afterwards whatever happens. */
export async function withClient<T> (config: NetworkConfig, fn: (client: Client) => Promise<T>): Promise<T> {
  // loaded here, not at start-up: commands that fail on their input never load libp2p
  const { createClient } = await import('../client/index.ts')
  const client = await createClient({
    repo: config.repo,
    relays: config.relays,
    bootstrap: config.bootstrap,
    public: config.public
  })
  try {
    return await fn(client)
  } finally {
    await client.stop()
  }
}

/** Renders client progress: a rewritten line on a terminal, notes for what the user should know. */
export function progressRenderer (out: Output): (evt: ClientProgressEvent) => void {
  return (evt) => {
    switch (evt.type) {
      case 'relays:reached':
        // with none reached, the command's error names them all
        if (evt.detail.relays.length > 0) {
          for (const { relay, error } of evt.detail.failed) {
            out.note(`could not reach ${relay}: ${error.message}`)
          }
        }
        out.progress(`${evt.detail.relays.length} relay(s) reachable`)
        break
      case 'custody:confirmed':
        out.progress(`custody ${evt.detail.confirmed}/${evt.detail.needed}: relay ${shortPeer(evt.detail.relay)} holds sequence ${evt.detail.sequence}`)
        break
      case 'send:route': {
        const { to, chosen, wanted, min, fallback, failed } = evt.detail
        if (fallback) {
          out.note(`none of the ${wanted} relay(s) ${shortPeer(to)} chose answered (${failed.map(f => `${f.relay}: ${f.error.message}`).join('; ')}); sending through any relay instead`)
        } else if (chosen.length < min) {
          out.note(`only ${chosen.length} of the relays ${shortPeer(to)} chose answered, and it asks for ${min}: custody on those`)
        } else {
          out.progress(`${shortPeer(to)} chose ${wanted} relay(s); custody on ${chosen.map(p => shortPeer(p)).join(', ')}`)
        }
        break
      }
      case 'send:renumbered': {
        const { acked, held, carried, replaced, seq, to } = evt.detail
        const why = [
          acked != null ? `${shortPeer(to)} already acknowledged your messages up to ${acked}` : undefined,
          held != null ? `relays hold your unread record ${held}${carried ? ', carried along inside the new one' : ''}` : undefined,
          replaced != null ? `relays held your record ${replaced}, which is not an ipts message and is replaced` : undefined
        ].filter(x => x != null).join('; ')
        out.note(`this repo's state was behind the relays (lost or restored?): ${why}; the message is numbered ${seq}`)
        break
      }
      case 'custody:refused':
        out.note(`relay ${shortPeer(evt.detail.relay)} refused the record: ${evt.detail.reason}`)
        break
      case 'custody:retry':
        out.progress(`relay ${shortPeer(evt.detail.relay)}: ${evt.detail.error.message}; retrying in ${evt.detail.delay} ms`)
        break
      case 'inbox:drained':
        out.progress(`relay ${shortPeer(evt.detail.relay)} drained (${evt.detail.records} records)`)
        break
      case 'inbox:relay-failed':
        out.note(`could not read relay ${shortPeer(evt.detail.relay)}: ${evt.detail.error.message}`)
        break
      case 'inbox:invalid':
        out.progress(`dropped an invalid record: ${evt.detail.error.message}`)
        break
      case 'inbox:unreadable':
        out.note(`skipped record ${evt.detail.sequence} from ${evt.detail.from.toString()}: ${evt.detail.reason}`)
        break
      case 'ack:applied':
        out.progress(`relay ${shortPeer(evt.detail.relay)} deleted ${evt.detail.deleted} record(s)`)
        break
      case 'ack:failed':
        out.note(`relay ${shortPeer(evt.detail.relay)} did not apply the acknowledgement: ${evt.detail.error.message}`)
        break
      case 'receipt:sent':
        out.progress(`receipt to ${shortPeer(evt.detail.to)} held by ${evt.detail.relays.length} relay(s)`)
        break
      case 'receipt:failed':
        out.note(`receipt to ${evt.detail.to.toString()} not delivered yet (${evt.detail.error.message}); it goes with the next record`)
        break
      case 'receipt:received':
        out.progress(`receipt from ${shortPeer(evt.detail.from)} up to ${evt.detail.seq}`)
        break
    }
  }
}
