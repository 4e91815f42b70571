/**
 * Child process of the store's crash tests: writes records (with replacements and acks) into the
 * store at argv[2] as fast as it can until it is killed, and prints a line for every write the
 * store confirmed: `put <routingKey>/<signer> <seq>` once a put resolved `stored`, and
 * `ack <routingKey>/<signer> <seq>` once an ack was applied (hex).
 * With argv[3] = `evict` the store is capped at 300 records, so it also evicts records;
 * otherwise nothing is ever evicted and every confirmed write must survive the kill.
 */
import { createAck } from '../../src/record/index.ts'
import { RecordStore } from '../../src/relay/store.ts'
import { makeKeys, mh, tagged } from './store-fixtures.ts'
import type { PrivateKey } from '@libp2p/interface'

const T0 = 1_700_000_000_000
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

const evict = process.argv[3] === 'evict'
const store = new RecordStore({ path: process.argv[2], maxRecordsPerKey: 50, ...(evict ? { maxRecords: 300 } : {}) })
await store.open()
const signers = await makeKeys(20)
const tags = await makeKeys(30)
const sequences = new Map<string, number>()
/** The (tag, signer) pair of step `i`: 600 pairs in turn, so replacements (and, capped, evictions past 300 records). */
const pair = (i: number): { signer: PrivateKey, tag: PrivateKey, id: string } => {
  const signer = signers[i % signers.length]
  const tag = tags[Math.floor(i / signers.length) % tags.length]
  return { signer, tag, id: `2f697074732f${hex(mh(tag))}/${hex(mh(signer))}` } // '/ipts/' + tag
}
for (let i = 1; ; i++) {
  if (i % 50 === 49) {
    // acknowledge the record written one step before
    const { signer, tag, id } = pair(i - 1)
    const seq = sequences.get(id) ?? 0
    const ack = await createAck(tag, { entries: [{ signer: mh(signer), sequence: BigInt(seq), eol: T0 + 86_400_000 }], now: T0 })
    await store.applyAck(ack, T0)
    process.stdout.write(`ack ${id} ${seq}\n`)
    continue
  }
  const { signer, tag, id } = pair(i)
  const seq = (sequences.get(id) ?? 0) + 1
  sequences.set(id, seq)
  const record = await tagged(signer, tag, seq, T0)
  // three uploaders, so evictions take from the largest and the uploader indexes are exercised
  const result = await store.put(record, T0, { from: `10.0.0.${i % 3}` })
  if (result.status === 'stored') process.stdout.write(`put ${hex(record.routingKey)}/${hex(record.signer)} ${seq}\n`)
}
