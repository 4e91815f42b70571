/**
 * Child process of the store's crash test: writes records (with replacements, evictions and
 * acks) into the store at argv[2] as fast as it can and prints `<routingKey>/<signer> <seq>`
 * (hex) for every record stored, until it is killed.
 */
import { createAck } from '../../src/record/index.ts'
import { RecordStore } from '../../src/relay/store.ts'
import { makeKeys, mh, tagged } from './store-fixtures.ts'

const T0 = 1_700_000_000_000
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

const store = new RecordStore({ path: process.argv[2], maxRecords: 300, maxRecordsPerKey: 50 })
await store.open()
const signers = await makeKeys(20)
const tags = await makeKeys(30)
const sequences = new Map<string, number>()
for (let i = 0; ; i++) {
  const signer = signers[i % signers.length]
  // 600 (tag, signer) pairs in turn: replacements, and evictions past 300 records
  const tag = tags[Math.floor(i / signers.length) % tags.length]
  if (i % 50 === 49) {
    const seq = sequences.get(`${hex(mh(tag))}/${hex(mh(signer))}`) ?? 0
    await createAck(tag, { entries: [{ signer: mh(signer), sequence: BigInt(seq), eol: T0 + 86_400_000 }], now: T0 })
      .then(async ack => store.applyAck(ack, T0))
    continue
  }
  const id = `${hex(mh(tag))}/${hex(mh(signer))}`
  const seq = (sequences.get(id) ?? 0) + 1
  sequences.set(id, seq)
  const record = await tagged(signer, tag, seq, T0)
  const result = await store.put(record, T0)
  if (result.status === 'stored') process.stdout.write(`${hex(record.routingKey)}/${hex(record.signer)} ${seq}\n`)
}
