/**
 * Everything the CLI prints goes through here. With `--json`, stdout carries one JSON object per
 * line and nothing else; human notes go to stderr either way. Progress (a line rewritten in
 * place) is drawn only when stderr is a terminal.
 *
 * Text that others chose (a sender's message, a file name, a relay's error) never reaches the
 * terminal raw in human output: `printable` escapes control characters (a newline would forge a
 * line that seems to come from another peer; escape sequences drive the terminal) and the
 * Unicode bidi and line-separator controls (which reorder or break what is shown). Notes and
 * progress are escaped whole; commands escape the untrusted parts of their result lines. JSON
 * output is exact: JSON escapes what it must.
 */
import type { Writable } from 'node:stream'

export interface OutputInit {
  json: boolean
  stdout?: Writable & { isTTY?: boolean }
  stderr?: Writable & { isTTY?: boolean }
}

export class Output {
  readonly json: boolean
  private readonly stdout: Writable
  private readonly stderr: Writable
  private readonly tty: boolean
  private progressShown = false

  constructor (init: OutputInit) {
    this.json = init.json
    this.stdout = init.stdout ?? process.stdout
    this.stderr = init.stderr ?? process.stderr
    this.tty = (init.stderr ?? process.stderr).isTTY === true
  }

  /** A result: one JSON line with `--json`, else the human line on stdout. */
  result (object: Record<string, unknown>, human: string): void {
    this.clearProgress()
    this.stdout.write(this.json ? toJsonLine(object) : `${human}\n`)
  }

  /** A human note on stderr (kept out of stdout so `--json` output stays parseable); one line, escaped. */
  note (text: string): void {
    this.clearProgress()
    this.stderr.write(`${printable(text)}\n`)
  }

  /** A one-line status, rewritten in place on a terminal; dropped elsewhere. */
  progress (text: string): void {
    if (!this.tty) return
    // terminals that report no width (or a silly one) get a sane default
    const columns = Math.max(40, (this.stderr as { columns?: number }).columns ?? 100)
    text = printable(text)
    this.stderr.write(`\r\x1b[2K${text.length >= columns ? `${text.slice(0, columns - 2)}…` : text}`)
    this.progressShown = true
  }

  clearProgress (): void {
    if (!this.progressShown) return
    this.stderr.write('\r\x1b[2K')
    this.progressShown = false
  }

  /** Resolves once everything written so far has been handed to the OS. */
  async flush (): Promise<void> {
    this.clearProgress()
    await Promise.all([this.stdout, this.stderr].map(async stream => new Promise<void>(resolve => {
      stream.write('', () => { resolve() })
    })))
  }
}

/** JSON with bigints as decimal strings and a trailing newline. */
export function toJsonLine (object: Record<string, unknown>): string {
  return `${JSON.stringify(object, (_key, value) => typeof value === 'bigint' ? value.toString() : value)}\n`
}

/** C0 and C1 controls, DEL, the bidi controls and the Unicode line and paragraph separators. */
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g
const SHORT_ESCAPES: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' }

/** `text` with every control and bidi character shown as an escape (`\n`, `\u001b`, `\u202e`). */
export function printable (text: string): string {
  return text.replace(UNPRINTABLE, c => SHORT_ESCAPES[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
}
