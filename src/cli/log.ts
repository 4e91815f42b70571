/**
 * The operator's event log: one line per significant event on stderr, with a level. `text` is
 * for people (`2026-11-29T10:00:00.000Z INFO  relay:ready relay 12D3KooW... ready peer=...`),
 * `json` for machines (`{"time":...,"level":"info","event":"relay:ready","msg":...,...fields}`).
 * Fields are public facts (peer IDs, addresses, counts, setting values); keys and message
 * contents are never passed here.
 */
export type LogFormat = 'text' | 'json'
export type LogLevel = 'error' | 'warn' | 'info' | 'debug'

const RANK: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 }

export type LogFields = Record<string, string | number | boolean | string[] | undefined>

export interface EventLogInit {
  format: LogFormat
  level: LogLevel
  /** writes one line (without its newline) */
  write(line: string): void
  /** @default Date.now */
  now?(): number
}

export class EventLog {
  private readonly init: EventLogInit
  private readonly rank: number
  private readonly now: () => number

  constructor (init: EventLogInit) {
    this.init = init
    this.rank = RANK[init.level]
    this.now = init.now ?? Date.now
  }

  enabled (level: LogLevel): boolean {
    return RANK[level] <= this.rank
  }

  error (event: string, msg: string, fields?: LogFields): void { this.log('error', event, msg, fields) }
  warn (event: string, msg: string, fields?: LogFields): void { this.log('warn', event, msg, fields) }
  info (event: string, msg: string, fields?: LogFields): void { this.log('info', event, msg, fields) }
  debug (event: string, msg: string, fields?: LogFields): void { this.log('debug', event, msg, fields) }

  log (level: LogLevel, event: string, msg: string, fields: LogFields = {}): void {
    if (!this.enabled(level)) return
    const time = new Date(this.now()).toISOString()
    if (this.init.format === 'json') {
      this.init.write(JSON.stringify({ time, level, event, msg, ...fields }))
      return
    }
    const extra = Object.entries(fields)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(',') : String(v)}`)
    this.init.write(`${time} ${level.toUpperCase().padEnd(5)} ${event} ${msg}${extra.length > 0 ? `  ${extra.join(' ')}` : ''}`)
  }
}
