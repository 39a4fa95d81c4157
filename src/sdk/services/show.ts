import {basename} from 'node:path'

import type {SnapshotFile} from '../cache/types.js'
import type {ModelObject} from '../model/model-object.js'
import {formatSize} from '../render/format.js'
import {describeModel} from './describe-model.js'
import {resolveSpec} from './resolve-spec.js'
import {supportedModelTypes} from './supported.js'

export interface ShowFile {
  /** Blob name when the entry links into `blobs/`, else null. */
  blob: null | string
  /** Basename, as upstream reports it. */
  name: string
  /** Path inside the snapshot (differs from `name` for nested files). */
  path: string
  /** Upstream's human size string, e.g. "1.2MB". */
  size: string
  size_bytes: number
  type: 'config' | 'other' | 'readme' | 'tokenizer' | 'weights'
}

export interface ShowMetadata {
  architecture: null | string
  context_length: null | number
  hidden_size: null | number
  model_type: null | string
  num_attention_heads: null | number
  num_hidden_layers: null | number
  /** Upstream's display string ("4bit"); the model object's `quantization` has the numbers. */
  quantization: null | string
  vocab_size: null | number
}

export interface ShowData {
  config?: null | Record<string, unknown>
  files?: ShowFile[]
  metadata: null | ShowMetadata
  model: ModelObject
}

export interface ShowOptions {
  config?: boolean
  files?: boolean
  root: string
  spec: string
}

export async function showModel(options: ShowOptions): Promise<ShowData> {
  const resolved = await resolveSpec(options.root, options.spec)
  const description = await describeModel(resolved.model, {
    snapshot: resolved.snapshot,
    supported: supportedModelTypes(),
  })
  const config = description.inspection?.config ?? null
  const data: ShowData = {
    metadata: metadataOf(config, description.object.quantization_label),
    model: description.object,
  }
  if (options.files) data.files = description.files.map((f) => showFile(f))
  if (options.config) data.config = config
  return data
}

function metadataOf(config: null | Record<string, unknown>, quantization: null | string): null | ShowMetadata {
  if (!config) return null
  const int = (key: string): null | number => (typeof config[key] === 'number' ? (config[key] as number) : null)
  const architectures = config.architectures
  return {
    architecture: Array.isArray(architectures) && typeof architectures[0] === 'string' ? architectures[0] : null,
    context_length: int('max_position_embeddings') ?? int('n_positions') ?? int('context_length'),
    hidden_size: int('hidden_size'),
    model_type: typeof config.model_type === 'string' ? config.model_type : null,
    num_attention_heads: int('num_attention_heads'),
    num_hidden_layers: int('num_hidden_layers'),
    quantization,
    vocab_size: int('vocab_size'),
  }
}

export function fileType(path: string): ShowFile['type'] {
  const name = basename(path)
  const lower = name.toLowerCase()
  if (name === 'config.json') return 'config'
  if (/\.(safetensors|bin|gguf)$/i.test(name)) return 'weights'
  if (lower.includes('tokenizer')) return 'tokenizer'
  if (lower.endsWith('.json')) return 'config'
  if (name === 'README.md') return 'readme'
  return 'other'
}

function showFile(file: SnapshotFile): ShowFile {
  return {
    blob: file.blob,
    name: basename(file.path),
    path: file.path,
    size: formatSize(file.size),
    size_bytes: file.size,
    type: fileType(file.path),
  }
}
