import type {ParameterizedContext} from 'koa'

import type {ServerMetrics} from './metrics.js'
import type {ModelSource} from './models/catalog.js'
import type {ModelManager} from './models/manager.js'
import type {InFlight} from './in-flight.js'
import type {SamplingDefaults} from './openai/request.js'
import type {RequestValidator} from './openai/schemas.js'
import type {RuntimePort} from './runtime-port.js'

/** What the middleware pipeline records on `ctx.state` for later stages and the access log. */
export interface AppState {
  /** Parsed JSON body (POST only). */
  body?: unknown
  /** The OpenAI error code of a failed request or stream, for the access log and metrics. */
  errorCode?: string
  requestId: string
  /** The route pattern (`/v1/models/{id}`), so metrics do not get one series per model id. */
  route: string
  startedAt: number
}

export type AppContext = ParameterizedContext<AppState>

export interface AccessLogEntry {
  duration_ms: number
  error?: string
  method: string
  path: string
  request_id: string
  status: number
}

export interface AppConfig {
  /** Bearer token for /v1/* and /metrics; unset: no auth. */
  apiKey?: string | undefined
  /** Origins allowed by CORS (`*` for any); empty: no CORS headers at all. */
  corsOrigins: string[]
  maxBodyBytes: number
  version: string
}

export interface AppDeps {
  accessLog: (entry: AccessLogEntry) => void
  catalog: ModelSource
  config: AppConfig
  defaults: SamplingDefaults
  inflight: InFlight
  manager: ModelManager
  metrics: ServerMetrics
  runtime: RuntimePort
  validator: RequestValidator
}
