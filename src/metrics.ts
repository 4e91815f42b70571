/**
 * Prometheus metrics for a node: libp2p's own (`@libp2p/prometheus-metrics`: connections,
 * streams, bytes per protocol, Node.js process figures), gossipsub's, and whatever services
 * register through `components.metrics` (kad-dht, the relay, sync). Everything lands in one
 * prom-client `Registry`, rendered as Prometheus text by `text()`.
 *
 * Series are bounded: gossipsub's per-topic gauges (labelled `topicStr`) are left out, and its
 * `topic` labels are reduced to the kind of topic (`record`, `ipts`, `other`), never one per
 * topic. `@libp2p/prometheus-metrics` keeps its metric objects in a module-wide map, so run one
 * node with metrics per process.
 */
import { prometheusMetrics } from '@libp2p/prometheus-metrics'
import { Gauge, Histogram, Registry } from 'prom-client'
import type { ComponentLogger, Metrics } from '@libp2p/interface'

/** What `createNode` needs to give a node metrics. */
export interface NodeMetrics {
  /** libp2p's metrics implementation (becomes `components.metrics` of every service). */
  libp2p(components: { logger: ComponentLogger }): Metrics
  /** gossipsub's metrics register (its own interface, not libp2p's). */
  gossipsub: GossipsubRegister
  /** Maps gossipsub topics to bounded labels. */
  topicLabels: Map<string, string>
}

export interface PrometheusInit {
  /** Directory whose file system `nodejs_fs_usage_bytes` reports (the repo). @default process.cwd() */
  statfsLocation?: string
}

/** One node's metrics and the registry that renders them. */
export class PrometheusExport {
  readonly registry = new Registry()
  readonly node: NodeMetrics

  constructor (init: PrometheusInit = {}) {
    const registry = this.registry
    this.node = {
      libp2p: prometheusMetrics({ registry, statfsLocation: init.statfsLocation }),
      gossipsub: gossipsubRegister(registry),
      topicLabels: new TopicKinds()
    }
  }

  /** The content type of `text()`. */
  get contentType (): string {
    return this.registry.contentType
  }

  /** Every metric, as Prometheus text exposition. */
  async text (): Promise<string> {
    return this.registry.metrics()
  }
}

/** gossipsub 17's `MetricsRegister` (src/metrics.ts there), typed loosely: it is only called by gossipsub. */
export interface GossipsubRegister {
  gauge(config: MetricConfig): GaugeLike
  histogram(config: MetricConfig & { buckets?: number[] }): HistogramLike
  avgMinMax(config: MetricConfig): AvgMinMaxLike
}

interface MetricConfig {
  name: string
  help: string
  labelNames?: string[]
}

type Labels = Record<string, string | number>

interface GaugeLike {
  inc(labels?: Labels | number, value?: number): void
  set(labels: Labels | number, value?: number): void
  addCollect(fn: (gauge: GaugeLike) => void): void
}

interface HistogramLike {
  startTimer(): () => void
  observe(labels: Labels | number, value?: number): void
  reset(): void
}

interface AvgMinMaxLike {
  set(labels: Labels | number[], values?: number[]): void
}

/** Labels that name one topic each: their series would grow with the topics a relay follows. */
const PER_TOPIC_LABEL = 'topicStr'

/** A topic label map that answers with the kind of every topic, so labels stay bounded. */
class TopicKinds extends Map<string, string> {
  override get (topic: string): string {
    if (topic.startsWith('/record/')) return 'record'
    if (topic.startsWith('/ipts/')) return 'ipts'
    return 'other'
  }

  override has (): boolean {
    return true
  }
}

const noopGauge: GaugeLike = { inc () {}, set () {}, addCollect () {} }
const noopAvgMinMax: AvgMinMaxLike = { set () {} }

function split (labels: Labels | number | undefined, value: number | undefined): [Labels, number | undefined] {
  return typeof labels === 'object' ? [labels, value] : [{}, labels]
}

function gossipsubRegister (registry: Registry): GossipsubRegister {
  return {
    gauge ({ name, help, labelNames = [] }) {
      if (labelNames.includes(PER_TOPIC_LABEL)) return noopGauge
      const collects: Array<(gauge: GaugeLike) => void> = []
      const gauge: GaugeLike = {
        inc (labels, value) {
          const [l, v] = split(labels, value)
          prom.inc(l, v ?? 1)
        },
        set (labels, value) {
          const [l, v] = split(labels, value)
          prom.set(l, v ?? 0)
        },
        addCollect (fn) { collects.push(fn) }
      }
      const prom: Gauge = new Gauge({
        name,
        help,
        labelNames,
        registers: [registry],
        collect () {
          for (const fn of collects) fn(gauge)
        }
      })
      return gauge
    },
    histogram ({ name, help, labelNames = [], buckets }) {
      const prom = new Histogram({ name, help, labelNames, registers: [registry], ...(buckets != null ? { buckets } : {}) })
      return {
        startTimer: () => prom.startTimer(),
        observe (labels, value) {
          const [l, v] = split(labels, value)
          prom.observe(l, v ?? 0)
        },
        reset () { prom.reset() }
      }
    },
    avgMinMax ({ name, help, labelNames = [] }) {
      if (labelNames.includes(PER_TOPIC_LABEL)) return noopAvgMinMax
      const prom = new Gauge({ name, help, labelNames: [...labelNames, 'stat'], registers: [registry] })
      return {
        set (labels, values) {
          const [l, list] = Array.isArray(labels) ? [{}, labels] : [labels, values ?? []]
          if (list.length === 0) return
          let sum = 0
          let min = Infinity
          let max = -Infinity
          for (const v of list) {
            sum += v
            if (v < min) min = v
            if (v > max) max = v
          }
          prom.set({ ...l, stat: 'avg' }, sum / list.length)
          prom.set({ ...l, stat: 'min' }, min)
          prom.set({ ...l, stat: 'max' }, max)
        }
      }
    }
  }
}
