import type {GroupSpec} from 'mlxk/sdk/runtime'

import type {AppConfig} from './context.js'
import type {CatalogOptions} from './models/catalog.js'
import type {ModelLimits} from './models/manager.js'
import type {SamplingDefaults} from './openai/request.js'

/**
 * Everything `mlxk server` was asked to do, after flags and environment are resolved, grouped by the part of the
 * server that takes it, so serve() hands each group on as it is.
 */
export interface ServeOptions {
  /** Called once the server listens; the command prints it (one envelope line with `--json`). */
  announce(started: ServerStarted): void
  /** The HTTP pipeline: auth, CORS, body limit, version. */
  app: AppConfig
  /** Where models come from: the cache and the workspace folders. */
  catalog: CatalogOptions
  /** Sampling and completion budget for requests that leave them out. */
  defaults: SamplingDefaults
  /** How long in-flight generations may finish after the first signal. */
  gracePeriodMs: number
  /** Run every model across this distributed group (docs/distributed.md). */
  group?: GroupSpec | undefined
  limits: ModelLimits
  listen: {host: string; port: number}
  logJson: boolean
  /** `--model` specs to load before listening. */
  preload: string[]
  /** Bound of each model's prompt cache; undefined: the runtime's default. */
  promptCacheBytes?: number | undefined
}

/** Start-up data: printed as one JSON line with `--json` (upstream's host/port/model/max_tokens, plus more). */
export interface ServerStarted {
  api_key_required: boolean
  host: string
  max_tokens: null | number
  model: null | string
  models: string[]
  pid: number
  port: number
  status: 'listening'
  url: string
}

const UNITS_MS: Record<string, number> = {h: 3_600_000, m: 60_000, ms: 1, s: 1000}

/**
 * Ollama-style durations: `5m`, `30s`, `1h`, `250ms`, or a bare number of seconds; any negative value means
 * "never". Returns undefined for anything else so the command can report a usage error.
 */
export function parseDuration(text: string): number | undefined {
  const match = /^\s*(-?\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(text)
  if (!match) return undefined
  const value = Number(match[1])
  if (value < 0) return -1
  return Math.round(value * UNITS_MS[match[2] ?? 's']!)
}

/** `16mb`, `512kb`, `1048576`: a byte count for the body limit. */
export function parseBytes(text: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(b|kb|k|mb|m|gb|g)?\s*$/i.exec(text)
  if (!match) return undefined
  const unit = (match[2] ?? 'b').toLowerCase()[0]!
  const factor = unit === 'k' ? 1024 : unit === 'm' ? 1024 ** 2 : unit === 'g' ? 1024 ** 3 : 1
  return Math.floor(Number(match[1]) * factor)
}

/** Loopback binds are private to this machine; anything else is reachable from the network. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host)
}

/** `http://host:port`, with IPv6 literals bracketed. */
export function urlFor(host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`
}
