/**
 * The host a peer connects from, as one budget key: its IPv4 address, or the /64 of its IPv6
 * address (one machine usually holds a whole /64). Fresh peer IDs from one host share it. The
 * topic-follow caps, the ingest budgets (`./budget.ts`) and the store's eviction (a record's
 * uploader) all key by it.
 */
import { isIPv4, isIPv6 } from 'node:net'
import type { Multiaddr } from '@multiformats/multiaddr'

/** Prefix length an IPv6 address is reduced to (one host commonly holds a /64). */
export const IPV6_HOST_BITS = 64

/** A host key for an address; `unknown` when it carries no IP (a relayed or memory address). */
export function hostKey (addr: Multiaddr | undefined): string {
  if (addr == null) return 'unknown'
  for (const { name, value } of addr.getComponents()) {
    if ((name === 'ip4' || name === 'ip6') && value != null) return subnetOf(value) ?? 'unknown'
  }
  return 'unknown'
}

/**
 * The host key of an IP address given as text: an IPv4 address as is, an IPv6 address reduced to
 * its /64 (`2001:db8:1:2::/64`), an IPv4-mapped IPv6 address as its IPv4 address. Undefined for
 * anything that is not an IP address.
 */
export function subnetOf (ip: string): string | undefined {
  if (isIPv4(ip)) return ip
  if (!isIPv6(ip)) return undefined
  const groups = expandIPv6(ip.split('%')[0])
  if (groups == null) return undefined
  // IPv4-mapped (::ffff:a.b.c.d, however it is written): the IPv4 host
  if (groups.slice(0, 5).every(g => g === 0) && groups[5] === 0xffff) {
    return [groups[6] >> 8, groups[6] & 0xff, groups[7] >> 8, groups[7] & 0xff].join('.')
  }
  return `${groups.slice(0, IPV6_HOST_BITS / 16).map(g => g.toString(16)).join(':')}::/${IPV6_HOST_BITS}`
}

/** The eight 16-bit groups of a valid IPv6 address (no zone), or undefined. */
function expandIPv6 (ip: string): number[] | undefined {
  let text = ip
  const tail: number[] = []
  const v4 = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(text)
  if (v4 != null) {
    const b = v4[2].split('.').map(Number)
    tail.push((b[0] << 8) | b[1], (b[2] << 8) | b[3])
    // keep a trailing '::', drop a single trailing ':'
    text = v4[1].endsWith('::') ? v4[1] : v4[1].slice(0, -1)
  }
  const halves = text.split('::')
  if (halves.length > 2) return undefined
  const parse = (s: string): number[] => s === '' ? [] : s.split(':').map(h => parseInt(h, 16))
  const head = parse(halves[0])
  const rest = halves.length === 2 ? parse(halves[1]) : []
  const missing = 8 - tail.length - head.length - rest.length
  if (missing < 0 || (halves.length === 1 && missing !== 0)) return undefined
  const groups = [...head, ...new Array<number>(missing).fill(0), ...rest, ...tail]
  if (groups.some(g => !Number.isInteger(g) || g < 0 || g > 0xffff)) return undefined
  return groups
}
