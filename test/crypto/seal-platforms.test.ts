/**
 * Sealing gives the same bytes through every X25519 backend: Node's OpenSSL (the Node path), the
 * pure-JS `@noble/curves` (the browser's synchronous path) and WebCrypto (`sealToAsync`, the
 * browser's asynchronous path; Node 24 has it too). Same ephemeral key and nonce in, same sealed
 * bytes out, and each backend opens what every other sealed.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { openSealed, openSealedAsync, openWith, openWithAsync, sealTo, sealToAsync, sealWith, sealWithAsync } from '../../src/crypto/seal.ts'
import { platformX25519 } from '../../src/crypto/x25519-platform.ts'
import { platformX25519 as browserX25519 } from '../../src/crypto/x25519-platform.browser.ts'
import { nobleX25519, webCryptoX25519 } from '../../src/crypto/x25519.ts'
import * as nodeAead from '../../src/crypto/aead.ts'
import * as browserAead from '../../src/crypto/aead.browser.ts'
import { sha256 } from '../../src/crypto/sha256.ts'
import { sha256 as browserSha256 } from '../../src/crypto/sha256.browser.ts'

const text = new TextEncoder().encode('the same bytes, whichever platform sealed them')
const aad = new TextEncoder().encode('sender')

describe('seal across platforms', () => {
  it('the Node build seals with node:crypto and the browser build with noble', () => {
    assert.equal(platformX25519.name, 'node')
    assert.equal(browserX25519.name, 'noble')
  })

  it('node:crypto, noble and WebCrypto seal the same bytes from the same ephemeral key and nonce', async () => {
    const webCrypto = await webCryptoX25519()
    assert.ok(webCrypto != null, 'Node 24 has WebCrypto X25519')
    const bob = await generateKeyPair('Ed25519')
    for (let i = 0; i < 20; i++) {
      const fixed = { aad, ephemeralSecret: crypto.getRandomValues(new Uint8Array(32)), nonce: crypto.getRandomValues(new Uint8Array(24)) }
      const byNode = sealWith(platformX25519, bob.publicKey.raw, text, fixed)
      const byNoble = sealWith(nobleX25519, bob.publicKey.raw, text, fixed)
      const byWebCrypto = await sealWithAsync(webCrypto, bob.publicKey.raw, text, fixed)
      assert.deepEqual(byNoble, byNode)
      assert.deepEqual(byWebCrypto, byNode)
    }
  })

  it('each backend opens what each other sealed', async () => {
    const webCrypto = await webCryptoX25519()
    assert.ok(webCrypto != null)
    const bob = await generateKeyPair('Ed25519')
    const sealed = [
      sealWith(platformX25519, bob.publicKey.raw, text, { aad }),
      sealWith(nobleX25519, bob.publicKey.raw, text, { aad }),
      await sealWithAsync(webCrypto, bob.publicKey.raw, text, { aad }),
      sealTo(bob.publicKey.raw, text, { aad }),
      await sealToAsync(bob.publicKey.raw, text, { aad })
    ]
    for (const bytes of sealed) {
      assert.deepEqual(openWith(platformX25519, bob, bytes, { aad }), text)
      assert.deepEqual(openWith(nobleX25519, bob, bytes, { aad }), text)
      assert.deepEqual(await openWithAsync(webCrypto, bob, bytes, { aad }), text)
      assert.deepEqual(openSealed(bob, bytes, { aad }), text)
      assert.deepEqual(await openSealedAsync(bob, bytes, { aad }), text)
    }
  })

  it('every backend refuses another key and altered bytes', async () => {
    const webCrypto = await webCryptoX25519()
    assert.ok(webCrypto != null)
    const bob = await generateKeyPair('Ed25519')
    const eve = await generateKeyPair('Ed25519')
    const sealed = sealTo(bob.publicKey.raw, text, { aad })
    const altered = sealed.slice()
    altered[altered.length - 1] ^= 1
    assert.throws(() => openWith(nobleX25519, bob, altered, { aad }), { name: 'DecryptionError' })
    await assert.rejects(openWithAsync(webCrypto, bob, altered, { aad }), { name: 'DecryptionError' })
    assert.throws(() => openWith(nobleX25519, eve, sealed, { aad }), { name: 'DecryptionError' })
    await assert.rejects(openWithAsync(webCrypto, eve, sealed, { aad }), { name: 'DecryptionError' })
    // a low-order ephemeral key (all zeros) is refused by every backend, not turned into a key
    const lowOrder = sealWith(nobleX25519, bob.publicKey.raw, text, { aad })
    lowOrder.set(new Uint8Array(32), findEpk(lowOrder))
    assert.throws(() => openWith(platformX25519, bob, lowOrder, { aad }), { name: 'DecryptionError' })
    assert.throws(() => openWith(nobleX25519, bob, lowOrder, { aad }), { name: 'DecryptionError' })
    await assert.rejects(openWithAsync(webCrypto, bob, lowOrder, { aad }), { name: 'DecryptionError' })
  })

  it('XChaCha20-Poly1305 and HKDF: node:crypto (Node build) and noble (browser build) give the same bytes, open each other, and refuse tampering', () => {
    const random = (n: number): Uint8Array => crypto.getRandomValues(new Uint8Array(n))
    for (const size of [0, 1, 15, 16, 17, 63, 64, 65, 300, 4096, 10_000]) {
      for (const withAad of [undefined, random(1 + size % 40)]) {
        const key = random(32)
        const nonce = random(24)
        const plaintext = random(size)
        const byNode = nodeAead.xchachaSeal(key, nonce, plaintext, withAad)
        const byNoble = browserAead.xchachaSeal(key, nonce, plaintext, withAad)
        assert.deepEqual(byNode, byNoble, `sealed ${size} B${withAad == null ? '' : ' with aad'}`)
        assert.deepEqual(nodeAead.xchachaOpen(key, nonce, byNoble, withAad), plaintext)
        assert.deepEqual(browserAead.xchachaOpen(key, nonce, byNode, withAad), plaintext)
        for (const open of [nodeAead.xchachaOpen, browserAead.xchachaOpen]) {
          const flipped = byNode.slice()
          flipped[(size * 7) % flipped.length] ^= 1
          assert.throws(() => open(key, nonce, flipped, withAad))
          assert.throws(() => open(key, nonce, byNode, withAad == null ? random(3) : undefined))
          const otherNonce = nonce.slice()
          otherNonce[size % 24] ^= 0x80
          assert.throws(() => open(key, otherNonce, byNode, withAad))
        }
      }
      const ikm = random(32)
      const salt = random(64)
      const info = random(12)
      assert.deepEqual(nodeAead.hkdfSha256(ikm, salt, info, 32), browserAead.hkdfSha256(ikm, salt, info, 32))
    }
  })

  it('sha256 is the same in both builds', () => {
    for (const size of [0, 1, 64, 1000]) {
      const bytes = crypto.getRandomValues(new Uint8Array(size))
      assert.deepEqual(new Uint8Array(sha256(bytes)), browserSha256(bytes))
    }
  })
})

/** Offset of the 32 bytes of `epk` in a sealed map (DAG-CBOR: key "epk", then a 32-byte header 0x58 0x20). */
function findEpk (sealed: Uint8Array): number {
  const marker = [0x63, 0x65, 0x70, 0x6b, 0x58, 0x20] // "epk", bytes(32)
  for (let i = 0; i + marker.length <= sealed.length; i++) {
    if (marker.every((b, j) => sealed[i + j] === b)) return i + marker.length
  }
  throw new Error('no epk field')
}
