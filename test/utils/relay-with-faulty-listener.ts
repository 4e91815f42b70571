/**
 * Child process of the listener-error test: runs a relay whose `record:stored` listener is
 * faulty (argv[3]: `throw` throws, `reject` returns a rejected promise), prints
 * `{"addr": "..."}` when ready, then `{"stored": n}` after every store. It stops cleanly and exits
 * 0 when stdin closes; a listener error that escaped would end it early with a non-zero code.
 */
import { createRelay } from '../../src/relay/index.ts'

const repo = process.argv[2]
const mode = process.argv[3]
const handle = await createRelay({ repo, dht: false })
// the faulty listener comes first: the ones after it must still run
if (mode === 'throw') {
  handle.relay.addEventListener('record:stored', () => { throw new Error('a faulty listener') })
} else {
  handle.relay.addEventListener('record:stored', async () => { throw new Error('a faulty async listener') })
}
let stored = 0
handle.relay.addEventListener('record:stored', () => {
  stored++
  process.stdout.write(JSON.stringify({ stored }) + '\n')
})
process.stdout.write(JSON.stringify({ addr: handle.node.getMultiaddrs()[0].toString() }) + '\n')
process.stdin.resume()
process.stdin.on('end', () => {
  handle.stop().then(() => { process.exit(0) }, () => { process.exit(3) })
})
