import type {Topology} from 'mlxk/sdk/runtime'

import type {ModelSnapshot} from './models/types.js'

/**
 * A minimal Prometheus text-format registry. The server needs a handful of counters, gauges and histograms;
 * a client library would be a dependency for ~100 lines of formatting.
 */
type Labels = Record<string, string>

const labelKey = (labels: Labels): string =>
  Object.keys(labels)
    .sort()
    .map((k) => `${k}="${escapeLabel(labels[k] ?? '')}"`)
    .join(',')

function escapeLabel(value: string): string {
  return value.replaceAll('\\', '\\\\').replaceAll('\n', '\\n').replaceAll('"', '\\"')
}

function formatNumber(value: number): string {
  if (value === Number.POSITIVE_INFINITY) return '+Inf'
  return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(12)))
}

abstract class Metric {
  constructor(
    readonly name: string,
    readonly help: string,
    readonly kind: 'counter' | 'gauge' | 'histogram',
  ) {}

  abstract lines(): string[]

  render(): string {
    return [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} ${this.kind}`, ...this.lines()].join('\n')
  }
}

class Scalar extends Metric {
  readonly #values = new Map<string, number>()

  inc(labels: Labels = {}, by = 1): void {
    const key = labelKey(labels)
    this.#values.set(key, (this.#values.get(key) ?? 0) + by)
  }

  clear(): void {
    this.#values.clear()
  }

  set(labels: Labels, value: number): void {
    this.#values.set(labelKey(labels), value)
  }

  lines(): string[] {
    return [...this.#values].map(([key, value]) => `${this.name}${key ? `{${key}}` : ''} ${formatNumber(value)}`)
  }
}

export class Counter extends Scalar {
  constructor(name: string, help: string) {
    super(name, help, 'counter')
  }
}

export class Gauge extends Scalar {
  constructor(name: string, help: string) {
    super(name, help, 'gauge')
  }
}

export class Histogram extends Metric {
  readonly #buckets: number[]
  readonly #series = new Map<string, {counts: number[]; count: number; sum: number}>()

  constructor(name: string, help: string, buckets: number[]) {
    super(name, help, 'histogram')
    this.#buckets = [...buckets].sort((a, b) => a - b)
  }

  observe(labels: Labels, value: number): void {
    const key = labelKey(labels)
    let series = this.#series.get(key)
    if (!series) {
      series = {count: 0, counts: this.#buckets.map(() => 0), sum: 0}
      this.#series.set(key, series)
    }

    series.count += 1
    series.sum += value
    for (const [i, bound] of this.#buckets.entries()) if (value <= bound) series.counts[i]! += 1
  }

  lines(): string[] {
    const out: string[] = []
    for (const [key, series] of this.#series) {
      const prefix = key ? `${key},` : ''
      for (const [i, bound] of this.#buckets.entries()) {
        out.push(`${this.name}_bucket{${prefix}le="${formatNumber(bound)}"} ${series.counts[i]}`)
      }

      out.push(`${this.name}_bucket{${prefix}le="+Inf"} ${series.count}`)
      out.push(`${this.name}_sum${key ? `{${key}}` : ''} ${formatNumber(series.sum)}`)
      out.push(`${this.name}_count${key ? `{${key}}` : ''} ${series.count}`)
    }

    return out
  }
}

/** The server's metrics; names follow Prometheus conventions (base units, `_total` counters). */
export class ServerMetrics {
  readonly completionTokens = new Counter('mlxk_completion_tokens_total', 'Tokens generated, by model')
  readonly errors = new Counter('mlxk_http_errors_total', 'Error responses and failed streams, by error code')
  readonly generations = new Counter('mlxk_generations_total', 'Finished generations, by model and finish reason')
  readonly modelLoads = new Counter('mlxk_model_loads_total', 'Model loads into the runtime, by model')
  readonly modelsLoaded = new Gauge('mlxk_models_loaded', 'Models resident in the runtime')
  readonly promptCacheBytes = new Gauge(
    'mlxk_prompt_cache_bytes',
    "Bytes of KV a model's prompt cache holds between requests, by model",
  )
  readonly promptCacheEvictions = new Counter(
    'mlxk_prompt_cache_evictions_total',
    'Prompt cache entries evicted to stay within the byte bound, by model',
  )
  readonly promptCacheHits = new Counter(
    'mlxk_prompt_cache_hits_total',
    'Generations that reused a cached prompt prefix, by model',
  )
  readonly promptCacheMisses = new Counter(
    'mlxk_prompt_cache_misses_total',
    'Generations on a model with a prompt cache that found no prefix to reuse, by model',
  )
  readonly promptCacheTokens = new Counter(
    'mlxk_prompt_cache_tokens_total',
    'Prompt tokens served from the prompt cache instead of being prefilled, by model',
  )
  readonly promptTokens = new Counter('mlxk_prompt_tokens_total', 'Prompt tokens processed, by model')
  readonly queueDepth = new Gauge('mlxk_queue_depth', 'Requests waiting for a generation slot, by model')
  readonly requests = new Counter('mlxk_http_requests_total', 'HTTP requests, by method, route and status')
  readonly running = new Gauge('mlxk_requests_running', 'Generations in progress, by model')
  readonly modelSharding = new Gauge(
    'mlxk_model_sharding_ranks',
    'Ranks a loaded model is split over, by model and mode (tensor or pipeline)',
  )
  readonly runtimeRankInfo = new Gauge('mlxk_runtime_rank_info', 'One series per rank of the distributed group')
  readonly runtimeRanks = new Gauge('mlxk_runtime_ranks', 'Ranks of the runtime (1 without a distributed group)')
  readonly runtimeRestarts = new Gauge('mlxk_runtime_restarts', 'Times a dead runtime worker was replaced')
  readonly tokensPerSecond = new Histogram(
    'mlxk_generation_tokens_per_second',
    'Decode speed per generation (tokens after the first per second)',
    [1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000],
  )
  readonly ttft = new Histogram(
    'mlxk_time_to_first_token_seconds',
    'Request received to first token, including queueing, loading and prompt processing',
    [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
  )

  /** Rewrites the topology series from the current group (pids change when a group is relaunched). */
  observeTopology(topology: Topology | undefined, models: ModelSnapshot[]): void {
    this.runtimeRanks.clear()
    this.runtimeRankInfo.clear()
    this.modelSharding.clear()
    this.runtimeRanks.set({backend: topology?.backend ?? 'none'}, topology?.world_size ?? 1)
    for (const rank of topology?.ranks ?? []) {
      this.runtimeRankInfo.set({host: rank.host, pid: String(rank.pid), rank: String(rank.rank)}, 1)
    }

    for (const model of models) {
      if (model.sharding !== null) {
        this.modelSharding.set({mode: model.sharding.mode, model: model.id}, model.sharding.world_size)
      }
    }
  }

  render(): string {
    const all: Metric[] = [
      this.requests,
      this.errors,
      this.queueDepth,
      this.running,
      this.modelsLoaded,
      this.modelLoads,
      this.runtimeRestarts,
      this.runtimeRanks,
      this.runtimeRankInfo,
      this.modelSharding,
      this.generations,
      this.promptTokens,
      this.completionTokens,
      this.promptCacheHits,
      this.promptCacheMisses,
      this.promptCacheTokens,
      this.promptCacheBytes,
      this.promptCacheEvictions,
      this.ttft,
      this.tokensPerSecond,
    ]
    return all.map((m) => m.render()).join('\n') + '\n'
  }
}
