/**
 * `ipts send <peerId> [TEXT] [--file PATH | --cid CID]`: hands a message to relays and exits once
 * enough of them hold it; with `--wait-receipt`, stays until the receiver acknowledges it.
 */
import { open } from 'node:fs/promises'
import { basename } from 'node:path'
import { Option } from 'commander'
import { parsePeerId } from '../../client/peer.ts'
import { maxInlineBytes } from '../../client/payload.ts'
import { shortPeer } from '../../client/util.ts'
import { InputFileError, InvalidSettingError, PayloadTooLargeError } from '../../errors.ts'
import { SEND_SETTINGS, settingOptions } from '../config.ts'
import { outputFor, progressRenderer, settingsOf, withClient } from '../context.ts'
import type { SendContent } from '../../client/index.ts'
import type { CommonFlags } from '../config.ts'
import type { CliContext } from '../context.ts'
import type { Command } from 'commander'

interface SendFlags extends CommonFlags {
  file?: string
  cid?: string
  encrypt: boolean
  waitReceipt?: boolean
}

export function register (program: Command, ctx: CliContext): void {
  settingOptions(program.command('send'), SEND_SETTINGS)
    .description('send TEXT, a small file or a CID to a peer, and exit once relays hold it')
    .argument('<peerId>', 'the receiver')
    .argument('[text]', 'the message')
    .addOption(new Option('--file <path>', 'send a small file inline (about 7 KiB at most)').conflicts('cid'))
    .option('--cid <cid>', 'send a pointer to content on IPFS (a CID or an /ipfs/ or /ipns/ path)')
    .option('--no-encrypt', 'send readable by anyone (default: sealed to the receiver)')
    .option('--wait-receipt', 'stay online until the receiver acknowledges the message')
    .action(async (to: string, text: string | undefined, flags: SendFlags, command: Command) => {
      const out = outputFor(flags)
      // everything the user can get wrong is checked before any network work
      const config = await settingsOf(SEND_SETTINGS, command, ctx, out)
      if (config == null) return
      const { lifetime, timeout, minRelays } = config
      const receiver = parsePeerId(to)
      const content: SendContent = {}
      if (text != null) content.text = text
      if (flags.cid != null) content.cid = flags.cid
      if (flags.file != null) content.file = await readSmallFile(flags.file, flags.encrypt)
      if (content.text == null && content.file == null && content.cid == null) {
        throw new InvalidSettingError('nothing to send: give a TEXT, --file PATH or --cid CID')
      }
      const onProgress = progressRenderer(out)
      await withClient(config, async (client) => {
        const sent = await client.send(receiver, content, {
          lifetime, minRelays, timeout, encrypt: flags.encrypt, onProgress, signal: ctx.signal
        })
        const relays = sent.relays.map(r => r.toString())
        const json: Record<string, unknown> = { event: 'sent', to: sent.to.toString(), seq: sent.seq, value: sent.value, relays }
        if (sent.renumbered != null) json.renumbered = sent.renumbered
        out.result(
          json,
          `sent message ${sent.seq} to ${sent.to.toString()}${sent.encrypted ? ' (encrypted)' : ''}; held by ${relays.length} relay(s): ${sent.relays.map(r => shortPeer(r)).join(', ')}`
        )
        if (flags.waitReceipt !== true) return
        out.progress(`waiting for a receipt from ${shortPeer(receiver)}…`)
        const receipt = await client.waitForReceipt(receiver, sent.seq, { timeout, signal: ctx.signal, onProgress })
        out.result(
          { event: 'receipt', from: receipt.from.toString(), seq: receipt.seq, at: receipt.at.toISOString() },
          `${receipt.from.toString()} received message ${sent.seq} (receipt up to ${receipt.seq} at ${receipt.at.toISOString()})`
        )
      })
    })
}

/** Reads a file that must fit inline; refuses a large one before reading it. */
async function readSmallFile (path: string, encrypt: boolean): Promise<{ name: string, data: Uint8Array }> {
  const limit = maxInlineBytes({ encrypted: encrypt })
  let handle
  try {
    handle = await open(path, 'r')
  } catch (err: any) {
    throw new InputFileError(`cannot read ${path}: ${err.code === 'ENOENT' ? 'no such file' : err.code === 'EACCES' ? 'permission denied' : err.message}`)
  }
  try {
    const stat = await handle.stat()
    if (!stat.isFile()) throw new InputFileError(`cannot send ${path}: not a regular file`)
    if (stat.size > limit) {
      throw new PayloadTooLargeError(`${path} is ${stat.size} bytes; at most about ${limit} bytes travel inline: add it to IPFS and send its CID with --cid`)
    }
    return { name: basename(path), data: new Uint8Array(await handle.readFile()) }
  } finally {
    await handle.close()
  }
}
