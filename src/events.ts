/**
 * The event emitter every ipts service extends. `EventTarget` reports an error thrown by a
 * listener as an `uncaughtException` (it never reaches the code that dispatched the event), so a
 * `try`/`catch` around `dispatchEvent` catches nothing and one faulty listener on, say, a relay's
 * `record:stored` ends the process. This emitter wraps each listener when it is added: what it
 * throws, or the promise it returns rejects with, goes to `onListenerError` (which logs it), and
 * the event's other listeners and the service carry on.
 */
import { TypedEventEmitter } from '@libp2p/interface'
import type { EventHandler } from '@libp2p/interface'

type Listener = EventListener | EventListenerObject

export abstract class SafeEventEmitter<EventMap extends Record<string, any>> extends TypedEventEmitter<EventMap> {
  /** The guarded wrapper of each listener, so `removeEventListener(listener)` finds it. */
  readonly #guards = new WeakMap<Listener, EventListener>()

  override addEventListener<K extends keyof EventMap>(type: K, listener: EventHandler<EventMap[K]> | null, options?: boolean | AddEventListenerOptions): void {
    if (listener == null) {
      super.addEventListener(type, listener, options)
      return
    }
    const original = listener as Listener
    let guarded = this.#guards.get(original)
    if (guarded == null) {
      guarded = (evt: Event): void => {
        try {
          const result: unknown = typeof original === 'function' ? original(evt) : original.handleEvent(evt)
          if (isPromise(result)) {
            result.then(undefined, (err: unknown) => { this.reportListenerError(evt.type, err) })
          }
        } catch (err) {
          this.reportListenerError(evt.type, err)
        }
      }
      this.#guards.set(original, guarded)
    }
    super.addEventListener(type, guarded as EventHandler<EventMap[K]>, options)
  }

  override removeEventListener<K extends keyof EventMap>(type: K, listener?: EventHandler<EventMap[K]> | null, options?: boolean | EventListenerOptions): void {
    const guarded = listener == null ? undefined : this.#guards.get(listener as Listener)
    super.removeEventListener(type, (guarded ?? listener) as EventHandler<EventMap[K]> | null | undefined, options)
  }

  /** A listener of `type` threw (or its promise rejected): log it. Must not throw. */
  protected abstract onListenerError (type: string, err: unknown): void

  private reportListenerError (type: string, err: unknown): void {
    try {
      this.onListenerError(type, err)
    } catch {
      // the logger itself failed: nothing left to tell
    }
  }
}

function isPromise (value: unknown): value is PromiseLike<unknown> {
  return value != null && typeof (value as PromiseLike<unknown>).then === 'function'
}
