import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { before, describe, it } from 'node:test'
import { BadSignatureError, IptsError, KeyFullError, LifetimeTooLongError, RecordOverSizeLimitError } from '../../src/errors.ts'
import {
  DEFAULT_MAX_BYTES, DEFAULT_MAX_LIFETIME, DEFAULT_MAX_PUBLISHES_PER_PEER_PER_MINUTE, DEFAULT_MAX_RECORD_SIZE,
  DEFAULT_MAX_RECORDS, DEFAULT_MAX_RECORDS_PER_KEY, DEFAULT_MAX_TOPICS_PER_PEER, LIFETIME_SLACK
} from '../../src/relay/constants.ts'
import { Policy } from '../../src/relay/policy.ts'
import { REFUSALS, refusalReason } from '../../src/relay/refusals.ts'
import * as errors from '../../src/errors.ts'
import { makeKeys, tagged } from '../utils/store-fixtures.ts'
import type { IptsRecord } from '../../src/record/index.ts'

const T0 = 1_700_000_000_000
const minute = 60_000

let record: IptsRecord
let longest: IptsRecord

before(async () => {
  const [alice, bob] = await makeKeys(2)
  record = await tagged(alice, bob, 1, T0)
  longest = await tagged(alice, bob, 2, T0, { eol: T0 + DEFAULT_MAX_LIFETIME + LIFETIME_SLACK })
})

describe('Policy: defaults', () => {
  it('applies the named defaults, and keeps 0 when given', () => {
    const p = new Policy()
    assert.equal(p.maxRecordSize, DEFAULT_MAX_RECORD_SIZE)
    assert.equal(p.maxRecordSize, 10 * 1024)
    assert.equal(p.maxLifetime, DEFAULT_MAX_LIFETIME)
    assert.equal(p.maxRecordsPerKey, DEFAULT_MAX_RECORDS_PER_KEY)
    assert.equal(p.maxRecords, DEFAULT_MAX_RECORDS)
    assert.equal(p.maxBytes, DEFAULT_MAX_BYTES)
    assert.equal(p.maxPublishesPerPeerPerMinute, DEFAULT_MAX_PUBLISHES_PER_PEER_PER_MINUTE)
    assert.equal(p.maxTopicsPerPeer, DEFAULT_MAX_TOPICS_PER_PEER)
    const zero = new Policy({ maxPublishesPerPeerPerMinute: 0, maxTopicsPerPeer: 0 })
    assert.equal(zero.allowTopic('p', 0), false)
  })
})

describe('Policy: records', () => {
  it('accepts a record at the size limit and refuses one byte past it', () => {
    assert.doesNotThrow(() => { new Policy({ maxRecordSize: record.bytes.length }).checkRecord(record, T0) })
    const p = new Policy({ maxRecordSize: record.bytes.length - 1 })
    assert.throws(() => { p.checkRecord(record, T0) }, { name: 'RecordOverSizeLimitError' })
  })

  it('accepts the longest lifetime (with clock skew) and refuses a millisecond more', () => {
    const p = new Policy()
    assert.doesNotThrow(() => { p.checkRecord(longest, T0) })
    assert.throws(() => { p.checkRecord(longest, T0 - 1) }, { name: 'LifetimeTooLongError' })
    const short = new Policy({ maxLifetime: 24 * 3600_000 - LIFETIME_SLACK })
    assert.doesNotThrow(() => { short.checkRecord(record, T0) })
    assert.throws(() => { short.checkRecord(record, T0 - 1) }, (err: Error) => err instanceof LifetimeTooLongError)
  })
})

describe('Policy: topics per peer', () => {
  it('allows topics up to the cap and refuses the one past it', () => {
    const p = new Policy({ maxTopicsPerPeer: 1000 })
    assert.equal(p.allowTopic('a', 999), true)
    assert.equal(p.allowTopic('a', 1000), false)
    assert.throws(() => { p.checkTopic('a', 1000) }, { name: 'TooManyTopicsError' })
  })
})

describe('refusal vocabulary', () => {
  it('names a refusal by its error class, and only by a class in the table', () => {
    assert.equal(refusalReason(new RecordOverSizeLimitError('x')), 'RecordOverSizeLimitError')
    assert.equal(refusalReason(new BadSignatureError('x')), 'BadSignatureError')
    assert.equal(refusalReason(new KeyFullError('x')), 'KeyFullError')
    // an ipts error nobody listed still gets a label from the table
    assert.equal(refusalReason(new IptsError('x')), 'MalformedRecordError')
  })

  it('docs/protocol.md lists exactly these reasons, with their kind', async () => {
    const doc = await readFile(new URL('../../../docs/protocol.md', import.meta.url), 'utf8')
    const section = doc.slice(doc.indexOf('### Refusals'), doc.indexOf('### The relay protocol'))
    const rows = [...section.matchAll(/^\| `(\w+)` \| (\w+) \|/gm)].map(m => [m[1], m[2]])
    assert.deepEqual(rows, Object.entries(REFUSALS).map(([reason, { kind }]) => [reason, kind]))
  })

  it('every reason in the table is an error class of src/errors.ts', () => {
    for (const reason of Object.keys(REFUSALS)) {
      const cls = (errors as Record<string, unknown>)[reason] as (new (m: string) => Error) | undefined
      assert.ok(cls != null, `${reason} is exported by src/errors.ts`)
      const err = new cls('x')
      assert.ok(err instanceof IptsError)
      assert.equal(err.name, reason)
    }
  })
})
