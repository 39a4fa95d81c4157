import type {Next} from 'koa'

import {routeNotFound} from '../api-error.js'
import type {AppContext, AppDeps} from '../context.js'
import {toApiError} from '../error-mapping.js'
import {presentError} from '../openai/presenters.js'

/**
 * The one place errors become responses: OpenAI's `{"error": {...}}` with the right status and headers. A
 * response whose headers are already out (a stream) is never written to here; streams report their own
 * failures as an SSE event (routes/generation.ts).
 */
export function errorWriter(
  deps: Pick<AppDeps, 'metrics'> & {logger?: {error(m: string, f?: Record<string, unknown>): void}},
) {
  return async (ctx: AppContext, next: Next): Promise<void> => {
    try {
      await next()
      if (ctx.status === 404 && ctx.body === undefined && ctx.respond !== false)
        throw routeNotFound(ctx.method, ctx.path)
    } catch (thrown) {
      const error = toApiError(thrown)
      ctx.state.errorCode ??= error.code ?? error.type
      deps.metrics.errors.inc({code: ctx.state.errorCode})
      if (error.status >= 500 && error.code === 'internal_error') {
        deps.logger?.error('request failed', {
          error: thrown instanceof Error ? (thrown.stack ?? thrown.message) : String(thrown),
          request_id: ctx.state.requestId,
        })
      }

      if (ctx.res.headersSent || ctx.respond === false || !ctx.writable) return
      ctx.status = error.status
      for (const [name, value] of Object.entries(error.headers)) ctx.set(name, value)
      ctx.body = presentError(error)
    }
  }
}
