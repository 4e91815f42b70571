/**
 * IPNS `Validity`: an RFC 3339 timestamp with nanosecond precision, as the ipns package and
 * Kubo write it (`2024-01-02T03:04:05.678000000Z`). We parse strictly: a malformed timestamp
 * is an error, where the ipns package's lenient parser accepts many shapes.
 */
import { MAX_EOL } from './constants.ts'

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/

function daysInMonth (year: number, month: number): number {
  if (month === 2) {
    const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0
    return leap ? 29 : 28
  }

  return [4, 6, 9, 11].includes(month) ? 30 : 31
}

/**
 * Milliseconds since the epoch of an RFC 3339 timestamp (fraction truncated to the ms, as
 * the ipns package does). Throws a plain `Error` when the string is not one.
 */
export function parseValidity (validity: string): number {
  const m = RFC3339.exec(validity)

  if (m == null) {
    throw new Error('Validity is not an RFC 3339 timestamp')
  }

  const year = Number(m[1])
  const month = Number(m[2])
  const day = Number(m[3])
  const hour = Number(m[4])
  const minute = Number(m[5])
  const second = Number(m[6])
  const ms = m[7] == null ? 0 : Number(m[7].padEnd(9, '0').slice(0, 3))

  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) ||
    hour > 23 || minute > 59 || second > 59) {
    throw new Error('Validity has a field out of range')
  }

  let offset = 0

  if (m[8] == null) {
    const offsetHours = Number(m[10])
    const offsetMinutes = Number(m[11])

    if (offsetHours > 23 || offsetMinutes > 59) {
      throw new Error('Validity has a time zone offset out of range')
    }

    offset = (m[9] === '-' ? -1 : 1) * (offsetHours * 60 + offsetMinutes) * 60_000
  }

  // Date.UTC maps years 0-99 to 1900-1999: set the full year explicitly
  const date = new Date(0)
  date.setUTCFullYear(year, month - 1, day)
  date.setUTCHours(hour, minute, second, ms)

  return date.getTime() - offset
}

/** The `Validity` string for an EOL in ms: `YYYY-MM-DDTHH:MM:SS.mmm000000Z`, as the ipns package writes it. */
export function formatValidity (eol: number): string {
  if (!Number.isSafeInteger(eol) || eol < 0 || eol > MAX_EOL) {
    throw new RangeError('eol must be an integer number of ms between 1970 and 9999')
  }

  return new Date(eol).toISOString().replace(/Z$/, '000000Z')
}
