/**
 * A gossipsub metrics register that keeps one running total per metric name, labels ignored:
 * enough to read what a node sent (`gossipsub_rpc_sent_bytes_total`: every RPC it wrote, to
 * every peer, so fan-out and control messages count) without a Prometheus client.
 */
import type { AvgMinMax, Gauge, Histogram, MetricsRegister } from '@libp2p/gossipsub/metrics'

export const RPC_SENT_BYTES = 'gossipsub_rpc_sent_bytes_total'
export const RPC_SENT_MESSAGES = 'gossipsub_rpc_sent_message_total'

export class TotalsRegister implements MetricsRegister {
  readonly totals = new Map<string, number>()

  total (name: string): number {
    return this.totals.get(name) ?? 0
  }

  gauge (config: { name: string }): Gauge<any> {
    const name = config.name
    const add = (value: number): void => { this.totals.set(name, this.total(name) + value) }
    return {
      // unlabelled: inc(value?); labelled: inc(labels, value?)
      inc: (a?: unknown, b?: unknown) => { add(typeof a === 'number' ? a : typeof b === 'number' ? b : 1) },
      set: () => {},
      addCollect: () => {}
    } as unknown as Gauge<any>
  }

  histogram (): Histogram<any> {
    return { startTimer: () => () => {}, observe: () => {}, reset: () => {} } as unknown as Histogram<any>
  }

  avgMinMax (): AvgMinMax<any> {
    return { set: () => {} } as unknown as AvgMinMax<any>
  }
}
