import type {Logger} from 'mlxk/sdk'
import type {LoadedEvent, PromptCacheState} from 'mlxk/sdk/runtime'

import {ShutdownAbortError} from '../in-flight.js'
import type {ServerMetrics} from '../metrics.js'
import type {RuntimePort} from '../runtime-port.js'
import type {ServableModel} from './catalog.js'
import {QueueFullError, Slots} from './slots.js'
import type {ModelSnapshot, PromptCacheView} from './types.js'

/** How many models stay resident, for how long, and how many requests each may run and queue. */
export interface ModelLimits {
  /** Idle time before a model is unloaded; -1 never, 0 right after each request. */
  keepAliveMs: number
  /** Models resident at once (≥ 1). */
  maxLoaded: number
  /** Requests waiting per model beyond the running ones. */
  maxQueue: number
  /** Generations running at once per model; the runtime batches those it can. */
  parallel: number
}

export interface ManagerOptions extends ModelLimits {
  logger?: Logger
  metrics: ServerMetrics
  runtime: RuntimePort
}

/** A held generation slot on a loaded model; `release()` exactly once. */
export interface Lease {
  info: LoadedEvent
  modelId: string
  release(): void
}

/** Why a request could not get a slot: the route turns it into 503 + Retry-After. */
export class OverloadedError extends Error {
  constructor(
    message: string,
    readonly retryAfterS: number,
  ) {
    super(message)
    this.name = 'OverloadedError'
  }
}

interface Entry {
  /** Mean seconds a request held a slot, for Retry-After. */
  holdS: number
  idleTimer: NodeJS.Timeout | undefined
  info: LoadedEvent | undefined
  lastUsed: number
  loading: Promise<LoadedEvent> | undefined
  model: ServableModel
  /** Preloaded with `--model`: exempt from the idle unload. */
  pinned: boolean
  /** The runtime's prompt cache of this model after its last finished generation. */
  promptCache: PromptCacheState | undefined
  slots: Slots
}

/**
 * Which models are resident, and who may generate on them. Requests for a model queue on its slots (bounded);
 * concurrent requests for a model that is loading wait for the same load; loading beyond `maxLoaded` first
 * unloads the least recently used idle model, and never one that is generating or has requests waiting.
 */
export class ModelManager {
  #closed = false
  readonly #entries = new Map<string, Entry>()
  /** Resolved whenever some model becomes idle, for loads waiting for room. */
  #idleWaiters: (() => void)[] = []
  readonly #options: ManagerOptions

  constructor(options: ManagerOptions) {
    this.#options = options
  }

  /** Loaded (or loading) models, for /health. */
  snapshot(): ModelSnapshot[] {
    return [...this.#entries.values()]
      .filter((e) => e.info !== undefined || e.loading !== undefined)
      .map((e) => ({
        active: e.slots.active,
        context_length: e.info?.context_length ?? null,
        id: e.model.id,
        loaded: e.info !== undefined,
        prompt_cache: promptCacheView(e),
        sharding: e.info?.sharding ?? null,
        waiting: e.slots.waiting,
      }))
  }

  /** Waits for a slot on `model` (loading it when needed); throws OverloadedError when the line is full. */
  async acquire(model: ServableModel, signal?: AbortSignal): Promise<Lease> {
    if (this.#closed) throw new ShutdownAbortError()
    const entry = this.#entry(model)
    clearTimeout(entry.idleTimer)
    entry.idleTimer = undefined
    try {
      await entry.slots.take(signal)
    } catch (error) {
      if (error instanceof QueueFullError) {
        const retry = Math.min(60, Math.max(1, (entry.holdS * (entry.slots.waiting + 1)) / entry.slots.capacity))
        throw new OverloadedError(
          `Too many requests for '${model.id}': ${entry.slots.active} running, ${error.waiting} waiting`,
          retry,
        )
      }

      this.#afterUse(entry)
      throw error
    } finally {
      this.#publishQueue(entry)
    }

    const started = Date.now()
    let released = false
    const release = () => {
      if (released) return
      released = true
      const held = (Date.now() - started) / 1000
      entry.holdS = entry.holdS === 0 ? held : entry.holdS * 0.8 + held * 0.2
      entry.lastUsed = Date.now()
      entry.slots.give()
      this.#publishQueue(entry)
      this.#afterUse(entry)
    }

    try {
      const info = await this.#ensureLoaded(entry, signal)
      return {info, modelId: model.id, release}
    } catch (error) {
      release()
      throw error
    }
  }

  /** After a runtime restart failed to reload it: the next request loads it again. */
  forget(modelId: string): void {
    const entry = this.#entries.get(modelId)
    if (entry) {
      entry.info = undefined
      this.#notePromptCache(entry, undefined)
    }

    this.#publishLoaded()
  }

  /** A generation on `modelId` finished and left its KV in the model's prompt cache. */
  notePromptCache(modelId: string, state: PromptCacheState): void {
    const entry = this.#entries.get(modelId)
    if (entry?.info) this.#notePromptCache(entry, state)
  }

  /** Loads `--model` models at start-up; they stay until evicted for another model. */
  async preload(model: ServableModel): Promise<LoadedEvent> {
    const entry = this.#entry(model)
    entry.pinned = true
    return this.#ensureLoaded(entry)
  }

  /** Shutdown: refuse new work and fail whoever still waits in a line (they have not started yet). */
  close(): void {
    this.#closed = true
    for (const entry of this.#entries.values()) {
      clearTimeout(entry.idleTimer)
      entry.slots.rejectAll(new ShutdownAbortError())
    }
  }

  get busy(): boolean {
    return [...this.#entries.values()].some((e) => !e.slots.idle)
  }

  #entry(model: ServableModel): Entry {
    let entry = this.#entries.get(model.id)
    if (!entry) {
      entry = {
        holdS: 0,
        idleTimer: undefined,
        info: undefined,
        lastUsed: Date.now(),
        loading: undefined,
        model,
        pinned: false,
        promptCache: undefined,
        slots: new Slots(this.#options.parallel, this.#options.maxQueue),
      }
      this.#entries.set(model.id, entry)
    } else if (model.path && entry.model.path !== model.path && entry.info === undefined) {
      // Not resident: load whatever the cache holds now (e.g. after a new `pull`).
      entry.model = model
    }

    return entry
  }

  async #ensureLoaded(entry: Entry, signal?: AbortSignal): Promise<LoadedEvent> {
    if (entry.info) return entry.info
    entry.loading ??= this.#load(entry).finally(() => {
      entry.loading = undefined
    })
    // Every request for a loading model waits on the same promise; an abandoning client stops waiting, the
    // load itself goes on for the others.
    return signal ? abortable(entry.loading, signal) : entry.loading
  }

  async #load(entry: Entry): Promise<LoadedEvent> {
    // A model the runtime will refuse must not cost a resident model its place.
    await this.#options.runtime.vet?.(entry.model.path)
    await this.#makeRoom(entry)
    const started = Date.now()
    const info = await this.#options.runtime.load({
      kind: entry.model.modelType === 'embedding' ? 'embedding' : 'generation',
      modelId: entry.model.id,
      modelPath: entry.model.path,
    })
    entry.info = info
    this.#options.metrics.modelLoads.inc({model: entry.model.id})
    this.#publishLoaded()
    this.#options.logger?.info('model loaded', {model: entry.model.id, ms: Date.now() - started})
    return info
  }

  /** Unloads least recently used idle models until one more fits; waits when every resident model is busy. */
  async #makeRoom(entry: Entry): Promise<void> {
    for (;;) {
      const resident = [...this.#entries.values()].filter((e) => e !== entry && (e.info || e.loading))
      if (resident.length < this.#options.maxLoaded) return
      const idle = resident.filter((e) => e.info && !e.loading && e.slots.idle).sort((a, b) => a.lastUsed - b.lastUsed)
      const victim = idle[0]
      if (victim) {
        await this.#unload(victim, 'making room')
        continue
      }

      await new Promise<void>((resolve) => this.#idleWaiters.push(resolve))
    }
  }

  async #unload(entry: Entry, why: string): Promise<void> {
    clearTimeout(entry.idleTimer)
    entry.idleTimer = undefined
    if (!entry.info) return
    entry.info = undefined
    entry.pinned = false
    // The runtime frees a model's prompt cache with the model.
    this.#notePromptCache(entry, undefined)
    this.#publishLoaded()
    try {
      await this.#options.runtime.unload(entry.model.id)
      this.#options.logger?.info('model unloaded', {model: entry.model.id, reason: why})
    } catch (error) {
      // A dead worker already dropped it; the supervisor must not reload it either, which unload ensured
      // when it reached the worker. Nothing else to do.
      this.#options.logger?.debug('unload failed', {error: String(error), model: entry.model.id})
    }
  }

  #afterUse(entry: Entry): void {
    if (!entry.slots.idle) return
    for (const wake of this.#idleWaiters.splice(0)) wake()
    const keepAlive = this.#options.keepAliveMs
    if (this.#closed || keepAlive < 0 || entry.pinned || !entry.info) return
    clearTimeout(entry.idleTimer)
    entry.idleTimer = setTimeout(() => {
      if (entry.slots.idle && !entry.loading) void this.#unload(entry, 'keep-alive expired')
    }, keepAlive)
    // An idle timer must never keep a stopping server alive.
    entry.idleTimer.unref()
  }

  #notePromptCache(entry: Entry, state: PromptCacheState | undefined): void {
    entry.promptCache = state
    this.#options.metrics.promptCacheBytes.set({model: entry.model.id}, state?.bytes ?? 0)
  }

  #publishLoaded(): void {
    this.#options.metrics.modelsLoaded.set({}, [...this.#entries.values()].filter((e) => e.info).length)
  }

  #publishQueue(entry: Entry): void {
    this.#options.metrics.queueDepth.set({model: entry.model.id}, entry.slots.waiting)
    this.#options.metrics.running.set({model: entry.model.id}, entry.slots.active)
  }
}

function promptCacheView(entry: Entry): null | PromptCacheView {
  const settings = entry.info?.prompt_cache
  if (settings === undefined) return null
  return {
    bytes: entry.promptCache?.bytes ?? 0,
    disabled_reason: settings.disabled_reason,
    entries: entry.promptCache?.entries ?? 0,
    max_bytes: settings.max_bytes,
  }
}

function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason)
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason)
    signal.addEventListener('abort', onAbort, {once: true})
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort)
        resolve(value)
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort)
        reject(error)
      },
    )
  })
}
