/** The browser build's signature checks (`verify.browser.ts`, noble) agree with the Node build's (node:crypto). */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { bytesKey, ed25519Verifier } from '../../src/record/verify.ts'
import { bytesKey as browserBytesKey, ed25519Verifier as browserEd25519Verifier, rsaVerifier as browserRsaVerifier } from '../../src/record/verify.browser.ts'

describe('signature checks across platforms', () => {
  it('Ed25519: both accept a good signature and refuse altered data, signature and key', async () => {
    const key = await generateKeyPair('Ed25519')
    const other = await generateKeyPair('Ed25519')
    const data = crypto.getRandomValues(new Uint8Array(300))
    const signature = new Uint8Array(await key.sign(data))
    const altered = data.slice()
    altered[0] ^= 1
    const badSignature = signature.slice()
    badSignature[10] ^= 1
    for (const verifier of [ed25519Verifier, browserEd25519Verifier]) {
      assert.equal(verifier(key.publicKey.raw)(data, signature), true)
      assert.equal(verifier(key.publicKey.raw)(altered, signature), false)
      assert.equal(verifier(key.publicKey.raw)(data, badSignature), false)
      assert.equal(verifier(key.publicKey.raw)(data, signature.subarray(1)), false)
      assert.equal(verifier(other.publicKey.raw)(data, signature), false)
    }
  })

  it('Ed25519: both refuse a signature whose S is not reduced (RFC 8032 strict, as OpenSSL)', async () => {
    const key = await generateKeyPair('Ed25519')
    const data = new Uint8Array([1, 2, 3])
    const signature = new Uint8Array(await key.sign(data))
    // S + L, the group order: the same point equation, but not canonical
    const L = 2n ** 252n + 27742317777372353535851937790883648493n
    let s = 0n
    for (let i = 31; i >= 0; i--) s = (s << 8n) | BigInt(signature[32 + i])
    let sPlusL = s + L
    const malleable = signature.slice()
    for (let i = 0; i < 32; i++) { malleable[32 + i] = Number(sPlusL & 0xffn); sPlusL >>= 8n }
    assert.equal(ed25519Verifier(key.publicKey.raw)(data, signature), true)
    assert.equal(browserEd25519Verifier(key.publicKey.raw)(data, signature), true)
    assert.equal(ed25519Verifier(key.publicKey.raw)(data, malleable), false)
    assert.equal(browserEd25519Verifier(key.publicKey.raw)(data, malleable), false)
  })

  it('cache keys are the same, and RSA signers are refused in the browser build', async () => {
    const bytes = crypto.getRandomValues(new Uint8Array(40))
    assert.equal(browserBytesKey(bytes), bytesKey(bytes))
    const rsa = await generateKeyPair('RSA', 1024)
    assert.throws(() => browserRsaVerifier(rsa.publicKey), /not supported in the browser/)
  })
})
