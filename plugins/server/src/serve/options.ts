import type {GroupSpec} from 'mlxk/sdk/runtime/index'

/** Everything `mlxk server` was asked to do, after flags and environment are resolved. */
export interface ServeOptions {
  apiKey?: string | undefined
  corsOrigins: string[]
  /** Run every model across this distributed group (docs/distributed.md). */
  group?: GroupSpec | undefined
  /** How long in-flight generations may finish after the first signal. */
  gracePeriodMs: number
  host: string
  json: boolean
  keepAliveMs: number
  logJson: boolean
  maxBodyBytes: number
  maxLoaded: number
  maxQueue: number
  /** Default completion budget for requests without max_tokens; unset: half the context. */
  maxTokens?: number | undefined
  /** `--model` specs to load before listening. */
  models: string[]
  parallel: number
  port: number
  /** The hub cache root. */
  root: string
  temperature: number
  topP: number
  version: string
  workspaceHome?: string | undefined
  workspaces: string[]
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
