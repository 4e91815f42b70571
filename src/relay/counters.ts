/**
 * What a relay counts: records stored by path, refusals by reason, ignores by kind. Labels come
 * from fixed sets (paths, error names, policy reasons), never from topics or peers, so the
 * number of series is bounded.
 */
export class Counters {
  readonly storedBySource = new Map<string, number>()
  readonly refusedByReason = new Map<string, number>()
  readonly ignoredByKind = new Map<string, number>()
  evicted = 0
  republished = 0
  pushed = 0
  fed = 0
  inboxRecordsServed = 0
  acksApplied = 0

  stored (source: string, evicted = 0): void {
    bump(this.storedBySource, source)
    this.evicted += evicted
  }

  refused (reason: string): void {
    bump(this.refusedByReason, reason)
  }

  ignored (kind: string): void {
    bump(this.ignoredByKind, kind)
  }

  refusedCount (reason: string): number {
    return this.refusedByReason.get(reason) ?? 0
  }

  toJSON (): Record<string, unknown> {
    return {
      stored: Object.fromEntries(this.storedBySource),
      refused: Object.fromEntries(this.refusedByReason),
      ignored: Object.fromEntries(this.ignoredByKind),
      evicted: this.evicted,
      republished: this.republished,
      pushed: this.pushed,
      fed: this.fed,
      inboxRecordsServed: this.inboxRecordsServed,
      acksApplied: this.acksApplied
    }
  }

  /** Prometheus text exposition. */
  toPrometheus (gauges: Record<string, number>): string {
    const lines: string[] = []
    const counter = (name: string, help: string, map: Map<string, number>, label: string): void => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} counter`)
      for (const [k, v] of map) lines.push(`${name}{${label}="${k}"} ${v}`)
    }
    counter('ipts_records_stored_total', 'Records stored, by the path they came in on.', this.storedBySource, 'source')
    counter('ipts_records_refused_total', 'Records and requests refused, by reason.', this.refusedByReason, 'reason')
    counter('ipts_records_ignored_total', 'Records ignored (stale, duplicate, tombstoned).', this.ignoredByKind, 'kind')
    const plain: Array<[string, string, number]> = [
      ['ipts_records_evicted_total', 'Records evicted to stay within the store caps.', this.evicted],
      ['ipts_records_republished_total', 'Records republished on their topics.', this.republished],
      ['ipts_records_pushed_total', 'Records pushed to new subscribers.', this.pushed],
      ['ipts_feed_published_total', 'Records handed to the other relays on the feed topic.', this.fed],
      ['ipts_inbox_records_served_total', 'Records streamed through the inbox protocol.', this.inboxRecordsServed],
      ['ipts_acks_applied_total', 'Acknowledgements applied.', this.acksApplied]
    ]
    for (const [name, help, v] of plain) lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} counter`, `${name} ${v}`)
    for (const [name, v] of Object.entries(gauges)) lines.push(`# TYPE ${name} gauge`, `${name} ${v}`)
    return lines.join('\n') + '\n'
  }
}

function bump (map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1)
}
