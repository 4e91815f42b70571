/** Small byte helpers (no copies unless said). */

export function startsWith (bytes: Uint8Array, prefix: Uint8Array): boolean {
  if (bytes.byteLength < prefix.byteLength) {
    return false
  }

  for (let i = 0; i < prefix.byteLength; i++) {
    if (bytes[i] !== prefix[i]) {
      return false
    }
  }

  return true
}

export function bytesEqual (a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && startsWith(a, b)
}

export function concat (a: Uint8Array, b: Uint8Array): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(a.byteLength + b.byteLength)
  out.set(a, 0)
  out.set(b, a.byteLength)
  return out
}

/** The same bytes typed as backed by an `ArrayBuffer` (copied only if they are not). */
export function arrayBufferBacked (bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return bytes.buffer instanceof ArrayBuffer ? bytes as Uint8Array<ArrayBuffer> : bytes.slice()
}
