import type {Logger} from 'mlxk/sdk'
import {
  type EmbeddingsEvent,
  type EmbedParams,
  type GenerateEvent,
  type GenerateParams,
  type GroupSpec,
  type LoadedEvent,
  type LoadParams,
  type RuntimeClient,
  RuntimeSupervisor,
  type Topology,
} from 'mlxk/sdk/runtime'

import type {RuntimePort} from './runtime-port.js'

/**
 * The SDK's supervisor plus two things a long-running server needs: the current worker's pid (for /health and
 * the immediate-exit path) and sole ownership of SIGINT/SIGTERM: the client's own signal handling is off, since
 * it would cancel every in-flight generation before the server's grace period starts. The server's shutdown
 * (signals.ts) closes the runtime itself, and the socket EOF still ends the worker if we die.
 */
export class SupervisedRuntime implements RuntimePort {
  #client: RuntimeClient | undefined
  readonly #group: GroupSpec | undefined
  /** Model paths the group's preflight accepted. */
  readonly #vetted = new Set<string>()
  readonly #supervisor: RuntimeSupervisor

  constructor(options: {
    env?: Record<string, string>
    group?: GroupSpec | undefined
    logger?: Logger
    promptCacheBytes?: number | undefined
  }) {
    this.#group = options.group
    this.#supervisor = new RuntimeSupervisor({
      handleSignals: false,
      ...(options.group ? {group: options.group} : {}),
      ...(options.env ? {env: options.env} : {}),
      ...(options.logger ? {logger: options.logger} : {}),
      ...(options.promptCacheBytes === undefined ? {} : {promptCacheBytes: options.promptCacheBytes}),
    })
  }

  get pid(): number | undefined {
    return this.#client?.alive ? this.#client.pid : undefined
  }

  get restarts(): number {
    return this.#supervisor.restarts
  }

  get topology(): Topology | undefined {
    return this.#client?.alive ? this.#client.topology : undefined
  }

  async close(): Promise<void> {
    await this.#supervisor.close()
  }

  async embed(params: EmbedParams): Promise<EmbeddingsEvent> {
    await this.#current()
    return this.#supervisor.embed(params)
  }

  async *generate(
    params: GenerateParams,
    options: {signal?: AbortSignal},
  ): AsyncGenerator<GenerateEvent, void, undefined> {
    const client = await this.#current()
    yield* client.generate(params, options.signal ? {signal: options.signal} : {})
  }

  kill(): void {
    const pid = this.#client?.pid
    if (pid === undefined || !this.#client?.alive) return
    for (const target of [-pid, pid]) {
      try {
        // The worker runs in its own process group; killing the group takes anything it started with it.
        process.kill(target, 'SIGKILL')
        return
      } catch {
        // Not a group leader any more, or already gone: try the pid itself, then give up.
      }
    }
  }

  async load(params: LoadParams & {modelId: string}): Promise<LoadedEvent> {
    await this.#current()
    return this.#supervisor.load(params)
  }

  async vet(modelPath: string): Promise<void> {
    if (this.#group === undefined || this.#vetted.has(modelPath)) return
    const {locateRuntime, preflightGroup} = await import('mlxk/sdk/runtime')
    await preflightGroup(this.#group, {modelPaths: [modelPath], python: locateRuntime().python})
    this.#vetted.add(modelPath)
  }

  async unload(modelId: string): Promise<unknown> {
    await this.#current()
    return this.#supervisor.unload(modelId)
  }

  /** Starts or restarts the worker through the supervisor (which reloads models after a crash). */
  async #current(): Promise<RuntimeClient> {
    const client = await this.#supervisor.client()
    this.#client = client
    return client
  }
}
