import type {Next} from 'koa'

import type {AppContext, AppDeps} from '../context.js'

/**
 * One line per request once the response is over (finished or aborted) and the handler has returned, so a stream
 * is logged with its real duration and an aborted one with the reason its handler recorded. Also counts requests
 * for /metrics.
 */
export function accessLog(deps: Pick<AppDeps, 'accessLog' | 'metrics'>) {
  return async (ctx: AppContext, next: Next): Promise<void> => {
    let logged = false
    const log = () => {
      if (logged) return
      logged = true
      const status = ctx.res.headersSent || ctx.respond === false ? ctx.res.statusCode : ctx.status
      deps.metrics.requests.inc({method: ctx.method, route: ctx.state.route, status: String(status)})
      deps.accessLog({
        duration_ms: Date.now() - ctx.state.startedAt,
        ...(ctx.state.errorCode ? {error: ctx.state.errorCode} : {}),
        method: ctx.method,
        path: ctx.path,
        request_id: ctx.state.requestId,
        status,
      })
    }

    try {
      await next()
    } finally {
      // A normal response is written by Koa after the chain returns; a stream may have closed long before.
      if (ctx.res.closed) log()
      else ctx.res.once('close', log)
    }
  }
}
