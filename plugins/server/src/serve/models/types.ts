import type {ShardingInfo} from 'mlxk/sdk/runtime'

/** A resident model's prompt cache for /health. */
export interface PromptCacheView {
  /** Bytes of KV held between requests, as of the model's last finished generation. */
  bytes: number
  /** Why there is no cache although one was asked for (a distributed group); null otherwise. */
  disabled_reason: null | string
  entries: number
  /** The bound; 0 when the cache is off. */
  max_bytes: number
}

/**
 * One model's state for /health and /metrics. It lives apart from the manager that builds it so that metrics.ts,
 * which the manager feeds, does not import the manager back.
 */
export interface ModelSnapshot {
  active: number
  context_length: null | number
  id: string
  loaded: boolean
  /** Null until loaded, and for a model without one (embeddings). */
  prompt_cache: null | PromptCacheView
  /** How the model is split over the distributed group; null for a single process. */
  sharding: null | ShardingInfo
  waiting: number
}
