/**
 * SafeEventEmitter, the base of every ipts service's events: a listener's error (thrown, or a
 * rejected promise) is handed to `onListenerError` instead of surfacing as an uncaughtException,
 * and the emitter otherwise behaves as an EventTarget (removal, `once`, listener objects).
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { SafeEventEmitter } from '../src/events.ts'

interface Events {
  ping: CustomEvent<number>
  pong: CustomEvent<number>
}

class Emitter extends SafeEventEmitter<Events> {
  readonly errors: Array<{ type: string, message: string }> = []
  readonly reported: Promise<void>
  private onReport: () => void = () => {}

  constructor () {
    super()
    this.reported = new Promise(resolve => { this.onReport = resolve })
  }

  emit (type: keyof Events, detail: number): void {
    this.dispatchEvent(new CustomEvent(type, { detail }))
  }

  protected onListenerError (type: string, err: unknown): void {
    this.errors.push({ type, message: (err as Error).message })
    this.onReport()
  }
}

describe('SafeEventEmitter', () => {
  it('hands a thrown error to onListenerError and still runs the other listeners', () => {
    const emitter = new Emitter()
    const seen: number[] = []
    emitter.addEventListener('ping', () => { throw new Error('first') })
    emitter.addEventListener('ping', (evt) => { seen.push(evt.detail) })
    emitter.emit('ping', 1)
    emitter.emit('ping', 2)
    assert.deepEqual(seen, [1, 2])
    assert.deepEqual(emitter.errors, [{ type: 'ping', message: 'first' }, { type: 'ping', message: 'first' }])
  })

  it('hands an async listener\'s rejection to onListenerError', async () => {
    const emitter = new Emitter()
    emitter.addEventListener('pong', async () => { throw new Error('later') })
    emitter.emit('pong', 1)
    await emitter.reported
    assert.deepEqual(emitter.errors, [{ type: 'pong', message: 'later' }])
  })

  it('removes a listener by the function that was added, per type, and adds it once', () => {
    const emitter = new Emitter()
    const seen: string[] = []
    const listener = (evt: CustomEvent<number>): void => { seen.push(`${evt.type}${evt.detail}`) }
    emitter.addEventListener('ping', listener)
    emitter.addEventListener('ping', listener)
    emitter.addEventListener('pong', listener)
    assert.equal(emitter.listenerCount('ping'), 1)
    emitter.emit('ping', 1)
    emitter.removeEventListener('ping', listener)
    assert.equal(emitter.listenerCount('ping'), 0)
    emitter.emit('ping', 2)
    emitter.emit('pong', 3)
    assert.deepEqual(seen, ['ping1', 'pong3'])
  })

  it('honours once, abort signals and listener objects', () => {
    const emitter = new Emitter()
    const seen: string[] = []
    emitter.addEventListener('ping', (evt) => { seen.push(`once${evt.detail}`) }, { once: true })
    const controller = new AbortController()
    emitter.addEventListener('ping', (evt) => { seen.push(`signal${evt.detail}`) }, { signal: controller.signal })
    const object = { handleEvent: (evt: CustomEvent<number>): void => { seen.push(`object${evt.detail}`) } }
    emitter.addEventListener('ping', object)
    emitter.emit('ping', 1)
    controller.abort()
    emitter.emit('ping', 2)
    emitter.removeEventListener('ping', object)
    emitter.emit('ping', 3)
    assert.deepEqual(seen, ['once1', 'signal1', 'object1', 'object2'])
    assert.equal(emitter.listenerCount('ping'), 0)
  })
})
