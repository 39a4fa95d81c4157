import {existsSync, readdirSync, statSync} from 'node:fs'
import {join} from 'node:path'

import {MlxkError} from 'mlxk/sdk'
import type {ModelKind} from 'mlxk/sdk/model'
import {describeModel, describeWorkspace, listModels, resolveSpec, supportedModelTypes} from 'mlxk/sdk/services'

/** A model the server may load: what `/v1/models` lists and what a request's `model` resolves to. */
export interface ServableModel {
  /** What the model can do, as `mlxk list` says (`chat`, `reasoning`, `tools`, …). */
  capabilities?: string[] | undefined
  context_length: null | number
  /** Seconds since the epoch (snapshot mtime), as OpenAI's `created`. */
  created: number
  /** The id clients send: `org/name` for the cache, the path as configured for a workspace. */
  id: string
  kind: 'cache' | 'workspace'
  /** What the model does (from its files, as `mlxk list` says); absent: a text model. */
  modelType?: ModelKind | undefined
  /** Absolute directory the runtime loads. */
  path: string
}

export interface ModelSource {
  list(): Promise<ServableModel[]>
  /** The model a request names, or a thrown MlxkError (model_not_found, model_unhealthy, …). */
  resolve(spec: string): Promise<ServableModel>
}

export interface CatalogOptions {
  /** Workspace directories given with `--workspace`, ids exactly as given. */
  workspaces: string[]
  /** `MLXK_WORKSPACE_HOME`: every sub-directory holding a config.json is a workspace. */
  workspaceHome?: string | undefined
  /** The hub cache root. */
  root: string
}

/**
 * Healthy, runtime-compatible models from the cache and the configured workspaces. Read from disk on every call
 * so a `mlxk pull` or `rm` while the server runs shows up without a restart (a scan of a cache is milliseconds).
 */
export class ModelCatalog implements ModelSource {
  readonly #options: CatalogOptions

  constructor(options: CatalogOptions) {
    this.#options = options
  }

  async list(): Promise<ServableModel[]> {
    const supported = supportedModelTypes()
    const cached = existsSync(this.#options.root) ? (await listModels({root: this.#options.root})).models : []
    const fromCache: ServableModel[] = cached
      .filter((m) => m.health === 'healthy' && m.runtime_compatible)
      .map((m) => ({
        capabilities: m.capabilities,
        context_length: m.context_length,
        created: Math.floor(Date.parse(m.last_modified) / 1000),
        id: m.name,
        kind: 'cache',
        modelType: m.model_type,
        // Not needed for listing; resolve() finds the snapshot when a request actually uses the model.
        path: '',
      }))
    const fromWorkspaces: ServableModel[] = []
    for (const spec of this.workspaceIds()) {
      const model = await this.#describeWorkspace(spec, supported).catch(() => undefined)
      if (model) fromWorkspaces.push(model)
    }

    return [...fromCache, ...fromWorkspaces]
  }

  async resolve(spec: string): Promise<ServableModel> {
    const supported = supportedModelTypes()
    // Only configured workspaces: a remote client must never make the server load an arbitrary directory.
    if (this.workspaceIds().includes(spec)) {
      const model = await this.#describeWorkspace(spec, supported)
      if (model) return model
    }

    if (/^(\.{0,2}\/|~)/.test(spec)) {
      throw new MlxkError('model_not_found', `'${spec}' is not a workspace this server was started with`)
    }

    const resolved = await resolveSpec(this.#options.root, spec)
    const description = await describeModel(resolved.model, {
      revision: resolved.revision,
      supported,
      ...(resolved.snapshot ? {snapshot: resolved.snapshot} : {}),
    })
    const {object, snapshot} = description
    if (!snapshot || object.health !== 'healthy') {
      throw new MlxkError('model_unhealthy', `Model '${object.name}' is not healthy: ${object.reason ?? 'no snapshot'}`)
    }

    if (!object.runtime_compatible) {
      throw new MlxkError(
        'model_not_runnable',
        `Model '${object.name}' cannot run with mlx-lm: ${object.reason ?? object.runtime_code}`,
      )
    }

    return {
      capabilities: object.capabilities,
      context_length: object.context_length,
      created: Math.floor(snapshot.mtimeMs / 1000),
      id: resolved.revision ? `${object.name}@${resolved.revision}` : object.name,
      kind: 'cache',
      modelType: object.model_type,
      path: snapshot.dir,
    }
  }

  /** Configured workspace ids: `--workspace` values as given, then the folders under the workspace home. */
  workspaceIds(): string[] {
    const ids = [...this.#options.workspaces]
    const home = this.#options.workspaceHome
    if (home && isDirectory(home)) {
      for (const name of readdirSync(home).sort()) {
        const dir = join(home, name)
        if (!name.startsWith('.') && isDirectory(dir) && existsSync(join(dir, 'config.json'))) ids.push(dir)
      }
    }

    return [...new Set(ids)]
  }

  async #describeWorkspace(
    spec: string,
    supported: ReturnType<typeof supportedModelTypes>,
  ): Promise<ServableModel | undefined> {
    const target = await describeWorkspace({spec, supported})
    if (!target.health.healthy) {
      throw new MlxkError(
        'model_unhealthy',
        `Workspace '${spec}' is not healthy: ${target.health.reason ?? target.health.code}`,
      )
    }

    if (!target.runtime.compatible) {
      throw new MlxkError(
        'model_not_runnable',
        `Workspace '${spec}' cannot run with mlx-lm: ${target.runtime.reason ?? target.runtime.code}`,
      )
    }

    return {
      capabilities: target.inspection.capabilities,
      context_length: target.inspection.contextLength,
      created: Math.floor(statSync(target.path).mtimeMs / 1000),
      id: spec,
      kind: 'workspace',
      modelType: target.inspection.modelType,
      path: target.path,
    }
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory()
  } catch {
    return false
  }
}
