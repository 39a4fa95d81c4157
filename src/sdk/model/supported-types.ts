import {readFileSync} from 'node:fs'
import {join} from 'node:path'

import {stateCacheDir} from '../paths.js'
import {
  MLX_LM_ARCHITECTURE_REMAPPING,
  MLX_LM_MODEL_REMAPPING,
  MLX_LM_MODEL_TYPES,
  MLX_LM_VERSION,
} from './mlx-lm-model-types.js'
import {isRecord} from './snapshot-reader.js'
import type {SupportedModelTypes} from './types.js'

/**
 * Encoder families the runtime embeds with its own MLX encoder (python-runtime/mlxk_runtime/encoder.py); decoder
 * embedders (Qwen3-Embedding) run on the mlx-lm architecture of their model_type.
 */
export const EMBEDDING_ENCODER_TYPES: readonly string[] = ['bert', 'roberta', 'xlm-roberta']

/** What the runtime client writes after asking the installed mlx-lm (JSON, snake_case as Python writes it). */
export interface RuntimeInfoFile {
  /** Optional: pairs as `[model_type, architecture, target]`. */
  architecture_remapping?: Array<[string, string, string]>
  mlx_lm_version: string
  remapping: Record<string, string>
  supported_model_types: string[]
  written_at: string
}

/** What the runtime reported last time it ran (written by the runtime client), else the list mlxk ships. */
export function supportedModelTypes(env: NodeJS.ProcessEnv = process.env): SupportedModelTypes {
  return loadSupportedModelTypes({cacheFile: join(stateCacheDir(env), 'runtime-info.json')})
}

export function shippedSupportedModelTypes(): SupportedModelTypes {
  return {
    architectureRemapping: MLX_LM_ARCHITECTURE_REMAPPING.map((r) => ({...r})),
    mlxLmVersion: MLX_LM_VERSION,
    remapping: {...MLX_LM_MODEL_REMAPPING},
    source: 'shipped',
    types: [...MLX_LM_MODEL_TYPES],
  }
}

/**
 * The runtime's own report when one was cached, else the list generated at build time. Listing models must not
 * spawn Python, so this only ever reads one small file. A cache file that is unreadable or malformed is ignored:
 * the shipped list is a good answer, and the runtime rewrites the file on its next start.
 */
export function loadSupportedModelTypes(options: {cacheFile?: null | string}): SupportedModelTypes {
  if (!options.cacheFile) return shippedSupportedModelTypes()
  let text: string
  try {
    text = readFileSync(options.cacheFile, 'utf8')
  } catch {
    return shippedSupportedModelTypes()
  }

  try {
    return parseRuntimeInfo(JSON.parse(text) as unknown) ?? shippedSupportedModelTypes()
  } catch {
    return shippedSupportedModelTypes()
  }
}

/** Validates a runtime-info document; null when it does not have the expected shape. */
export function parseRuntimeInfo(value: unknown): null | SupportedModelTypes {
  if (!isRecord(value)) return null
  const types = value.supported_model_types
  if (!Array.isArray(types) || types.length === 0 || !types.every((t) => typeof t === 'string')) return null
  const remapping: Record<string, string> = {}
  if (isRecord(value.remapping)) {
    for (const [from, to] of Object.entries(value.remapping)) if (typeof to === 'string') remapping[from] = to
  }

  const architectureRemapping: Array<{architecture: string; modelType: string; target: string}> = []
  if (Array.isArray(value.architecture_remapping)) {
    for (const entry of value.architecture_remapping) {
      if (Array.isArray(entry) && entry.length === 3 && entry.every((e) => typeof e === 'string')) {
        const [modelType, architecture, target] = entry as [string, string, string]
        architectureRemapping.push({architecture, modelType, target})
      }
    }
  }

  return {
    architectureRemapping,
    mlxLmVersion: typeof value.mlx_lm_version === 'string' && value.mlx_lm_version !== '' ? value.mlx_lm_version : null,
    remapping,
    source: 'runtime',
    types: types as string[],
  }
}

/**
 * The mlx-lm module a config would load, following mlx_lm.utils._get_classes: an architecture-specific
 * remapping wins, else MODEL_REMAPPING, else the model_type itself.
 */
export function resolveModelType(
  modelType: string,
  architectures: readonly string[],
  supported: SupportedModelTypes,
): {supported: boolean; target: string} {
  const byArchitecture = architectures
    .map((a) => supported.architectureRemapping?.find((r) => r.modelType === modelType && r.architecture === a))
    .find((r) => r !== undefined)
  const target =
    byArchitecture?.target ??
    (Object.hasOwn(supported.remapping, modelType) ? supported.remapping[modelType] : undefined) ??
    modelType
  return {supported: supported.types.includes(target), target}
}
