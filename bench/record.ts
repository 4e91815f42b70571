/**
 * Record validation speed against the raw Ed25519 verify rate, measured in the same run.
 *
 * - raw: `crypto.verify(null, "ipns-signature:" + data, keyObject, sig)` with a KeyObject made
 *   beforehand for each signer: the ceiling for one signature check per record.
 * - raw + key import: the same, but building each signer's KeyObject from its 32 raw bytes
 *   first (what any validator pays for a signer it has not seen).
 * - distinct, cold: `RecordValidator.validate` on 5,000 tagged records from 5,000 signers with
 *   a fresh validator each round (every signer's KeyObject is built on first sight, as at a
 *   relay seeing new senders).
 * - distinct, warm: the same records again through the same validator (keys cached).
 * - same signer: 5,000 records (distinct sequences) from one signer.
 * - ipns reference: the ipns package's `ipnsValidator` (async) on 5,000 plain records of one
 *   signer, the rate the brief quotes as 0.75-0.79 of raw.
 *
 * Rates are per second of this process's CPU time (user + system), so that other work on a
 * shared machine skews them less; the phases alternate every 250 records, and each rate and
 * ratio is the median over the rounds, with the extremes beside it. Each phase ends with a
 * young-generation GC inside its own measurement, so the garbage one phase leaves is collected
 * on its own bill and not the next phase's (a full GC opens every round, outside the
 * measurements); this needs `--expose-gc`, which `npm run bench` passes. The target for the
 * relay's single-check paths (sync, custody) is >= 0.8 of raw.
 *
 * A ratio above 1.05 (validating does a verify and more; 5% for noise) throws
 * ImplausibleFigureError.
 *
 * Run: `node_modules/.bin/tsc -p . && node_modules/.bin/node --expose-gc dist/bench/record.js`
 */
import crypto from 'node:crypto'
import { pathToFileURL } from 'node:url'
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys'
import { ipnsValidator } from 'ipns/validator'
import { IpnsEntry } from '../src/pb/ipns.ts'
import { RAW_PUBLIC } from '../src/record/keys.ts'
import { createPlainRecord, createTaggedRecord, RecordValidator } from '../src/record/index.ts'
import { assertPlausible, gc, hasGc, load, rounded, spread } from './stats.ts'
import type { IptsRecord } from '../src/record/index.ts'
import type { Spread, SummaryRow } from './stats.ts'

export interface RecordBenchOptions {
  /** records per measurement. @default 5000 */
  records?: number
  /** alternating rounds. @default 7 */
  rounds?: number
}

export interface RecordBenchResult {
  records: number
  rounds: number
  recordBytes: number
  /** whether each phase's young-generation GC was billed to it (needs --expose-gc) */
  gcPerPhase: boolean
  loadBefore: number[]
  loadAfter: number[]
  /** per CPU-second, median and extremes over the rounds */
  rawVerifyPerSec: Spread
  rawVerifyWithKeyImportPerSec: Spread
  validateDistinctColdPerSec: Spread
  validateDistinctWarmPerSec: Spread
  validateSameSignerPerSec: Spread
  ipnsValidatorSameSignerPerSec: Spread
  /** rate / raw rate, over the rounds' ratios */
  ratios: {
    rawWithKeyImport: Spread
    distinctCold: Spread
    distinctWarm: Spread
    sameSigner: Spread
    ipnsValidatorSameSigner: Spread
  }
  rows: SummaryRow[]
}

const NOW = 1_700_000_000_000
const SPKI_ED25519 = Buffer.from('302a300506032b6570032100', 'hex')
const PREFIX = new TextEncoder().encode('ipns-signature:')
/** records per measured slice: phases alternate slice by slice */
const CHUNK = 250

/** The same import the validator uses (see src/record/keys.ts). */
function importKey (raw: Buffer): crypto.KeyObject {
  return RAW_PUBLIC
    ? crypto.createPublicKey({ key: raw, format: 'raw-public', asymmetricKeyType: 'ed25519' })
    : crypto.createPublicKey({ key: Buffer.concat([SPKI_ED25519, raw]), format: 'der', type: 'spki' })
}

function seed (i: number): Uint8Array {
  const out = new Uint8Array(32)
  new DataView(out.buffer).setUint32(0, i + 1)
  out[31] = 0x5a
  return out
}

export async function run (options: RecordBenchOptions = {}): Promise<RecordBenchResult> {
  const count = options.records ?? 5000
  const rounds = options.rounds ?? 7
  const loadBefore = load()
  const receiver = await generateKeyPairFromSeed('Ed25519', seed(1_000_000))
  const tag = receiver.publicKey.toMultihash().bytes
  const one = await generateKeyPairFromSeed('Ed25519', seed(2_000_000))

  const distinct: IptsRecord[] = []
  const raw: Array<{ data: Buffer, sig: Buffer, key: crypto.KeyObject, publicKey: Buffer }> = []

  for (let i = 0; i < count; i++) {
    const key = await generateKeyPairFromSeed('Ed25519', seed(i))
    const record = await createTaggedRecord(key, { tag, value: `/ipfs/bafkqaaa${i}`, sequence: i, now: NOW })
    const entry = IpnsEntry.decode(record.bytes)
    distinct.push(record)
    raw.push({
      data: Buffer.concat([PREFIX, entry.data!]),
      sig: Buffer.from(entry.signatureV2!),
      key: importKey(Buffer.from(key.publicKey.raw)),
      publicKey: Buffer.from(key.publicKey.raw)
    })
  }

  const same: IptsRecord[] = []
  const plain: Uint8Array[] = []

  for (let i = 0; i < count; i++) {
    same.push(await createTaggedRecord(one, { tag, value: `/ipfs/bafkqaaa${i}`, sequence: i, now: NOW }))
    plain.push((await createPlainRecord(one, { value: `/ipfs/bafkqaaa${i}`, sequence: i, now: Date.now(), embedPublicKey: false })).bytes)
  }

  const plainRoutingKey = (await createPlainRecord(one, { value: '/ipfs/x', sequence: 0, now: NOW })).routingKey
  type Phase = 'raw' | 'rawImport' | 'cold' | 'warm' | 'same' | 'ipns'
  const phases: Phase[] = ['raw', 'rawImport', 'cold', 'warm', 'same', 'ipns']
  const rates = Object.fromEntries(phases.map(p => [p, [] as number[]])) as Record<Phase, number[]>
  const ratios = Object.fromEntries(phases.map(p => [p, [] as number[]])) as Record<Phase, number[]>
  let sink = 0

  // each round: chunk by chunk, every phase in turn, so load changes on the machine hit all
  // phases alike; CPU time is summed per phase over the round
  for (let round = 0; round < rounds; round++) {
    const validator = new RecordValidator()
    const cpu = Object.fromEntries(phases.map(p => [p, 0])) as Record<Phase, number>
    gc()
    const measure = async (phase: Phase, fn: () => void | Promise<void>): Promise<void> => {
      const start = process.cpuUsage()
      await fn()
      // this phase's garbage, collected on this phase's bill
      gc('minor')
      const used = process.cpuUsage(start)
      cpu[phase] += (used.user + used.system) / 1e6
    }

    for (let from = 0; from < count; from += CHUNK) {
      const to = Math.min(count, from + CHUNK)

      await measure('raw', () => {
        for (let i = from; i < to; i++) {
          if (crypto.verify(null, raw[i].data, raw[i].key, raw[i].sig)) {
            sink++
          }
        }
      })
      await measure('rawImport', () => {
        for (let i = from; i < to; i++) {
          if (crypto.verify(null, raw[i].data, importKey(raw[i].publicKey), raw[i].sig)) {
            sink++
          }
        }
      })
      // first sight of these signers for this round's validator, then again with keys cached
      await measure('cold', () => {
        for (let i = from; i < to; i++) {
          sink += validator.validate(distinct[i].bytes, { now: NOW }).bytes.byteLength
        }
      })
      await measure('warm', () => {
        for (let i = from; i < to; i++) {
          sink += validator.validate(distinct[i].bytes, { now: NOW }).bytes.byteLength
        }
      })
      await measure('same', () => {
        for (let i = from; i < to; i++) {
          sink += validator.validate(same[i].bytes, { now: NOW }).bytes.byteLength
        }
      })
      await measure('ipns', async () => {
        for (let i = from; i < to; i++) {
          await ipnsValidator(plainRoutingKey, plain[i])
          sink++
        }
      })
    }

    for (const phase of phases) {
      rates[phase].push(count / cpu[phase])
      ratios[phase].push(cpu.raw / cpu[phase])
    }
  }

  if (sink === 0) {
    throw new Error('nothing verified')
  }

  const rate = (p: Phase): Spread => rounded(spread(rates[p]), 0)
  const ratio = (p: Phase): Spread => rounded(spread(ratios[p]))
  const result: RecordBenchResult = {
    records: count,
    rounds,
    recordBytes: distinct[0].bytes.byteLength,
    gcPerPhase: hasGc(),
    loadBefore,
    loadAfter: load(),
    rawVerifyPerSec: rate('raw'),
    rawVerifyWithKeyImportPerSec: rate('rawImport'),
    validateDistinctColdPerSec: rate('cold'),
    validateDistinctWarmPerSec: rate('warm'),
    validateSameSignerPerSec: rate('same'),
    ipnsValidatorSameSignerPerSec: rate('ipns'),
    ratios: {
      rawWithKeyImport: ratio('rawImport'),
      distinctCold: ratio('cold'),
      distinctWarm: ratio('warm'),
      sameSigner: ratio('same'),
      ipnsValidatorSameSigner: ratio('ipns')
    },
    rows: []
  }
  result.rows = [{
    measure: 'record validation, first-seen signers / raw verify (cached key)',
    value: result.validateDistinctColdPerSec,
    unit: 'records/CPU-s',
    baseline: { label: 'raw verify, cached key', value: result.rawVerifyPerSec, unit: 'verifies/CPU-s' },
    ratio: result.ratios.distinctCold,
    target: '(no target: the ceiling of the one-check paths)',
    note: `known signers ${result.ratios.distinctWarm.median}; raw verify with key import ${result.ratios.rawWithKeyImport.median}`
  }]
  for (const p of ['rawImport', 'cold', 'warm', 'same', 'ipns'] as const) {
    assertPlausible(`record bench: ${p} / raw verify`, ratios[p], { max: 1.05, why: 'each does one verify and more (5% allowed for noise)' })
  }
  return result
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const result = await run()
  process.stdout.write(JSON.stringify(result, null, 2) + '\n')
}
