/**
 * `ipts demo` (`npm run demo`): the whole story on this machine, over 127.0.0.1 only. Three
 * relays start as child processes; A sends to B and exits; one relay that holds the message is
 * killed; B comes online, reads the message and acknowledges it; A learns B got it. Each step is
 * one line. Everything it started is stopped and its temporary directory removed, also on failure.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { shortPeer } from '../../client/util.ts'
import { second } from '../../constants.ts'
import { DemoStepError } from '../../errors.ts'
import { IptsProcess, runIpts } from '../spawn.ts'
import { commonOptions } from '../config.ts'
import { outputFor } from '../context.ts'
import type { CommonFlags } from '../config.ts'
import type { CliContext } from '../context.ts'
import type { RunResult } from '../spawn.ts'
import type { Command } from 'commander'

/** Time allowed for one step (a relay starting, one command), ms. */
const STEP_TIMEOUT = 20 * second
const RELAYS = 3

export function register (program: Command, ctx: CliContext): void {
  commonOptions(program.command('demo'))
    .description('run the whole story locally: 3 relays, A sends to offline B, a relay dies, B reads it')
    .action(async (flags: CommonFlags) => {
      const out = outputFor(flags)
      const started = Date.now()
      let step = 0
      const say = (text: string, json: Record<string, unknown> = {}): void => {
        step++
        const elapsed = ((Date.now() - started) / 1000).toFixed(1)
        out.result({ step, text, ...json }, `[${elapsed.padStart(4)} s] ${step}. ${text}`)
      }
      const dir = await mkdtemp(join(tmpdir(), 'ipts-demo-'))
      const relays: IptsProcess[] = []
      // the user's IPTS_* settings are for their own relays and clients, not the demo's
      const env = Object.fromEntries(Object.entries(ctx.env).filter(([name]) => !name.startsWith('IPTS_')))
      const cli = async (args: string[]): Promise<RunResult> => {
        ctx.signal.throwIfAborted()
        const result = await runIpts([...args, '--json'], { env, timeout: STEP_TIMEOUT })
        if (result.code !== 0) {
          throw new DemoStepError(`ipts ${args[0]} failed: ${result.stderr.trim().split('\n').at(-1) ?? `exit ${result.code ?? result.signal}`}`)
        }
        return result
      }
      try {
        say(`working in ${dir} (removed at the end); everything stays on 127.0.0.1`)
        const startRelay = async (i: number, bootstrap?: string): Promise<{ addr: string, peerId: string }> => {
          ctx.signal.throwIfAborted()
          const args = ['relay', '--json', '--repo', join(dir, `relay${i + 1}`), '--listen', '/ip4/127.0.0.1/tcp/0']
          if (bootstrap != null) args.push('--bootstrap', bootstrap)
          // through bin/ipts, the way a volunteer starts one
          const relay = new IptsProcess(args, { env, launcher: true })
          relays[i] = relay
          const ready = await relay.waitForJson(o => o.event === 'ready', STEP_TIMEOUT)
          const addr = (ready.addrs as string[]).find(a => a.startsWith('/ip4/127.0.0.1/')) ?? ready.addrs[0]
          say(`relay ${i + 1} is up: ${addr}`, { relay: ready.peerId })
          return { addr, peerId: ready.peerId }
        }
        // the later relays join through the first, as volunteers would
        const first = await startRelay(0)
        const others = await Promise.all(Array.from({ length: RELAYS - 1 }, async (_, i) => startRelay(i + 1, first.addr)))
        const addrs = [first, ...others].map(r => r.addr)
        const ids = [first, ...others].map(r => r.peerId)
        const relayFlags = addrs.flatMap(a => ['--relay', a])
        const alice = join(dir, 'alice')
        const bob = join(dir, 'bob')
        const [aliceId, bobId] = await Promise.all([cli(['id', '--repo', alice]), cli(['id', '--repo', bob])])
        const a = aliceId.json[0].peerId as string
        const b = bobId.json[0].peerId as string
        say(`A is ${a}, B is ${b}; B is offline`)

        const text = `hello B, this is A (${new Date().toISOString()})`
        const sent = await cli(['send', b, text, '--repo', alice, ...relayFlags, '--min-relays', '2'])
        const record = sent.json.find(o => o.event === 'sent')
        if (record == null) throw new DemoStepError('send printed no result')
        const holders = record.relays as string[]
        say(`A sent message ${record.seq} to B, encrypted; ${holders.length} relays confirmed custody; A is offline now`, { relays: holders })

        const victim = ids.indexOf(holders[0])
        await relays[victim].stop('SIGKILL')
        say(`relay ${victim + 1} (${shortPeer(holders[0])}), which held the message, was killed with SIGKILL`)

        const inbox = await cli(['inbox', '--repo', bob, ...relayFlags, '--ack'])
        const got = inbox.json.find(o => o.from === a)
        if (got == null || got.text !== text) throw new DemoStepError('B did not receive the message')
        say(`B came online and read message ${got.seq} from A: "${got.text}"; B acknowledged it, so relays deleted it`)

        const again = await cli(['inbox', '--repo', bob, ...relayFlags])
        if (again.json.length !== 0) throw new DemoStepError('the acknowledged message came back')
        say('B reads its inbox again: empty')

        const receipts = await cli(['receipts', '--repo', alice, ...relayFlags])
        const receipt = receipts.json.find(o => o.from === b)
        if (receipt == null) throw new DemoStepError('A got no receipt')
        say(`A came back online and found B's receipt for messages up to ${receipt.seq} (${receipt.at})`)
        say(`done in ${((Date.now() - started) / 1000).toFixed(1)} s`)
      } finally {
        await Promise.all(relays.map(async r => r?.stop('SIGTERM')))
        await rm(dir, { recursive: true, force: true })
        if (!out.json) out.note('cleaned up: relays stopped, temporary directory removed')
      }
    })
}
