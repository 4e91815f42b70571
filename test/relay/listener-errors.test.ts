/**
 * A faulty event listener must not end a relay: EventTarget reports a listener's error as an
 * uncaughtException (and an async listener's as an unhandledRejection), which would kill the
 * process. The relay runs in a child process so that a crash is seen as one.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { after, describe, it } from 'node:test'
import { multiaddr } from '@multiformats/multiaddr'
import { createTaggedRecord, tagRoutingKey } from '../../src/record/index.ts'
import { RelayRequest, RelayResponse } from '../../src/pb/relay.ts'
import { exchange } from '../../src/client/relay-rpc.ts'
import { TestNetwork, key } from '../utils/network.ts'
import type { RelayResponse as Response } from '../../src/pb/relay.ts'

const hour = 3600_000
const script = fileURLToPath(new URL('../utils/relay-with-faulty-listener.js', import.meta.url))

describe('relay: a listener that throws does not end the relay', () => {
  const net = new TestNetwork()
  after(async () => { await net.stop() })

  for (const mode of ['throw', 'reject']) {
    it(`a record:stored listener that ${mode === 'throw' ? 'throws' : 'returns a rejected promise'}: the relay process lives on and keeps storing`, async () => {
      const repo = (await net.dir()).path
      const child = spawn(process.execPath, [script, repo, mode], { stdio: ['pipe', 'pipe', 'pipe'] })
      let stderr = ''
      child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
      const exited = new Promise<number | null>((resolve) => { child.on('exit', (code) => { resolve(code) }) })
      const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]()
      const next = async (): Promise<Record<string, any>> => {
        const line = await Promise.race([
          lines.next(),
          exited.then(code => { throw new Error(`relay exited with code ${code}: ${stderr}`) })
        ])
        if (line.done === true) throw new Error(`relay closed its output: ${stderr}`)
        return JSON.parse(line.value)
      }
      try {
        const { addr } = await next()
        const client = await net.node()
        const tag = (await key()).publicKey.toMultihash().bytes
        const put = async (): Promise<Response> => {
          const record = await createTaggedRecord(await key(), { tag, value: '/ipfs/bafkqaaa', sequence: 1n, lifetime: hour, now: Date.now() })
          let answer: Response | undefined
          await exchange(client, multiaddr(addr), { type: RelayRequest.Type.PUT, key: tagRoutingKey(tag), signer: new Uint8Array(), record: record.bytes }, { signal: AbortSignal.timeout(60_000) }, (response) => {
            answer = response
            return false
          })
          assert.ok(answer != null)
          return answer
        }
        for (let i = 1; i <= 3; i++) {
          const answer = await put().catch(async (err: Error) => {
            // say why the relay stopped answering, if it died
            const code = await Promise.race([exited, new Promise(resolve => { setTimeout(resolve, 5000, 'still running') })])
            throw new Error(`PUT ${i} failed (${err.message}); relay: ${String(code)} ${stderr.split('\n').find(l => l.includes('Error')) ?? ''}`)
          })
          assert.equal(answer.status, RelayResponse.Status.OK)
          assert.deepEqual(await next(), { stored: i })
        }
        child.stdin.end()
        assert.equal(await exited, 0, stderr)
      } finally {
        child.kill('SIGKILL')
      }
    })
  }
})
