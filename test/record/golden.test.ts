import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { describe, it } from 'node:test'
import { validateAck, validateRecord } from '../../src/record/index.ts'
import { expectedFields, goldenCases } from './golden-cases.ts'
import { fixturePath, fromHex, hex } from './helpers.ts'
import type { GoldenFile } from './golden-cases.ts'

const golden: GoldenFile = JSON.parse(readFileSync(fixturePath('records.json'), 'utf8'))

describe('record: golden vectors (test/fixtures/records.json)', () => {
  it('has cases', () => {
    assert.ok(golden.records.length >= 5)
    assert.ok(golden.acks.length >= 1)
  })

  for (const c of golden.records) {
    it(`${c.name} still validates to its fields`, () => {
      const record = validateRecord(fromHex(c.hex), { now: golden.now, routingKey: c.routingKey == null ? undefined : fromHex(c.routingKey) })
      assert.deepEqual(expectedFields(record), c.expected)
      assert.equal(hex(record.bytes), c.hex)
      assert.throws(() => validateRecord(fromHex(c.hex), { now: record.eol + 1, routingKey: c.routingKey == null ? undefined : fromHex(c.routingKey) }), { name: 'RecordExpiredError' })
    })
  }

  for (const c of golden.acks) {
    it(`${c.name} still validates to its fields`, () => {
      const ack = validateAck(fromHex(c.hex))
      assert.deepEqual({
        tag: hex(ack.tag),
        issuedAt: ack.issuedAt,
        entries: ack.entries.map(e => ({ signer: hex(e.signer), sequence: e.sequence.toString(), eol: e.eol }))
      }, c.expected)
    })
  }

  it('the code still produces exactly these bytes from the same keys (deterministic signatures)', async () => {
    const fresh = await goldenCases()
    assert.deepEqual(fresh.records.map(c => [c.name, c.hex]), golden.records.map(c => [c.name, c.hex]))
    assert.deepEqual(fresh.acks.map(c => [c.name, c.hex]), golden.acks.map(c => [c.name, c.hex]))
  })
})
