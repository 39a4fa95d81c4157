import type {ShardingInfo} from 'mlxk/sdk/runtime'

/**
 * One model's state for /health and /metrics. It lives apart from the manager that builds it so that metrics.ts,
 * which the manager feeds, does not import the manager back.
 */
export interface ModelSnapshot {
  active: number
  context_length: null | number
  id: string
  loaded: boolean
  /** How the model is split over the distributed group; null for a single process. */
  sharding: null | ShardingInfo
  waiting: number
}
