import {modelNotFound} from '../api-error.js'
import type {AppContext, AppDeps} from '../context.js'
import {toApiError} from '../error-mapping.js'
import {presentModel} from '../openai/presenters.js'

/** GET /v1/models: healthy, runnable models from the cache and the configured workspaces. */
export async function listModelsRoute(ctx: AppContext, deps: AppDeps): Promise<void> {
  const models = await deps.catalog.list()
  ctx.body = {data: models.map(presentModel), object: 'list'}
}

/** GET /v1/models/{id}: the id may hold slashes (`org/name`), encoded or not. */
export async function getModelRoute(ctx: AppContext, deps: AppDeps, rawId: string): Promise<void> {
  let id: string
  try {
    id = decodeURIComponent(rawId)
  } catch {
    throw modelNotFound(rawId)
  }

  const listed = (await deps.catalog.list()).find((m) => m.id === id)
  if (listed) {
    ctx.body = presentModel(listed)
    return
  }

  // Not listed under that exact id: a revision (`org/name@rev`) or a configured workspace may still resolve.
  try {
    ctx.body = presentModel(await deps.catalog.resolve(id))
  } catch (error) {
    throw toApiError(error, {model: id})
  }
}
