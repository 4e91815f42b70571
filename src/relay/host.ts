/**
 * The host a peer connects from, as one budget key: its IPv4 address, or the /64 of its IPv6
 * address (one machine usually holds a whole /64). Fresh peer IDs from one host share it.
 */
import type { Multiaddr } from '@multiformats/multiaddr'

/** A host key for an address; `unknown` when it carries no IP (a relayed or memory address). */
export function hostKey (addr: Multiaddr | undefined): string {
  if (addr == null) return 'unknown'
  for (const { name, value } of addr.getComponents()) {
    if (name === 'ip4' && value != null) return value
    if (name === 'ip6' && value != null) return `${ipv6Prefix64(value)}::/64`
  }
  return 'unknown'
}

function ipv6Prefix64 (address: string): string {
  const [head, tail = ''] = address.split('::')
  const headParts = head === '' ? [] : head.split(':')
  const tailParts = tail === '' ? [] : tail.split(':')
  const missing = 8 - headParts.length - tailParts.length
  const full = [...headParts, ...Array<string>(Math.max(0, missing)).fill('0'), ...tailParts]
  return full.slice(0, 4).map(part => part.replace(/^0+(?=.)/, '').toLowerCase()).join(':')
}
