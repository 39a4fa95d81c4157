import type {Next} from 'koa'

import type {AppContext, AppDeps} from '../context.js'
import {chatFlavor, completionFlavor} from '../openai/flavors.js'
import {validated} from '../middleware/validate.js'
import {embeddingsRoute} from './embeddings.js'
import {generationRoute} from './generation.js'
import {healthRoute, metricsRoute} from './health.js'
import {getModelRoute, listModelsRoute} from './models.js'

const MODEL_PREFIX = '/v1/models/'

/** The POST routes whose JSON body the body middleware reads. */
export const BODY_ROUTES: ReadonlySet<string> = new Set(['/v1/chat/completions', '/v1/completions', '/v1/embeddings'])

/**
 * The route table. Six routes do not need a router library; anything unmatched falls through as 404 and the
 * error writer answers in OpenAI's "Invalid URL" shape.
 */
export function routes(deps: AppDeps) {
  const chat = validated(deps, chatFlavor, generationRoute(deps, chatFlavor))
  const completion = validated(deps, completionFlavor, generationRoute(deps, completionFlavor))
  const embeddings = embeddingsRoute(deps)
  return async (ctx: AppContext, next: Next): Promise<void> => {
    const {method, path} = ctx
    const route = `${method} ${path}`
    switch (route) {
      case 'GET /health': {
        return healthRoute(ctx, deps)
      }

      case 'GET /metrics': {
        return metricsRoute(ctx, deps)
      }

      case 'GET /v1/models': {
        return listModelsRoute(ctx, deps)
      }

      case 'POST /v1/chat/completions': {
        return chat(ctx)
      }

      case 'POST /v1/completions': {
        return completion(ctx)
      }

      case 'POST /v1/embeddings': {
        return embeddings(ctx)
      }
    }

    if (method === 'GET' && path.startsWith(MODEL_PREFIX) && path.length > MODEL_PREFIX.length) {
      ctx.state.route = '/v1/models/{id}'
      return getModelRoute(ctx, deps, path.slice(MODEL_PREFIX.length))
    }

    ctx.state.route = 'unmatched'
    await next()
  }
}
