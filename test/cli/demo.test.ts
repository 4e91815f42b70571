/** `ipts demo` (what `npm run demo` runs) tells the whole story and leaves nothing behind. */
import assert from 'node:assert/strict'
import { access } from 'node:fs/promises'
import { describe, it } from 'node:test'
import { runCli } from '../utils/cli.ts'

describe('ipts demo', () => {
  it('runs three relays, delivers A to B across a relay crash, acknowledges, returns the receipt, and cleans up', async () => {
    const result = await runCli(['demo', '--json'], { timeout: 120_000 })
    assert.equal(result.code, 0, result.stderr)
    const steps = result.json
    assert.ok(steps.length >= 10, `steps: ${result.lines.join('\n')}`)
    assert.deepEqual(steps.map(s => s.step), steps.map((_, i) => i + 1), 'numbered steps, one JSON line each')
    const texts = steps.map(s => s.text as string)
    assert.ok(texts.some(t => /was killed with SIGKILL/.test(t)))
    assert.ok(texts.some(t => /B came online and read message 1 from A/.test(t)))
    assert.ok(texts.some(t => /found B's receipt/.test(t)))
    assert.match(texts.at(-1) ?? '', /^done in /)
    const dir = /working in (\S+) /.exec(texts[0])?.[1]
    assert.ok(dir != null)
    await assert.rejects(access(dir), { code: 'ENOENT' }, 'the temporary directory is removed')
  })
})
