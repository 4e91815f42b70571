import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import * as dagCbor from '@ipld/dag-cbor'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id'
import { openSealed, sealTo } from '../../src/crypto/seal.ts'
import type { Ed25519PrivateKey } from '@libp2p/interface'

const text = new TextEncoder().encode('meet me at the usual place at 6')

interface Sealed { v: number, epk: Uint8Array, n: Uint8Array, ct: Uint8Array }

function contains (haystack: Uint8Array, needle: Uint8Array): boolean {
  return Buffer.from(haystack).indexOf(Buffer.from(needle)) !== -1
}

/** Decodes, lets `change` alter one field, re-encodes. */
function tamper (sealed: Uint8Array, change: (s: Sealed) => void): Uint8Array {
  const s = dagCbor.decode<Sealed>(sealed)
  const copy: Sealed = { v: s.v, epk: s.epk.slice(), n: s.n.slice(), ct: s.ct.slice() }
  change(copy)
  return dagCbor.encode(copy)
}

describe('seal', () => {
  it('round trips to a peer ID and to a raw public key', async () => {
    const bob = await generateKeyPair('Ed25519')
    assert.deepEqual(openSealed(bob, sealTo(peerIdFromPrivateKey(bob), text)), text)
    assert.deepEqual(openSealed(bob, sealTo(bob.publicKey.raw, text)), text)
    assert.deepEqual(openSealed(bob, sealTo(bob.publicKey.raw, new Uint8Array(0))), new Uint8Array(0))
  })

  it('has the documented wire form and size', async () => {
    const bob = await generateKeyPair('Ed25519')
    const plaintext = new Uint8Array(1000).fill(7)
    const sealed = sealTo(bob.publicKey.raw, plaintext)
    const s = dagCbor.decode<Sealed>(sealed)
    assert.deepEqual(Object.keys(s).sort(), ['ct', 'epk', 'n', 'v'])
    assert.equal(s.v, 1)
    assert.equal(s.epk.byteLength, 32)
    assert.equal(s.n.byteLength, 24)
    assert.equal(s.ct.byteLength, plaintext.byteLength + 16)
    assert.equal(sealed.byteLength, plaintext.byteLength + 92)
  })

  it('another key cannot open it', async () => {
    const bob = await generateKeyPair('Ed25519')
    const eve = await generateKeyPair('Ed25519')
    const sealed = sealTo(bob.publicKey.raw, text)
    assert.throws(() => openSealed(eve, sealed), { name: 'DecryptionError' })
  })

  it('refuses tampered ciphertext, tag, nonce, ephemeral key and version', async () => {
    const bob = await generateKeyPair('Ed25519')
    const sealed = sealTo(bob.publicKey.raw, text)
    const other = dagCbor.decode<Sealed>(sealTo(bob.publicKey.raw, text))
    const cases: Array<[string, (s: Sealed) => void]> = [
      ['ciphertext bit', s => { s.ct[0] ^= 1 }],
      ['tag bit', s => { s.ct[s.ct.length - 1] ^= 0x80 }],
      ['truncated ciphertext', s => { s.ct = s.ct.subarray(0, s.ct.length - 1) }],
      ['nonce bit', s => { s.n[5] ^= 1 }],
      ['epk bit', s => { s.epk[3] ^= 1 }],
      ['epk of another seal', s => { s.epk = other.epk }],
      ['all-zero epk (low order)', s => { s.epk = new Uint8Array(32) }],
      ['short nonce', s => { s.n = s.n.subarray(0, 12) }],
      ['version 2', s => { s.v = 2 }]
    ]
    for (const [label, change] of cases) {
      assert.throws(() => openSealed(bob, tamper(sealed, change)), { name: 'DecryptionError' }, label)
    }
    // unchanged re-encoding still opens, so the failures above come from the changes
    assert.deepEqual(openSealed(bob, tamper(sealed, () => {})), text)
    assert.throws(() => openSealed(bob, sealed.subarray(0, sealed.length - 1)), { name: 'DecryptionError' })
    assert.throws(() => openSealed(bob, new Uint8Array([0xa0])), { name: 'DecryptionError' })
    assert.throws(() => openSealed(bob, new Uint8Array(0)), { name: 'DecryptionError' })
  })

  it('binds additional data', async () => {
    const bob = await generateKeyPair('Ed25519')
    const aad = new TextEncoder().encode('from alice')
    const sealed = sealTo(bob.publicKey.raw, text, { aad })
    assert.deepEqual(openSealed(bob, sealed, { aad }), text)
    assert.throws(() => openSealed(bob, sealed), { name: 'DecryptionError' })
    assert.throws(() => openSealed(bob, sealed, { aad: new TextEncoder().encode('from mallory') }), { name: 'DecryptionError' })
  })

  it('hides the plaintext and never repeats', async () => {
    const bob = await generateKeyPair('Ed25519')
    const a = sealTo(bob.publicKey.raw, text)
    const b = sealTo(bob.publicKey.raw, text)
    assert.ok(!contains(a, text))
    assert.ok(!contains(a, text.subarray(0, 8)))
    assert.notDeepEqual(a, b)
    const sa = dagCbor.decode<Sealed>(a)
    const sb = dagCbor.decode<Sealed>(b)
    assert.notDeepEqual(sa.epk, sb.epk)
    assert.notDeepEqual(sa.n, sb.n)
    assert.notDeepEqual(sa.ct, sb.ct)
  })

  it('refuses recipients that are not Ed25519', async () => {
    const secp = await generateKeyPair('secp256k1')
    assert.throws(() => sealTo(peerIdFromPrivateKey(secp), text), { name: 'UnsupportedKeyError' })
    const rsaPeer = peerIdFromString('QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N')
    assert.equal(rsaPeer.type, 'RSA')
    assert.throws(() => sealTo(rsaPeer, text), { name: 'UnsupportedKeyError' })
    assert.throws(() => sealTo(new Uint8Array(31), text), { name: 'UnsupportedKeyError' })
    // y >= p: not an encoding of any curve point
    assert.throws(() => sealTo(new Uint8Array(32).fill(0xff).fill(0x7f, 31), text), { name: 'UnsupportedKeyError' })
    // the Ed25519 identity point (y = 1) maps to the X25519 low-order point u = 0
    const identityPoint = new Uint8Array(32)
    identityPoint[0] = 1
    assert.throws(() => sealTo(identityPoint, text), { name: 'UnsupportedKeyError' })
    const bob = await generateKeyPair('Ed25519')
    const sealed = sealTo(bob.publicKey.raw, text)
    assert.throws(() => openSealed(secp as unknown as Ed25519PrivateKey, sealed), { name: 'UnsupportedKeyError' })
  })
})
