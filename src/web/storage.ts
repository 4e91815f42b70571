/**
 * The browser's storage: the identity key and the client state in IndexedDB (database `ipts`
 * by default, one object store `kv`), where Node keeps them in the repo's files. The key is kept
 * as the same libp2p private-key protobuf bytes as `<repo>/identity.key`, so an exported key is a
 * repo identity file and a repo's key file can be imported.
 *
 * @module
 */
import { generateKeyPair, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { ClientStateError } from '../errors.ts'
import { parseIdentityKey } from '../identity-key.ts'
import { Mutex, checkStateData, emptyState } from '../client/state.ts'
import type { ClientState, StateData } from '../client/state.ts'
import type { PeerId, PrivateKey } from '@libp2p/interface'

/** Default IndexedDB database name. */
export const DEFAULT_DB_NAME = 'ipts'
const STORE = 'kv'
const IDENTITY_KEY = 'identity'
const STATE_KEY = 'state'

export interface WebIdentity {
  privateKey: PrivateKey
  peerId: PeerId
  /** True when this call generated the key. */
  created: boolean
}

/** An IndexedDB database holding one identity and its client state. */
export class WebStore {
  readonly name: string
  readonly state: ClientState
  private readonly db: IDBDatabase

  private constructor (name: string, db: IDBDatabase) {
    this.name = name
    this.db = db
    this.state = new IndexedDbState(this)
  }

  /** Opens (creating if needed) the database `name`. */
  static async open (name: string = DEFAULT_DB_NAME): Promise<WebStore> {
    const request = indexedDB.open(name, 1)
    request.onupgradeneeded = () => { request.result.createObjectStore(STORE) }
    return new WebStore(name, await done(request))
  }

  close (): void {
    this.db.close()
  }

  /** The stored identity, generating and storing an Ed25519 key on first use. */
  async loadOrCreateIdentity (): Promise<WebIdentity> {
    const existing = await this.get(IDENTITY_KEY)
    if (existing instanceof Uint8Array) {
      return { ...parseIdentityKey(existing, `IndexedDB ${this.name}`), created: false }
    }
    const privateKey = await generateKeyPair('Ed25519')
    // `add` fails if another tab stored a key first: then use theirs
    const added = await this.transaction('readwrite', store => store.add(privateKeyToProtobuf(privateKey), IDENTITY_KEY)).then(() => true, () => false)
    if (!added) return this.loadOrCreateIdentity()
    return { privateKey, peerId: peerIdFromPrivateKey(privateKey), created: true }
  }

  /** The identity key as `<repo>/identity.key` bytes, or undefined before one was created. */
  async exportIdentity (): Promise<Uint8Array | undefined> {
    const bytes = await this.get(IDENTITY_KEY)
    return bytes instanceof Uint8Array ? bytes : undefined
  }

  /**
   * Replaces the identity with a key file's bytes (and forgets the client state, which belonged
   * to the old identity).
   *
   * @throws IdentityCorruptError or UnsupportedKeyError if the bytes are not an Ed25519 key
   */
  async importIdentity (bytes: Uint8Array): Promise<PeerId> {
    const { peerId } = parseIdentityKey(bytes, 'the imported key')
    await this.transaction('readwrite', store => {
      store.put(bytes.slice(), IDENTITY_KEY)
      return store.delete(STATE_KEY)
    })
    return peerId
  }

  /** @internal */
  async get (key: string): Promise<unknown> {
    return this.transaction('readonly', store => store.get(key))
  }

  /** Runs `fn` in one transaction and resolves with its request's result once the transaction commits. */
  async transaction<T> (mode: IDBTransactionMode, fn: (store: IDBObjectStore) => IDBRequest<T>): Promise<T> {
    const tx = this.db.transaction(STORE, mode)
    const request = fn(tx.objectStore(STORE))
    await new Promise<void>((resolve, reject) => {
      tx.oncomplete = () => { resolve() }
      tx.onerror = () => { reject(tx.error ?? new Error('IndexedDB transaction failed')) }
      tx.onabort = () => { reject(tx.error ?? new Error('IndexedDB transaction aborted')) }
    })
    return request.result
  }
}

/**
 * Client state in IndexedDB, updated under a Web Lock (`navigator.locks`, where the browser has
 * it) so that two tabs of the same inbox do not lose each other's updates.
 */
class IndexedDbState implements ClientState {
  private readonly store: WebStore
  private readonly mutex = new Mutex()

  constructor (store: WebStore) {
    this.store = store
  }

  async read (): Promise<StateData> {
    const text = await this.store.get(STATE_KEY)
    if (text == null) return emptyState()
    if (typeof text !== 'string') throw new ClientStateError(`IndexedDB ${this.store.name} state is not JSON text`)
    let data: unknown
    try {
      data = JSON.parse(text)
    } catch (err) {
      throw new ClientStateError(`IndexedDB ${this.store.name} state is not valid JSON`, { cause: err })
    }
    return checkStateData(data, `IndexedDB ${this.store.name} state`)
  }

  async update<T>(fn: (data: StateData) => T | Promise<T>): Promise<T> {
    return this.mutex.run(async () => withLock(`ipts-state:${this.store.name}`, async () => {
      const data = await this.read()
      const result = await fn(data)
      await this.store.transaction('readwrite', store => store.put(JSON.stringify(data), STATE_KEY))
      return result
    }))
  }
}

async function withLock<T> (name: string, fn: () => Promise<T>): Promise<T> {
  const locks = (globalThis.navigator as Navigator | undefined)?.locks
  if (locks == null) return fn()
  return locks.request(name, fn) as Promise<T>
}

async function done<T> (request: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => { resolve(request.result) }
    request.onerror = () => { reject(request.error ?? new Error('IndexedDB request failed')) }
  })
}
