/**
 * Wall-clock bounds that hold on a busy machine. A test that must check a latency target (say,
 * "`/status` answers within 1 s while under attack") states it for an idle machine and stretches
 * it by how many runnable processes share each CPU, so that CI beside other work (or a CPU hog)
 * measures the relay rather than the scheduler, while a relay that really stalls (seconds to
 * minutes) still fails.
 */
import { availableParallelism, loadavg } from 'node:os'

/** `ms`, times the one-minute load average per CPU when that is above 1. */
export function loadScaled (ms: number): number {
  const perCpu = loadavg()[0] / availableParallelism()
  return Math.round(ms * Math.max(1, perCpu))
}
