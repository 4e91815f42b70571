/**
 * Bounded subscription announcements: a relay tells each peer only about the record topics that
 * peer itself is subscribed to.
 *
 * gossipsub 17 announces every subscription to every peer: the whole list on each new outbound
 * stream, and each (un)subscribe to every connected peer. It has no option to choose per peer,
 * and a default-config peer drops what exceeds ~1,000 announced topics (1 MiB of topic bytes at
 * ~1 KiB each) and rejects whole any RPC with more than 5,000. A relay that follows topics for
 * thousands of receivers would make itself invisible on the very topic a new peer needs.
 *
 * So the relay owns that path: every announcement goes through `sendSubscriptions`, which this
 * replaces with a filter. A `/record/` topic is announced to a peer only when gossipsub knows
 * that peer is subscribed to it; other topics (the relay topics, a handful) go to everyone. When a
 * peer subscribes to a record topic the relay already follows, the relay announces it back to
 * that peer alone, which is what lets a default peer publish to the relay on its own topic.
 *
 * The trade-off (docs/protocol.md §6): a peer learns that a relay follows a record topic only by
 * subscribing to it itself, so a peer that publishes without subscribing (fanout) cannot reach
 * the relay on that topic. Custody (the relay protocol) is the path for senders; Helia and Kubo
 * subscribe to a name's topic when they resolve or publish it over pubsub.
 */
import { isRecordTopic } from '../record/index.ts'
import type { GossipSub } from '@libp2p/gossipsub'

/** The part of gossipsub's (private) surface this module relies on, read from its source. */
interface GossipSubInternals {
  sendSubscriptions(toPeer: string, topics: string[], subscribe: boolean): void
  topics: Map<string, Set<string>>
}

export interface Announcer {
  /** Announce our subscription to `topic` to one peer (it just subscribed to a topic we follow). */
  announceTo(peer: string, topic: string): void
  /** Give gossipsub its own announcement path back. */
  restore(): void
}

/**
 * How many peers gossipsub knows to be subscribed to a topic, without building the PeerId list
 * that `getSubscribers` parses (cheap enough for a per-record check).
 */
export function subscriberCount (pubsub: GossipSub, topic: string): number {
  return (pubsub as unknown as GossipSubInternals).topics.get(topic)?.size ?? 0
}

/**
 * Routes every gossipsub announcement through the per-peer filter. Returns the means to announce
 * to one peer directly and to undo the change.
 */
export function limitAnnouncements (pubsub: GossipSub): Announcer {
  const internals = pubsub as unknown as GossipSubInternals
  if (typeof internals.sendSubscriptions !== 'function' || !(internals.topics instanceof Map)) {
    throw new Error('gossipsub no longer exposes sendSubscriptions/topics: bounded announcements need updating')
  }
  // an own property shadows the prototype's method; deleting it restores the original
  const original = Object.getPrototypeOf(internals).sendSubscriptions as GossipSubInternals['sendSubscriptions']
  const send = (toPeer: string, topics: string[], subscribe: boolean): void => {
    original.call(internals, toPeer, topics, subscribe)
  }
  internals.sendSubscriptions = (toPeer: string, topics: string[], subscribe: boolean): void => {
    const allowed = topics.filter(topic => !isRecordTopic(topic) || internals.topics.get(topic)?.has(toPeer) === true)
    if (allowed.length > 0) send(toPeer, allowed, subscribe)
  }
  return {
    announceTo (peer, topic) {
      send(peer, [topic], true)
    },
    restore () {
      delete (internals as Partial<GossipSubInternals>).sendSubscriptions
    }
  }
}
