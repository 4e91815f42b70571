/** Defaults of the rendezvous module, built from the units in `src/constants.ts`. */
import { minute, second } from '../constants.ts'

/** How often a relay re-announces itself as a provider of the rendezvous CID. */
export const DEFAULT_REPROVIDE_INTERVAL = 10 * minute
/** How long one provide may run before it is abandoned until the next round. */
export const DEFAULT_PROVIDE_TIMEOUT = minute
/** The first (and shortest) pause between two look-ups of other relays. */
export const DEFAULT_FIND_INTERVAL = minute
/** The longest pause between look-ups once the set of relays is stable (the backoff cap). */
export const DEFAULT_MAX_FIND_INTERVAL = 16 * minute
/** How long one look-up may run before the relays it found so far are used. */
export const DEFAULT_FIND_TIMEOUT = 30 * second
/** How many other relays a relay keeps connections to. */
export const DEFAULT_MAX_RELAY_CONNECTIONS = 8
/** How long one dial of a relay may take. */
export const DEFAULT_DIAL_TIMEOUT = 10 * second
/** How many times a dropped relay is re-dialled before it is given up. */
export const DEFAULT_REDIAL_ATTEMPTS = 5
/** The pause before the first re-dial; it doubles after every failed attempt. */
export const DEFAULT_REDIAL_DELAY = second
/** The longest pause between two re-dials. */
export const DEFAULT_MAX_REDIAL_DELAY = minute
/** How long after start a node with no DHT peer declares itself alone. */
export const DEFAULT_ALONE_AFTER = 10 * second
/** How many discovered relay IDs are remembered (so `relay:discovered` fires once per relay). */
export const DEFAULT_MAX_KNOWN_RELAYS = 1024
/** How many reachable relays `findRelays` returns at most. */
export const DEFAULT_FIND_RELAYS_MAX = 4
/** How long `findRelays` searches before it returns the relays it reached. */
export const DEFAULT_FIND_RELAYS_TIMEOUT = 30 * second

/** Peer-store tag on kept relays: the connection manager prunes higher-valued peers last. */
export const RELAY_TAG = 'ipts-relay'
/** Value of {@link RELAY_TAG} (tag values range 0-100; bootstrap peers get 50). */
export const RELAY_TAG_VALUE = 100
