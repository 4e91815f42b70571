/**
 * Everything the CLI prints goes through here. With `--json`, stdout carries one JSON object per
 * line and nothing else; human notes go to stderr either way. Progress (a line rewritten in
 * place) is drawn only when stderr is a terminal.
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

  /** A human note on stderr (kept out of stdout so `--json` output stays parseable). */
  note (text: string): void {
    this.clearProgress()
    this.stderr.write(`${text}\n`)
  }

  /** A one-line status, rewritten in place on a terminal; dropped elsewhere. */
  progress (text: string): void {
    if (!this.tty) return
    // terminals that report no width (or a silly one) get a sane default
    const columns = Math.max(40, (this.stderr as { columns?: number }).columns ?? 100)
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
