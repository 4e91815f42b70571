/**
 * Profiles one window of this process, as `--cpu-prof` does for a whole one, when the env
 * variable IPTS_BENCH_CPU_PROF names a directory (see relay-process.ts for the relay children):
 * writes DIR/<label>-<n>.cpuprofile. Without it, runs `fn` untouched.
 */
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Session } from 'node:inspector/promises'
import { CPU_PROF_ENV } from './relay-process.ts'

let count = 0

export async function profiled<T> (label: string, fn: () => Promise<T>): Promise<T> {
  const dir = process.env[CPU_PROF_ENV]
  if (dir == null || dir === '') return fn()
  const session = new Session()
  session.connect()
  await session.post('Profiler.enable')
  await session.post('Profiler.start')
  try {
    return await fn()
  } finally {
    const { profile } = await session.post('Profiler.stop')
    session.disconnect()
    await writeFile(join(dir, `${label}-${++count}.cpuprofile`), JSON.stringify(profile))
  }
}
