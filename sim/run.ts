/**
 * `npm run sim -- [options]`: ipts against plain IPNS over pubsub and a Textile-style DHT put,
 * on the same workload, on this machine, over 127.0.0.1 only. Progress goes to stderr (one line
 * per round per run), the markdown table to stdout, and result files to `--out`.
 */
import { parseConfig, SimUsageError, USAGE } from './config.ts'
import { simulate } from './simulate.ts'
import { markdownTable } from './report.ts'

async function main (): Promise<number> {
  let parsed
  try {
    parsed = parseConfig(process.argv.slice(2))
  } catch (err: any) {
    process.stderr.write(`${err instanceof SimUsageError ? err.message : String(err?.message ?? err)}\n${USAGE}`)
    return 2
  }
  if (parsed.help) {
    process.stdout.write(USAGE)
    return 0
  }
  const { config } = parsed
  process.stderr.write(`sim: ${config.systems.join(', ')} at churn ${config.churn.join(', ')}; ${config.relays} relays, ${config.users} users, ${config.rounds}+${config.cooldown} rounds, ${config.parallel} at once\n`)
  const { result, files } = await simulate(config, line => { process.stderr.write(line + '\n') })
  process.stdout.write(markdownTable(result) + '\n')
  process.stderr.write(`sim: wrote ${files.json}, ${files.markdown}, ${files.svg}\n`)
  return result.failed.length === 0 ? 0 : 1
}

process.exitCode = await main()
