import type {
  EmbeddingsEvent,
  EmbedParams,
  GenerateEvent,
  GenerateParams,
  LoadedEvent,
  LoadParams,
  Topology,
} from 'mlxk/sdk/runtime'

/**
 * What the server needs from the MLX runtime. The real one wraps the SDK's RuntimeSupervisor
 * (supervised-runtime.ts); unit tests pass a fake so queueing and eviction are tested without Python.
 */
export interface RuntimePort {
  close(): Promise<void>
  embed(params: EmbedParams): Promise<EmbeddingsEvent>
  generate(params: GenerateParams, options: {signal?: AbortSignal}): AsyncIterable<GenerateEvent>
  load(params: LoadParams & {modelId: string}): Promise<LoadedEvent>
  /** The current worker's pid, when one is running. */
  readonly pid: number | undefined
  /** How many times a dead worker was replaced. */
  readonly restarts: number
  /** The distributed group of the current worker; undefined for a single process. */
  readonly topology?: Topology | undefined
  /** Throws when the runtime will refuse to load this model (a distributed group checks hosts and sharding). */
  vet?(modelPath: string): Promise<void>
  /** Kills the worker at once (second signal): no graceful protocol shutdown, no orphan either. */
  kill(): void
  unload(modelId: string): Promise<unknown>
}
