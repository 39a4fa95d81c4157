import {unavailable} from '../api-error.js'
import type {AppContext, AppDeps} from '../context.js'
import {toApiError} from '../error-mapping.js'
import {ClientGoneError} from '../in-flight.js'
import type {ServableModel} from '../models/catalog.js'
import {wrongModelKind} from '../openai/embeddings.js'

/**
 * The frame of every request that runs on a model: refused while draining, the model resolved (one of the other
 * kind is a 400 naming its kind), then `work` as one in-flight request whose signal aborts when the client leaves.
 */
export async function onModel(
  ctx: AppContext,
  deps: AppDeps,
  spec: string,
  purpose: 'embed' | 'generate',
  work: (model: ServableModel, signal: AbortSignal) => Promise<void>,
): Promise<void> {
  if (deps.inflight.draining) throw unavailable('The server is shutting down', 'server_shutting_down', 5)
  const model = await deps.catalog.resolve(spec).catch((error: unknown) => {
    throw toApiError(error, {model: spec})
  })
  const refused = wrongModelKind(model, purpose)
  if (refused) throw refused

  const {controller, done} = deps.inflight.begin()
  // A client that leaves (mid-stream or while queued) cancels its work and frees its slot at once.
  const onClose = () => {
    if (!ctx.res.writableFinished) controller.abort(new ClientGoneError())
  }

  ctx.res.once('close', onClose)
  try {
    await work(model, controller.signal)
  } finally {
    ctx.res.off('close', onClose)
    done()
  }
}
