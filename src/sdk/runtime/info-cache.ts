import {mkdir, readFile, rename, rm, writeFile} from 'node:fs/promises'
import {join} from 'node:path'

import {stateCacheDir} from '../paths.js'
import type {InfoEvent} from './protocol.js'

type Env = NodeJS.ProcessEnv

/**
 * What the runtime reported, cached so `mlxk list` can judge model types without spawning Python.
 * `python` is the interpreter path: facts from another interpreter (another venv) do not apply.
 */
export interface RuntimeInfoCache {
  device: InfoEvent['device']
  mlx_lm_version: string
  mlx_version: string
  python: string
  python_version: string
  /** model_type aliases; the worker folds MODEL_REMAPPING into supported_model_types, so this stays empty. */
  remapping: Record<string, string>
  runtime_version: string
  supported_model_types: string[]
  written_at: string
}

export function runtimeInfoCachePath(env: Env = process.env): string {
  return join(stateCacheDir(env), 'runtime-info.json')
}

/** Written atomically (temp file + rename) so a concurrent reader never sees half a file. */
export async function writeRuntimeInfoCache(info: InfoEvent, python: string, env: Env = process.env): Promise<string> {
  const record: RuntimeInfoCache = {
    device: info.device,
    mlx_lm_version: info.mlx_lm_version,
    mlx_version: info.mlx_version,
    python,
    python_version: info.python,
    remapping: {},
    runtime_version: info.runtime_version,
    supported_model_types: [...info.supported_model_types],
    written_at: new Date().toISOString(),
  }
  const path = runtimeInfoCachePath(env)
  await mkdir(stateCacheDir(env), {recursive: true})
  const temp = `${path}.${process.pid}.${Date.now()}.tmp`
  try {
    await writeFile(temp, JSON.stringify(record, null, 2) + '\n', {mode: 0o600})
    await rename(temp, path)
  } catch (error) {
    await rm(temp, {force: true})
    throw error
  }

  return path
}

/**
 * The cached facts, or undefined when absent, unreadable, or written for another interpreter than `python`
 * (when given). Never throws: a cache miss only means the caller falls back to its shipped list.
 */
export async function readRuntimeInfoCache(
  options: {env?: Env; python?: string} = {},
): Promise<RuntimeInfoCache | undefined> {
  let value: unknown
  try {
    value = JSON.parse(await readFile(runtimeInfoCachePath(options.env), 'utf8'))
  } catch {
    return undefined
  }

  if (!isRuntimeInfoCache(value)) return undefined
  if (options.python !== undefined && value.python !== options.python) return undefined
  return value
}

function isRuntimeInfoCache(value: unknown): value is RuntimeInfoCache {
  if (typeof value !== 'object' || value === null) return false
  const record = value as Record<string, unknown>
  return (
    typeof record.python === 'string' &&
    typeof record.mlx_lm_version === 'string' &&
    Array.isArray(record.supported_model_types) &&
    record.supported_model_types.every((type) => typeof type === 'string')
  )
}
