import {isMlxkError} from 'mlxk/sdk'
import {decodeEmbeddings, type EmbeddingsEvent} from 'mlxk/sdk/runtime'

import {internal, unavailable} from '../api-error.js'
import type {AppContext, AppDeps} from '../context.js'
import {toApiError} from '../error-mapping.js'
import {ShutdownAbortError} from '../in-flight.js'
import type {ServableModel} from '../models/catalog.js'
import type {Lease} from '../models/manager.js'
import {checkDimensions, type EmbeddingsRequest, inputTexts, presentEmbeddings} from '../openai/embeddings.js'
import {acquire} from './generation.js'
import {onModel} from './model-request.js'

/**
 * POST /v1/embeddings: every input of the request goes to the runtime as one batch, on a slot of the model like
 * a generation, so keep-alive, max-loaded and queue limits hold for embedding models as for chat models.
 */
export function embeddingsRoute(deps: AppDeps): (ctx: AppContext) => Promise<void> {
  return async (ctx) => {
    deps.validator.check('embeddings', ctx.state.body)
    const body = ctx.state.body as EmbeddingsRequest
    const texts = inputTexts(body)
    await onModel(ctx, deps, body.model, 'embed', async (model, signal) => {
      const {event, modelId} = await embed(deps, model, body, texts, signal)
      deps.metrics.promptTokens.inc({model: modelId}, event.usage.prompt_tokens)
      const vectors = decodeEmbeddings(event)
      ctx.body = presentEmbeddings(vectors, body.encoding_format ?? 'float', modelId, event.usage.prompt_tokens)
    })
  }
}

async function embed(
  deps: AppDeps,
  model: ServableModel,
  body: EmbeddingsRequest,
  texts: string[],
  signal: AbortSignal,
): Promise<{event: EmbeddingsEvent; modelId: string}> {
  // One retry when the runtime lost the model (a restart whose reload failed): load it again, then go on.
  for (let attempt = 0; ; attempt++) {
    let lease: Lease | undefined
    try {
      lease = await acquire(deps, model, signal)
      const {embedding} = lease.info
      if (!embedding) throw internal(`'${model.id}' did not load as an embedding model`, 'wrong_model_kind')
      checkDimensions(body.dimensions, embedding, model.id)
      const dimensions = body.dimensions ?? undefined
      const event = await deps.runtime.embed({
        input: texts,
        model_id: lease.modelId,
        ...(dimensions ? {dimensions} : {}),
      })
      return {event, modelId: lease.modelId}
    } catch (error) {
      if (signal.aborted) throw aborted(signal)
      if (attempt === 0 && lease && isMlxkError(error) && error.type === 'model_not_loaded') {
        deps.manager.forget(lease.modelId)
        continue
      }

      throw toApiError(error, {inputParam: 'input', model: body.model})
    } finally {
      lease?.release()
    }
  }
}

function aborted(signal: AbortSignal): Error {
  return signal.reason instanceof ShutdownAbortError
    ? unavailable('The server is shutting down; the request was stopped', 'server_shutting_down', 5)
    : unavailable('The client closed the connection', 'client_closed')
}
