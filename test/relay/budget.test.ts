import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { multiaddr } from '@multiformats/multiaddr'
import { Budgets, budgetReason, gossipCost } from '../../src/relay/budget.ts'
import { hostKey, subnetOf } from '../../src/relay/host.ts'
import {
  DEFAULT_MAX_ACKS_PER_IP_PER_MINUTE, DEFAULT_MAX_ACKS_PER_PEER_PER_MINUTE, DEFAULT_MAX_PUBLISHES_PER_IP_PER_MINUTE,
  DEFAULT_MAX_PUBLISHES_PER_PEER_PER_MINUTE, DEFAULT_MAX_PUTS_PER_IP_PER_MINUTE, DEFAULT_MAX_PUTS_PER_PEER_PER_MINUTE,
  DEFAULT_MAX_RELAY_ITEMS_PER_IP_PER_MINUTE, DEFAULT_MAX_RELAY_ITEMS_PER_PEER_PER_MINUTE
} from '../../src/relay/constants.ts'
import type { BudgetKind } from '../../src/relay/budget.ts'

const T0 = 1_700_000_000_000
const minute = 60_000

describe('Budgets', () => {
  it('applies the named defaults per kind', () => {
    const b = new Budgets()
    assert.deepEqual(b.limits('put'), { peer: DEFAULT_MAX_PUTS_PER_PEER_PER_MINUTE, ip: DEFAULT_MAX_PUTS_PER_IP_PER_MINUTE })
    assert.deepEqual(b.limits('ack'), { peer: DEFAULT_MAX_ACKS_PER_PEER_PER_MINUTE, ip: DEFAULT_MAX_ACKS_PER_IP_PER_MINUTE })
    assert.deepEqual(b.limits('gossip'), { peer: DEFAULT_MAX_PUBLISHES_PER_PEER_PER_MINUTE, ip: DEFAULT_MAX_PUBLISHES_PER_IP_PER_MINUTE })
    assert.deepEqual(b.limits('relay'), { peer: DEFAULT_MAX_RELAY_ITEMS_PER_PEER_PER_MINUTE, ip: DEFAULT_MAX_RELAY_ITEMS_PER_IP_PER_MINUTE })
    assert.deepEqual(new Budgets({ maxPutsPerPeerPerMinute: 0 }).limits('put').peer, 0)
  })

  for (const [kind, peerOpt, ipOpt] of [
    ['put', 'maxPutsPerPeerPerMinute', 'maxPutsPerIpPerMinute'],
    ['ack', 'maxAcksPerPeerPerMinute', 'maxAcksPerIpPerMinute'],
    ['gossip', 'maxPublishesPerPeerPerMinute', 'maxPublishesPerIpPerMinute'],
    ['relay', 'maxRelayItemsPerPeerPerMinute', 'maxRelayItemsPerIpPerMinute']
  ] as Array<[BudgetKind, string, string]>) {
    it(`${kind}: N a minute per peer, M per address, refilled over the minute`, () => {
      const b = new Budgets({ [peerOpt]: 3, [ipOpt]: 5 })
      for (let i = 0; i < 3; i++) assert.equal(b.take(kind, 'p1', '10.0.0.1', T0), 'ok')
      assert.equal(b.take(kind, 'p1', '10.0.0.1', T0), 'peer')
      // a fresh peer at the same address has its own bucket, but shares the address's
      assert.equal(b.take(kind, 'p2', '10.0.0.1', T0), 'ok')
      assert.equal(b.take(kind, 'p3', '10.0.0.1', T0), 'ok')
      assert.equal(b.take(kind, 'p4', '10.0.0.1', T0), 'ip')
      // another address is unaffected; refusals charge nothing
      assert.equal(b.take(kind, 'p4', '10.0.0.2', T0), 'ok')
      // one token back every 20 s for the peer (12 s for the address)
      assert.equal(b.take(kind, 'p1', '10.0.0.1', T0 + 19_999), 'peer')
      assert.equal(b.take(kind, 'p1', '10.0.0.1', T0 + 20_000), 'ok')
      assert.equal(b.take(kind, 'p1', '10.0.0.1', T0 + minute + 20_000), 'ok')
      // other kinds are separate
      const other: BudgetKind = kind === 'put' ? 'ack' : 'put'
      assert.equal(b.take(other, 'p1', '10.0.0.1', T0), 'ok')
    })
  }

  it('without an address, charges the peer only; Infinity turns a budget off; 0 refuses all', () => {
    const b = new Budgets({ maxPutsPerPeerPerMinute: 1, maxPutsPerIpPerMinute: 0, maxAcksPerPeerPerMinute: Infinity, maxAcksPerIpPerMinute: Infinity })
    assert.equal(b.take('put', 'p', undefined, T0), 'ok')
    assert.equal(b.take('put', 'q', '10.0.0.1', T0), 'ip')
    for (let i = 0; i < 10_000; i++) assert.equal(b.take('ack', 'p', '10.0.0.1', T0), 'ok')
  })

  it('allow then charge: a cost learnt after the fact may leave a debt that later requests repay', () => {
    const b = new Budgets({ maxPublishesPerPeerPerMinute: 6, maxPublishesPerIpPerMinute: 600 })
    assert.equal(b.allow('gossip', 'p', '10.0.0.1', T0), 'ok')
    b.charge('gossip', 'p', '10.0.0.1', T0, 10) // 6 - 10 = -4
    assert.equal(b.allow('gossip', 'p', '10.0.0.1', T0), 'peer')
    // one token a 10 s: -4 -> 1 after 50 s
    assert.equal(b.allow('gossip', 'p', '10.0.0.1', T0 + 49_999), 'peer')
    assert.equal(b.allow('gossip', 'p', '10.0.0.1', T0 + 50_000), 'ok')
    // a duplicate charged a tenth of a token
    b.charge('gossip', 'p', '10.0.0.1', T0 + 50_000, 0.1)
    assert.equal(b.allow('gossip', 'p', '10.0.0.1', T0 + 50_000), 'peer')
    // a debt never exceeds one burst: -6, so 7 tokens (70 s) to the next
    b.charge('gossip', 'q', undefined, T0, 1000)
    assert.equal(b.allow('gossip', 'q', undefined, T0 + 69_999), 'peer')
    assert.equal(b.allow('gossip', 'q', undefined, T0 + 70_000), 'ok')
  })

  it('forgets the least recently seen beyond maxTrackedPeers (they start full again)', () => {
    const b = new Budgets({ maxPutsPerPeerPerMinute: 1, maxPutsPerIpPerMinute: Infinity, maxTrackedPeers: 2 })
    assert.equal(b.take('put', 'a', undefined, T0), 'ok')
    assert.equal(b.take('put', 'a', undefined, T0), 'peer')
    b.take('put', 'b', undefined, T0)
    b.take('put', 'c', undefined, T0)
    assert.equal(b.take('put', 'a', undefined, T0), 'ok')
  })

  it('charges a gossip message by what it brought: a token if new or bad, a tenth if a repeat', () => {
    assert.equal(gossipCost('stored'), 1)
    assert.equal(gossipCost('invalid'), 1)
    assert.equal(gossipCost('refused'), 1)
    for (const status of ['duplicate', 'stale', 'tombstoned'] as const) assert.equal(gossipCost(status), 0.1)
    // 600 a minute: a relay peer republishing 1,200 known records a minute costs 120 tokens
    const b = new Budgets()
    for (let i = 0; i < 1200; i++) {
      assert.equal(b.allow('gossip', 'relay', '10.0.0.1', T0), 'ok')
      b.charge('gossip', 'relay', '10.0.0.1', T0, gossipCost('duplicate'))
    }
  })

  it('names refusals by the bucket that ran out', () => {
    assert.equal(budgetReason('peer'), 'RateLimitedError')
    assert.equal(budgetReason('ip'), 'HostRateLimitedError')
  })
})

describe('hostKey', () => {
  it('keys IPv4 by address, IPv6 by /64, IPv4-mapped IPv6 as IPv4', () => {
    assert.equal(subnetOf('203.0.113.7'), '203.0.113.7')
    assert.equal(subnetOf('2001:db8:1:2:3:4:5:6'), '2001:db8:1:2::/64')
    assert.equal(subnetOf('2001:db8:1:2::9'), '2001:db8:1:2::/64')
    assert.equal(subnetOf('2001:DB8:0001:0002:ffff::'), '2001:db8:1:2::/64')
    assert.equal(subnetOf('::1'), '0:0:0:0::/64')
    assert.equal(subnetOf('::ffff:198.51.100.1'), '198.51.100.1')
    assert.equal(subnetOf('64:ff9b::192.0.2.33'), '64:ff9b:0:0::/64')
    assert.equal(subnetOf('fe80::1%eth0'), 'fe80:0:0:0::/64')
    assert.equal(subnetOf('not an address'), undefined)
  })

  it('reads the key from a connection\'s remote multiaddr', () => {
    assert.equal(hostKey(multiaddr('/ip4/127.0.0.2/tcp/4001')), '127.0.0.2')
    assert.equal(hostKey(multiaddr('/ip6/2001:db8:aa:bb::1/tcp/4001')), '2001:db8:aa:bb::/64')
    assert.equal(hostKey(multiaddr('/ip6/::ffff:10.0.0.1/tcp/4001')), '10.0.0.1')
    assert.equal(hostKey(multiaddr('/dns4/example.com/tcp/4001')), 'unknown')
  })
})
