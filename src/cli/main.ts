/**
 * Entry point of the `ipts` command (`bin/ipts` runs it). SIGINT/SIGTERM abort the running
 * command, which shuts down cleanly; a second signal exits at once.
 */
import { enableCompileCache } from 'node:module'

// every command loads the libp2p stack: Node's on-disk compile cache makes the next start faster
enableCompileCache?.()

const controller = new AbortController()
let signals = 0
const onSignal = (): void => {
  signals++
  if (signals > 1) process.exit(130)
  controller.abort(new Error('stopped by a signal'))
}
process.on('SIGINT', onSignal)
process.on('SIGTERM', onSignal)

const { run } = await import('./program.ts')
const code = await run(process.argv.slice(2), { signal: controller.signal, env: process.env }, (line) => {
  process.stderr.write(`${line}\n`)
})
// write everything out, then end even if a library left a timer behind
await Promise.all([process.stdout, process.stderr].map(async stream => new Promise<void>(resolve => {
  stream.write('', () => { resolve() })
})))
process.exit(code)
