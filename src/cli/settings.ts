/**
 * One way to configure every command. A setting is declared once (flag, environment variable,
 * parser, default) and resolved with the precedence flag > `IPTS_<SETTING>` > `<repo>/config.json`
 * > default. Each resolved value remembers where it came from (`--print-config` shows it), and a
 * value that does not parse is a one-line `InvalidSettingError` naming its source: the flag, the
 * variable, or the config file and key.
 *
 * commander parses the command line; the environment and the file are read here, so the
 * environment a test or embedder passes (`CliContext.env`) is the one used.
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Option } from 'commander'
import { InvalidSettingError } from '../errors.ts'
import type { Command } from 'commander'

/** Where a resolved value came from. */
export type SettingSource = 'flag' | 'env' | 'config' | 'default'

export interface Setting<T> {
  /** commander's spelling, e.g. `--max-records <n>`; repeatable for lists */
  flag: string
  /** the environment variable, `IPTS_<SETTING>`; absent when the setting has none */
  env?: string
  /** whether `<repo>/config.json` may set it (under the setting's key). @default true */
  file?: boolean
  /** one line for `--help` and README */
  help: string
  /** parses one value given as text; `name` says where it came from, for the error */
  parse(text: string, name: string): T extends Array<infer E> ? E : T
  /** a list (repeatable flag, comma-separated variable, JSON array of strings) */
  list?: boolean
  /** a switch (a flag without value; `true`/`false` in the variable or the file) */
  boolean?: boolean
  /** the value when no source gives one */
  default: T
  /** how `--help` and `--print-config` show the default when it is not obvious */
  defaultText?: string
}

/** A table of settings, by key (the key is also the name in config.json). */
export type SettingTable = Record<string, Setting<any>>

/** The values of a table. */
export type SettingValues<S extends SettingTable> = { [K in keyof S]: S[K]['default'] }

export interface ResolvedSetting {
  value: unknown
  source: SettingSource
  /** the flag, the variable or the file it came from (absent for defaults) */
  from?: string
}

export interface Resolved<S extends SettingTable> {
  values: SettingValues<S>
  /** every setting's value and source, in table order */
  sources: Record<keyof S & string, ResolvedSetting>
}

/** Adds the table's flags to a command (no commander defaults: defaults are applied here). */
export function addSettings (command: Command, table: SettingTable): Command {
  for (const setting of Object.values(table)) {
    const env = setting.env != null ? `; env ${setting.env}` : ''
    const def = setting.defaultText ?? (setting.boolean === true ? 'off' : String(setting.default ?? 'none'))
    const option = new Option(setting.flag, `${setting.help} (default ${def}${env})`)
    if (setting.list === true) option.argParser((value: string, previous: string[] = []) => [...previous, value])
    command.addOption(option)
  }
  return command
}

/** The command-line name of a setting's flag: `--max-records`. */
export function flagName (setting: Setting<unknown>): string {
  return setting.flag.split(/[ ,]/)[0]
}

/** commander's attribute for a setting's flag: `--max-records <n>` -> `maxRecords`. */
function attributeOf (setting: Setting<unknown>): string {
  return new Option(setting.flag).attributeName()
}

/**
 * Resolves a table against the parsed command line, the environment and the repo's config file.
 * `file` is `readConfigFile(repo)`'s result (or undefined for commands without a repo).
 */
export function resolveSettings<S extends SettingTable> (table: S, command: Command, env: NodeJS.ProcessEnv, file?: ConfigFile): Resolved<S> {
  const values: Record<string, unknown> = {}
  const sources: Record<string, ResolvedSetting> = {}
  const flags = command.opts()
  for (const [key, setting] of Object.entries(table)) {
    const attribute = attributeOf(setting)
    const given = flags[attribute]
    let resolved: ResolvedSetting
    if (given !== undefined && command.getOptionValueSource(attribute) === 'cli') {
      const name = flagName(setting)
      resolved = { value: fromText(setting, given, name), source: 'flag', from: name }
    } else if (setting.env != null && env[setting.env] != null && env[setting.env]?.trim() !== '') {
      resolved = { value: fromEnv(setting, env[setting.env] as string, setting.env), source: 'env', from: setting.env }
    } else if (file != null && setting.file !== false && file.values[key] !== undefined) {
      resolved = { value: fromJson(setting, file.values[key], `${file.path}: ${key}`), source: 'config', from: file.path }
    } else {
      resolved = { value: setting.default, source: 'default' }
    }
    values[key] = resolved.value
    sources[key] = resolved
  }
  return { values: values as SettingValues<S>, sources: sources as Resolved<S>['sources'] }
}

function fromText (setting: Setting<unknown>, given: unknown, name: string): unknown {
  if (setting.boolean === true) return given === true
  if (setting.list === true) return (given as string[]).map(v => setting.parse(v, name))
  return setting.parse(given as string, name)
}

function fromEnv (setting: Setting<unknown>, text: string, name: string): unknown {
  if (setting.boolean === true) return parseBoolean(text, name)
  if (setting.list === true) return text.split(/[\s,]+/).filter(s => s !== '').map(v => setting.parse(v, name))
  return setting.parse(text.trim(), name)
}

function fromJson (setting: Setting<unknown>, value: unknown, name: string): unknown {
  if (setting.boolean === true) {
    if (typeof value !== 'boolean') throw new InvalidSettingError(`${name} must be true or false`)
    return value
  }
  if (setting.list === true) {
    if (!Array.isArray(value) || !value.every(v => typeof v === 'string')) {
      throw new InvalidSettingError(`${name} must be a list of strings`)
    }
    return value.map(v => setting.parse(v, name))
  }
  if (typeof value === 'number') return setting.parse(String(value), name)
  if (typeof value !== 'string') throw new InvalidSettingError(`${name} must be a string${typeof setting.default === 'number' ? ' or a number' : ''}`)
  return setting.parse(value, name)
}

/** `true`/`false` (also `1`/`0`, `yes`/`no`, `on`/`off`). */
export function parseBoolean (text: string, name: string): boolean {
  const t = text.trim().toLowerCase()
  if (['true', '1', 'yes', 'on'].includes(t)) return true
  if (['false', '0', 'no', 'off'].includes(t)) return false
  throw new InvalidSettingError(`${name} "${text}" is not true or false`)
}

/** `<repo>/config.json`: its path and its settings by key. */
export interface ConfigFile {
  path: string
  /** absent when the file does not exist */
  exists: boolean
  values: Record<string, unknown>
}

/**
 * Reads `<repo>/config.json` (an absent file holds nothing). Not JSON, not an object, or a key
 * not in `known` (the keys of every command's settings: a typo) is an `InvalidSettingError`
 * naming the file.
 */
export async function readConfigFile (repo: string, known: ReadonlySet<string>): Promise<ConfigFile> {
  const path = join(repo, 'config.json')
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err: any) {
    if (err.code === 'ENOENT') return { path, exists: false, values: {} }
    throw new InvalidSettingError(`${path}: cannot read it (${String(err.code ?? err.message)})`)
  }
  let config: unknown
  try {
    config = JSON.parse(text)
  } catch (err: any) {
    throw new InvalidSettingError(`${path} is not valid JSON (${String(err.message).split('\n')[0]})`)
  }
  if (typeof config !== 'object' || config == null || Array.isArray(config)) {
    throw new InvalidSettingError(`${path} must hold a JSON object`)
  }
  for (const key of Object.keys(config)) {
    if (!known.has(key)) {
      throw new InvalidSettingError(`${path}: unknown setting "${key}" (known: ${[...known].sort().join(', ')})`)
    }
  }
  return { path, exists: true, values: config as Record<string, unknown> }
}

/** What `--print-config` prints: every setting with its value and source. */
export function describeSettings (sources: Record<string, ResolvedSetting>): { json: Record<string, unknown>, lines: string[] } {
  const json: Record<string, unknown> = {}
  const lines: string[] = []
  const width = Math.max(...Object.keys(sources).map(k => k.length))
  for (const [key, { value, source, from }] of Object.entries(sources)) {
    json[key] = { value: value ?? null, source, ...(from != null ? { from } : {}) }
    const shown = value === undefined ? '(none)' : JSON.stringify(value)
    lines.push(`${key.padEnd(width)}  ${shown}  (${source}${from != null ? ` ${from}` : ''})`)
  }
  return { json, lines }
}
