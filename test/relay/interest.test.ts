/** The interest table (pure) and host keys: counts go up and down, caps hold, grace expires. */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { multiaddr } from '@multiformats/multiaddr'
import { InterestTable } from '../../src/relay/interest.ts'
import { hostKey } from '../../src/relay/host.ts'

const limits = { maxTopicsPerPeer: 2, maxTopicsPerHost: 3, maxTopics: 4, grace: 1000 }

describe('InterestTable', () => {
  it('counts a peer once per topic, and a topic is new only for its first peer', () => {
    const t = new InterestTable(limits)
    assert.deepEqual(t.add('p1', 'h1', 'a'), { status: 'added', topicIsNew: true })
    assert.deepEqual(t.add('p1', 'h1', 'a'), { status: 'known' })
    assert.deepEqual(t.add('p2', 'h2', 'a'), { status: 'added', topicIsNew: false })
    assert.equal(t.interested('a'), 2)
    assert.equal(t.size, 1)
  })

  it('refuses past each cap with its reason, and gives budget back on leave and disconnect', () => {
    const t = new InterestTable(limits)
    t.add('p1', 'h1', 'a')
    t.add('p1', 'h1', 'b')
    assert.deepEqual(t.add('p1', 'h1', 'c'), { status: 'refused', reason: 'TooManyTopicsError' })
    t.add('p2', 'h1', 'c')
    assert.deepEqual(t.add('p3', 'h1', 'd'), { status: 'refused', reason: 'HostTooManyTopicsError' })
    t.add('p4', 'h2', 'd')
    assert.deepEqual(t.add('p5', 'h3', 'e'), { status: 'refused', reason: 'TopicsFullError' })
    // joining a topic already followed is not refused by the total cap
    assert.equal(t.add('p5', 'h3', 'a').status, 'added')
    t.remove('p1', 'b', 0)
    assert.equal(t.topicsOf('p1'), 1)
    assert.equal(t.topicsOfHost('h1'), 2)
    t.removePeer('p2', 0)
    assert.equal(t.topicsOfHost('h1'), 1)
    assert.equal(t.add('p1', 'h1', 'x').status, 'refused', 'b and c are in their grace period: still followed, total is full')
    assert.deepEqual(t.expire(999), [])
    assert.deepEqual(t.expire(1000).sort(), ['b', 'c'])
    assert.deepEqual(t.add('p1', 'h1', 'x'), { status: 'added', topicIsNew: true })
  })

  it('a topic in its grace period is taken back without being new', () => {
    const t = new InterestTable(limits)
    t.add('p1', 'h1', 'a')
    t.removePeer('p1', 0)
    assert.equal(t.has('a'), true)
    assert.equal(t.interested('a'), 0)
    assert.deepEqual(t.add('p2', 'h2', 'a'), { status: 'added', topicIsNew: false })
    assert.deepEqual(t.expire(5000), [], 'interested again: no longer expires')
  })
})

describe('hostKey', () => {
  it('is the IPv4 address, the IPv6 /64, or unknown', () => {
    assert.equal(hostKey(multiaddr('/ip4/10.1.2.3/tcp/4001')), '10.1.2.3')
    assert.equal(hostKey(multiaddr('/ip6/2001:db8:0:1:2:3:4:5/tcp/4001')), '2001:db8:0:1::/64')
    assert.equal(hostKey(multiaddr('/ip6/2001:db8::1/tcp/4001')), '2001:db8:0:0::/64')
    assert.equal(hostKey(multiaddr('/ip6/::1/tcp/1')), '0:0:0:0::/64')
    assert.equal(hostKey(undefined), 'unknown')
  })
})
