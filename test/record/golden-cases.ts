/**
 * Golden vectors: records and acks made from fixed keys at a fixed `now`. The test checks
 * that the stored bytes still validate to the stored fields, and that the code still produces
 * the same bytes. Regenerate test/fixtures/records.json only on purpose (a wire change):
 * `node_modules/.bin/node dist/test/record/golden-cases.js --write`
 */
import { writeFileSync } from 'node:fs'
import { createAck, createPlainRecord, createTaggedRecord, validateAck } from '../../src/record/index.ts'
import { ed25519, fixturePath, hex, NOW, rsa, secp256k1 } from './helpers.ts'
import type { IptsRecord } from '../../src/record/index.ts'

export interface GoldenRecord {
  name: string
  hex: string
  /** routing key to validate with, hex (when the record needs it) */
  routingKey?: string
  expected: Record<string, string | number | undefined>
}

export interface GoldenAck {
  name: string
  hex: string
  expected: { tag: string, issuedAt: number, entries: Array<{ signer: string, sequence: string, eol: number }> }
}

export interface GoldenFile {
  comment: string
  now: number
  records: GoldenRecord[]
  acks: GoldenAck[]
}

export function expectedFields (record: IptsRecord): GoldenRecord['expected'] {
  return {
    kind: record.kind,
    routingKey: hex(record.routingKey),
    signer: hex(record.signer),
    ...(record.tag == null ? {} : { tag: hex(record.tag) }),
    value: record.value,
    sequence: record.sequence.toString(),
    eol: record.eol,
    ttl: record.ttl.toString()
  }
}

/** Builds every golden case from the fixed keys. */
export async function goldenCases (): Promise<GoldenFile> {
  const alice = await ed25519(1)
  const bob = await ed25519(2)
  const k1 = secp256k1(5)
  const r = rsa()
  const bobTag = bob.publicKey.toMultihash().bytes
  const now = NOW
  const records: Array<{ name: string, record: IptsRecord, withRoutingKey?: boolean }> = [
    { name: 'tagged-ed25519-v2', record: await createTaggedRecord(alice, { tag: bobTag, value: '/ipfs/bafkqaaa', sequence: 1, now }) },
    { name: 'tagged-ed25519-v1v2', record: await createTaggedRecord(alice, { tag: bobTag, value: '/ipfs/bafkqaaa', sequence: 2, now, v1Compatible: true }) },
    { name: 'tagged-secp256k1-signer', record: await createTaggedRecord(k1, { tag: bobTag, value: '/ipfs/bafkqaaa', sequence: 3, now, ttl: 1_000_000_000n }) },
    { name: 'tagged-rsa-signer-rsa-tag', record: await createTaggedRecord(r, { tag: r.publicKey.toMultihash().bytes, value: '/ipfs/bafkqaaa', sequence: 4, now }) },
    { name: 'tagged-ed25519-to-rsa-tag', record: await createTaggedRecord(alice, { tag: r.publicKey.toMultihash().bytes, value: '/ipns/k51qzi5uqu5dlvj2baxnqndepeb86cbk3ng7n3i46uzyxzyqj2xjonzllnv0v8', sequence: 5, now, lifetime: 7 * 86_400_000 }) },
    { name: 'tagged-max-sequence-max-eol', record: await createTaggedRecord(alice, { tag: bobTag, value: '/ipfs/bafkqaaa', sequence: 2n ** 64n - 1n, now, eol: 253_402_300_799_999, ttl: 0n }) },
    { name: 'plain-ed25519-v2-embedded-key', record: await createPlainRecord(alice, { value: '/ipfs/bafkqaaa', sequence: 6, now }) },
    { name: 'plain-ed25519-v1v2-standard-layout', record: await createPlainRecord(alice, { value: '/ipfs/bafkqaaa', sequence: 7, now, v1Compatible: true, embedPublicKey: false }), withRoutingKey: true },
    { name: 'plain-rsa-v1v2', record: await createPlainRecord(r, { value: '/ipfs/bafkqaaa', sequence: 8, now, v1Compatible: true, embedPublicKey: false }), withRoutingKey: true }
  ]

  const acks = [
    { name: 'ack-ed25519', ack: await createAck(bob, { entries: [{ signer: alice.publicKey.toMultihash().bytes, sequence: 2n, eol: now + 86_400_000 }, { signer: k1.publicKey.toMultihash().bytes, sequence: 3n, eol: now + 86_400_000 }], now }) },
    { name: 'ack-rsa', ack: await createAck(r, { entries: [{ signer: r.publicKey.toMultihash().bytes, sequence: 4n, eol: now + 86_400_000 }], now }) }
  ]

  return {
    comment: 'Golden vectors of test/record/golden.test.ts, made by test/record/golden-cases.ts from the fixed keys of test/record/helpers.ts. Do not edit by hand.',
    now,
    records: records.map(({ name, record, withRoutingKey }) => ({
      name,
      hex: hex(record.bytes)!,
      ...(withRoutingKey === true ? { routingKey: hex(record.routingKey) } : {}),
      expected: expectedFields(record)
    })),
    acks: acks.map(({ name, ack }) => {
      const checked = validateAck(ack.bytes)
      return {
        name,
        hex: hex(ack.bytes)!,
        expected: {
          tag: hex(checked.tag)!,
          issuedAt: checked.issuedAt,
          entries: checked.entries.map(e => ({ signer: hex(e.signer)!, sequence: e.sequence.toString(), eol: e.eol }))
        }
      }
    })
  }
}

if (process.argv.includes('--write') && import.meta.url === `file://${process.argv[1]}`) {
  writeFileSync(fixturePath('records.json'), JSON.stringify(await goldenCases(), null, 2) + '\n')
}
