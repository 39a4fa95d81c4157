export type Framework = 'GGUF' | 'MLX' | 'PyTorch' | 'Unknown'
export type ModelKind = 'base' | 'chat' | 'embedding'

/** What a snapshot's files say about the model. */
export interface Inspection {
  /** `architectures[0]` from config.json. */
  architecture: null | string
  capabilities: string[]
  /** config.json parsed, or null when missing or invalid. */
  config: null | Record<string, unknown>
  /** `model_type` from config.json. */
  configModelType: null | string
  /** Context length from config.json (max_position_embeddings, n_positions, ...), null when unknown. */
  contextLength: null | number
  framework: Framework
  modelType: ModelKind
  /** From config.json: mlx-lm's `quantization`, else transformers' `quantization_config`; null when not quantized. */
  quantization: null | Quantization
  /** True when config.json or tokenizer_config.json asks for code from the model directory (model_file, auto_map). */
  requiresRemoteCode: boolean
  /** Tokenizer files present (tokenizer.json, tokenizer.model, vocab.json, ...). */
  hasTokenizer: boolean
}

/**
 * How the weights are quantized, with config.json's key names: upstream mlx-knife's model object carries this
 * object as `quantization`, and scripts read `.quantization.bits`.
 */
export interface Quantization {
  bits: null | number
  group_size: null | number
  /** mlx-lm's `mode` (affine, mxfp4, ...) or transformers' `quant_method` (gptq, awq, fp8, ...); null when unstated. */
  mode: null | string
}

/** Integrity verdict for one snapshot: the first problem found, with a stable code. */
export interface HealthVerdict {
  /** Stable machine code, e.g. `ok`, `config_missing`, `weights_missing`, `shards_missing`, `incomplete_download`. */
  code: string
  healthy: boolean
  /** Human reason, e.g. "Model is healthy" or "Missing weight shards: a, b". */
  reason: string
}

/** Runtime-compatibility verdict (only meaningful when integrity is healthy). */
export interface RuntimeVerdict {
  code: string
  compatible: boolean
  reason: null | string
}

/** Where the list of runnable model types came from. */
export interface SupportedModelTypes {
  /** (model_type, architecture) pairs mlx-lm routes to another module before MODEL_REMAPPING applies. */
  architectureRemapping?: Array<{architecture: string; modelType: string; target: string}>
  /** mlx-lm version the list belongs to, when known. */
  mlxLmVersion: null | string
  /** model_type aliases mlx-lm maps to another implementation (MODEL_REMAPPING). */
  remapping: Record<string, string>
  source: 'runtime' | 'shipped'
  types: string[]
}
