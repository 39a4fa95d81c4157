import type {SnapshotFile} from '../cache/types.js'
import {EMBEDDING_ENCODER_TYPES, resolveModelType} from './supported-types.js'
import type {HealthVerdict, Inspection, RuntimeVerdict, SupportedModelTypes} from './types.js'

export interface RuntimeCompatInput {
  files: readonly SnapshotFile[]
  health: HealthVerdict
  inspection: Inspection
  supported: SupportedModelTypes
}

const LEGACY_WEIGHTS = /^(weights\.\d+|pytorch_model-\d+)\.safetensors$/
const MODERN_WEIGHTS = /^(model\.safetensors|model-\d{5}-of-\d{5}\.safetensors)$/
/** mlx_lm.utils.load_model globs exactly this at the top of the model directory. */
const LOADABLE_WEIGHTS = /^model[^/]*\.safetensors$/

/**
 * Whether the runtime can load the snapshot (text generation through mlx-lm; embeddings through its encoder or an
 * mlx-lm decoder), decided without Python: a chain of gates, the first failure wins, each with a stable code.
 * Integrity comes first because a broken snapshot cannot run at all.
 */
export function checkRuntimeCompatibility(input: RuntimeCompatInput): RuntimeVerdict {
  const {health, inspection, supported} = input
  if (!health.healthy) return fail('unhealthy', health.reason)
  if (inspection.framework !== 'MLX') return fail('framework', `Incompatible: ${inspection.framework}`)

  const topLevel = input.files.filter((f) => !f.dangling && !f.path.includes('/')).map((f) => f.path)
  const safetensors = topLevel.filter((p) => p.endsWith('.safetensors'))
  if (safetensors.some((p) => LEGACY_WEIGHTS.test(p)) && !safetensors.some((p) => MODERN_WEIGHTS.test(p))) {
    return fail('legacy_format', 'Legacy format not supported by mlx-lm')
  }

  // Integrity accepts any weight layout; mlx-lm loads nothing but model*.safetensors (not GGUF, .bin or
  // consolidated.safetensors), and would fail with "No safetensors found" at load time.
  if (!topLevel.some((p) => LOADABLE_WEIGHTS.test(p))) {
    return fail('weights_not_loadable', 'No model*.safetensors weights at the top level (the only files mlx-lm loads)')
  }

  if (!inspection.config) return fail('config_missing', 'config.json missing (required for model_type detection)')
  const modelType = inspection.configModelType
  if (!modelType) return fail('model_type_missing', 'config.json missing model_type field')
  if (inspection.requiresRemoteCode) {
    return fail(
      'remote_code',
      'Model requires custom code (model_file/auto_map); mlxk never runs code from a model directory',
    )
  }

  const architectures = architecturesOf(inspection.config)
  const {supported: known, target} = resolveModelType(modelType, architectures, supported)
  // Ahead of the model_type gate: an encoder (bert) is no mlx-lm type, yet the runtime embeds with it.
  if (inspection.modelType === 'embedding') {
    if (EMBEDDING_ENCODER_TYPES.includes(modelType) || known) return {code: 'ok', compatible: true, reason: null}
    return fail(
      'unsupported_embedding_model',
      `Embedding model of type '${modelType}': mlxk embeds with ${EMBEDDING_ENCODER_TYPES.join(', ')} encoders ` +
        'and with decoders mlx-lm supports',
    )
  }

  if (!known) {
    const version = supported.mlxLmVersion ? `mlx-lm ${supported.mlxLmVersion}` : 'mlx-lm'
    const mapped = target === modelType ? '' : ` (mapped to '${target}')`
    return fail('unsupported_model_type', `model_type '${modelType}'${mapped} not supported by ${version}`)
  }

  return {code: 'ok', compatible: true, reason: null}
}

function fail(code: string, reason: string): RuntimeVerdict {
  return {code, compatible: false, reason}
}

function architecturesOf(config: Record<string, unknown>): string[] {
  const value = config.architectures
  if (typeof value === 'string') return [value]
  return Array.isArray(value) ? value.filter((a): a is string => typeof a === 'string') : []
}
