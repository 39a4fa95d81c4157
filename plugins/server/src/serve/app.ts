import Koa from 'koa'

import type {Logger} from 'mlxk/sdk'

import type {AppDeps, AppState} from './context.js'
import {accessLog} from './middleware/access-log.js'
import {auth} from './middleware/auth.js'
import {jsonBody} from './middleware/body.js'
import {cors} from './middleware/cors.js'
import {errorWriter} from './middleware/error-writer.js'
import {requestId} from './middleware/request-id.js'
import {BODY_ROUTES, routes} from './routes/router.js'

/**
 * The HTTP API as a Koa middleware pipeline. Order matters:
 * request id (so everything below can log it) → access log (sees the final status) → error writer (wraps
 * everything that can throw, including auth and body errors) → CORS (preflights skip auth) → auth (before the
 * body is read, so unauthenticated clients cannot make us buffer) → body limit + JSON → routes.
 */
export function createApp(deps: AppDeps, logger?: Logger): Koa<AppState> {
  const app = new Koa<AppState>()
  // Errors are answered by errorWriter; Koa's own handler would print stack traces for client mistakes.
  app.silent = true
  app.use(requestId())
  app.use(accessLog(deps))
  app.use(errorWriter({metrics: deps.metrics, ...(logger ? {logger} : {})}))
  app.use(cors(deps.config.corsOrigins))
  app.use(auth(deps.config.apiKey))
  app.use(jsonBody(deps.config.maxBodyBytes, BODY_ROUTES))
  app.use(routes(deps))
  return app
}
