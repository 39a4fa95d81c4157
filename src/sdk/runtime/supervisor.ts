import type {Logger} from '../log.js'

import {type GenerateOptions, type LoadParams, RuntimeClient, type RuntimeStartOptions} from './client.js'
import {runtimeClosedError} from './runtime-errors.js'
import type {
  EmbeddingsEvent,
  EmbedParams,
  GenerateEvent,
  GenerateParams,
  InfoEvent,
  LoadedEvent,
  UnloadedEvent,
} from './protocol.js'

/**
 * Keeps one worker available: starts it on first use and, after a crash, starts a new one on the next request
 * and loads again the models that were loaded. The request that saw the crash still fails (`worker_exited`);
 * only later ones recover, so a request is never silently run twice.
 */
export class RuntimeSupervisor {
  #client: RuntimeClient | undefined
  #closed = false
  readonly #logger: Logger | undefined
  /** modelId → how it was loaded, in load order, for reloading after a restart. */
  readonly #models = new Map<string, LoadParams>()
  readonly #options: RuntimeStartOptions
  #restarts = 0
  #starting: Promise<RuntimeClient> | undefined

  constructor(options: RuntimeStartOptions = {}) {
    this.#options = options
    this.#logger = options.logger
  }

  /** The models to reload after a restart. */
  get loadedModels(): {modelId: string; modelPath: string}[] {
    return [...this.#models].map(([modelId, {modelPath}]) => ({modelId, modelPath}))
  }

  /** How many times a dead worker was replaced. */
  get restarts(): number {
    return this.#restarts
  }

  /** The live client, starting (or restarting) the worker when needed. */
  async client(): Promise<RuntimeClient> {
    if (this.#closed) throw runtimeClosedError()
    if (this.#client?.alive) return this.#client
    this.#starting ??= this.#start().finally(() => {
      this.#starting = undefined
    })
    return this.#starting
  }

  async close(): Promise<void> {
    this.#closed = true
    const client = this.#client ?? (await this.#starting?.catch(() => undefined))
    this.#client = undefined
    await client?.close()
  }

  async *generate(
    params: GenerateParams,
    options: GenerateOptions = {},
  ): AsyncGenerator<GenerateEvent, void, undefined> {
    const client = await this.client()
    yield* client.generate(params, options)
  }

  async embed(params: EmbedParams): Promise<EmbeddingsEvent> {
    return (await this.client()).embed(params)
  }

  async info(): Promise<InfoEvent> {
    return (await this.client()).info()
  }

  async load(params: LoadParams): Promise<LoadedEvent> {
    const loaded = await (await this.client()).load(params)
    this.#models.set(loaded.model_id, {...params, modelId: loaded.model_id, modelPath: loaded.model_path})
    return loaded
  }

  async ping(): Promise<void> {
    await (await this.client()).ping()
  }

  async unload(modelId: string): Promise<UnloadedEvent> {
    const unloaded = await (await this.client()).unload(modelId)
    this.#models.delete(modelId)
    return unloaded
  }

  async #start(): Promise<RuntimeClient> {
    const previous = this.#client
    const client = await RuntimeClient.start(this.#options)
    if (this.#closed) {
      await client.close()
      throw runtimeClosedError()
    }

    if (previous !== undefined) {
      this.#restarts += 1
      this.#logger?.warn('the MLX runtime worker died; started a new one', {
        exit: previous.exit,
        models: this.#models.size,
      })
      for (const [modelId, params] of this.#models) {
        try {
          // Sequential: the worker loads one model at a time anyway, and order keeps memory use predictable.
          await client.load(params)
        } catch (error) {
          // A model that no longer loads (deleted, changed) must not block the others; asking for it later
          // gets the worker's `model_not_loaded`.
          this.#models.delete(modelId)
          this.#logger?.warn('could not reload a model after a runtime restart', {error: String(error), modelId})
        }
      }
    }

    this.#client = client
    return client
  }
}
