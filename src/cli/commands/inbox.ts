/**
 * `ipts inbox`: drains every reachable relay and prints each message once, decrypted. With
 * `--watch` it keeps following the topic; with `--ack` the relays delete what was printed (and
 * the senders get receipts) before it exits.
 *
 * Without `--ack`, a second `ipts inbox` prints the same messages again: relays keep them until
 * they expire or are acknowledged, and the inbox shows what they hold. Messages acknowledged
 * once are never printed again, even when a sender's later record still carries them.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { shortPeer } from '../../client/util.ts'
import { NETWORK_SETTINGS, parseDuration, settingOptions } from '../config.ts'
import { outputFor, progressRenderer, settingsOf, withClient } from '../context.ts'
import { printable } from '../output.ts'
import type { ClientProgressEvent, InboxMessage } from '../../client/index.ts'
import type { CommonFlags } from '../config.ts'
import type { CliContext } from '../context.ts'
import type { Output } from '../output.ts'
import type { Command } from 'commander'

interface InboxFlags extends CommonFlags {
  watch?: boolean
  ack?: boolean
  save?: string
  timeout: string
}

export function register (program: Command, ctx: CliContext): void {
  settingOptions(program.command('inbox'), NETWORK_SETTINGS)
    .description('print every message relays hold for you; exit once they are drained')
    .option('--watch', 'keep running and print new messages as they arrive')
    .option('--ack', 'acknowledge what was printed: relays delete it and senders get receipts')
    .option('--save <dir>', 'write received files into this directory')
    .option('--timeout <duration>', 'give up on a relay whose drain has not ended after this long (each round with --watch)', '2m')
    .action(async (flags: InboxFlags, command: Command) => {
      const timeout = parseDuration(flags.timeout, '--timeout')
      const out = outputFor(flags)
      const config = await settingsOf(NETWORK_SETTINGS, command, ctx, out)
      if (config == null) return
      const render = progressRenderer(out)
      const onProgress = (evt: ClientProgressEvent): void => {
        if (evt.type === 'inbox:caught-up' && flags.watch === true) out.note('watching for new messages (Ctrl-C to stop)')
        render(evt)
      }
      let count = 0
      const senders = new Set<string>()
      await withClient(config, async (client) => {
        for await (const message of client.inbox({ watch: flags.watch, ack: flags.ack, timeout, signal: ctx.signal, onProgress })) {
          count++
          senders.add(message.from.toString())
          const saved = flags.save != null && message.data != null ? await saveFile(flags.save, message) : undefined
          print(out, message, saved)
        }
      }).catch((err) => {
        // SIGINT/SIGTERM is how --watch ends
        if (ctx.signal.aborted) return
        throw err
      })
      if (!out.json) {
        out.note(`${count} message(s) from ${senders.size} sender(s)${flags.ack === true && count > 0 ? ', acknowledged' : ''}`)
      }
    })
}

function print (out: Output, m: InboxMessage, saved: string | undefined): void {
  const json: Record<string, unknown> = { from: m.from.toString(), seq: m.seq, value: m.value }
  if (m.text != null) json.text = m.text
  if (m.name != null) json.name = m.name
  if (m.data != null) json.data = Buffer.from(m.data).toString('base64')
  if (saved != null) json.saved = saved
  if (m.cid != null) json.cid = m.cid
  if (m.at != null) json.at = m.at.toISOString()
  json.encrypted = m.encrypted
  json.expires = m.expires.toISOString()
  const parts: string[] = []
  if (m.text != null) parts.push(m.text)
  if (m.data != null) parts.push(`[${m.name != null || m.at != null ? `file ${m.name ?? 'unnamed'}` : 'data'}, ${m.data.byteLength} bytes${saved != null ? `, saved to ${saved}` : ''}]`)
  if (m.cid != null) parts.push(`[content: ${m.cid}]`)
  // a record another tool made whose value holds nothing more (an /ipns/ path, say)
  if (parts.length === 0) parts.push(`[value: ${m.value}]`)
  // the sender chose text, name, cid and value: escaped (newlines too), so they cannot forge
  // lines or drive the terminal
  out.result(json, printable(`${m.from.toString()} #${m.seq}${m.at != null ? ` ${m.at.toISOString()}` : ''}: ${parts.join(' ')}`))
}

/** Writes a received file as `<dir>/<sender>-<seq>-<name>`, never outside `dir`. */
async function saveFile (dir: string, m: InboxMessage): Promise<string> {
  await mkdir(dir, { recursive: true })
  const name = basename(m.name ?? 'file').replace(/[^\w.-]/g, '_').replace(/^\.+/, '_')
  const path = join(dir, `${shortPeer(m.from).replace('…', '')}-${m.seq}-${name}`)
  await writeFile(path, m.data as Uint8Array)
  return path
}
