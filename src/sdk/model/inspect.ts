import type {SnapshotFile} from '../cache/types.js'
import {type FrontMatter, parseFrontMatter} from './frontmatter.js'
import {isRecord, readHead, SnapshotReader} from './snapshot-reader.js'
import {takesTools, toolParserOf} from './tool-parser.js'
import type {Framework, Inspection, ModelKind, Quantization} from './types.js'

/** Which signal decided the framework, so `show` can explain a label a user disagrees with. */
export type FrameworkEvidence =
  | 'config_quantization'
  | 'gguf_files'
  | 'legacy_mlx_weights'
  | 'name'
  | 'none'
  | 'readme'
  | 'safetensors_metadata'
  | 'weight_files'

/** Where a request for code from the model directory was found; `requiresRemoteCode` is derived from it. */
export interface RemoteCodeSources {
  /** config.json `auto_map`: only transformers' Auto* classes read it, mlx-lm builds the model itself. */
  configAutoMap: boolean
  /** config.json `model_file`: mlx-lm imports this file to build the model. */
  modelFile: null | string
  /** tokenizer_config.json `auto_map`: AutoTokenizer would import the tokenizer class from the directory. */
  tokenizerAutoMap: boolean
}

export type ChatTemplateSource = 'chat_template.jinja' | 'chat_template.json' | 'tokenizer_config.json'

export interface SnapshotInspection extends Inspection {
  chatTemplateSource: ChatTemplateSource | null
  frameworkEvidence: FrameworkEvidence
  frontMatter: FrontMatter | null
  remoteCode: RemoteCodeSources
}

export interface InspectInput {
  /** Snapshot directory (absolute). Files are read through `files[].absPath`. */
  dir: string
  files: readonly SnapshotFile[]
  /** HF id, e.g. `org/name`. */
  name: string
  /** Reader over `files`, shared with the health check so each file is read once; a fresh one when omitted. */
  reader?: SnapshotReader
}

const CONTEXT_KEYS = [
  'max_position_embeddings',
  'n_positions',
  'context_length',
  'max_sequence_length',
  'seq_len',
  'n_ctx',
  'max_seq_len',
]

const SENTENCE_TRANSFORMERS_FILES = ['modules.json', 'config_sentence_transformers.json', 'sentence_bert_config.json']
const EMBEDDING_PIPELINES = new Set(['feature-extraction', 'sentence-similarity'])

/** Front-matter lives at the top; model cards with long front-matter (model-index) stay well under this. */
const README_MAX_BYTES = 256 * 1024
/** mlx writes `__metadata__` first in the header, so its start is enough to find `"format": "mlx"`. */
const SAFETENSORS_HEADER_PREFIX = 64 * 1024

/** What a snapshot's files say about the model: framework, type, quantization, chat template. */
export function inspectSnapshot(input: InspectInput): SnapshotInspection {
  const reader = input.reader ?? new SnapshotReader(input.files)
  const present = input.files.filter((f) => !f.dangling)
  const topLevel = present.filter((f) => !f.path.includes('/'))

  const configRead = reader.json('config.json')
  const config = configRead.kind === 'ok' && isRecord(configRead.value) ? configRead.value : null
  const tokenizerRead = reader.json('tokenizer_config.json')
  const tokenizerConfig = tokenizerRead.kind === 'ok' && isRecord(tokenizerRead.value) ? tokenizerRead.value : null
  const readme = reader.text('README.md', README_MAX_BYTES)
  const frontMatter = readme === null ? null : parseFrontMatter(readme)

  const {evidence, framework} = detectFramework(reader, input.name, frontMatter, config, present, topLevel)
  const template = findChatTemplate(reader, tokenizerConfig)
  const modelType = detectKind(input.name, frontMatter, config, template?.text ?? null, topLevel, present)
  const remoteCode = remoteCodeOf(config, tokenizerConfig)

  return {
    architecture: architecturesOf(config)[0] ?? null,
    capabilities: capabilitiesOf(modelType, template?.text ?? null, tokenizerConfig, config),
    chatTemplateSource: template?.source ?? null,
    config,
    configModelType:
      config && typeof config.model_type === 'string' && config.model_type !== '' ? config.model_type : null,
    contextLength: contextLengthOf(config),
    framework,
    frameworkEvidence: evidence,
    frontMatter,
    hasTokenizer: hasTokenizerFiles(topLevel.map((f) => f.path)),
    modelType,
    quantization: quantizationOf(config),
    remoteCode,
    requiresRemoteCode: remoteCode.modelFile !== null || remoteCode.tokenizerAutoMap,
  }
}

function detectFramework(
  reader: SnapshotReader,
  name: string,
  frontMatter: FrontMatter | null,
  config: null | Record<string, unknown>,
  present: readonly SnapshotFile[],
  topLevel: readonly SnapshotFile[],
): {evidence: FrameworkEvidence; framework: Framework} {
  if (name.toLowerCase().includes('mlx-community/')) return {evidence: 'name', framework: 'MLX'}
  if (
    frontMatter &&
    (frontMatter.libraryName?.toLowerCase() === 'mlx' || frontMatter.tags.some((t) => t.toLowerCase() === 'mlx'))
  ) {
    return {evidence: 'readme', framework: 'MLX'}
  }

  // `quantization` is the key mlx-lm writes; transformers uses `quantization_config`.
  if (config && isRecord(config.quantization)) return {evidence: 'config_quantization', framework: 'MLX'}
  // Old mlx-examples conversions; nothing else writes these names, and the runtime gate reports them as legacy.
  if (topLevel.some((f) => /^weights\.\d+\.safetensors$/.test(f.path) || f.path === 'weights.npz')) {
    return {evidence: 'legacy_mlx_weights', framework: 'MLX'}
  }

  if (present.some((f) => f.path.toLowerCase().endsWith('.gguf'))) return {evidence: 'gguf_files', framework: 'GGUF'}

  const safetensors = topLevel.filter((f) => f.path.endsWith('.safetensors')).sort((a, b) => (a.path < b.path ? -1 : 1))
  // An unquantized mlx-lm conversion looks like any HF checkpoint except for the metadata mlx stamps into the
  // safetensors header, so that header (not the file names) is what may claim MLX here.
  const probe = safetensors.find((f) => f.path === 'model.safetensors') ?? safetensors[0]
  if (probe && formatOfHeader(reader.bytes(probe.path, 8 + SAFETENSORS_HEADER_PREFIX)) === 'mlx')
    return {evidence: 'safetensors_metadata', framework: 'MLX'}
  if (present.some((f) => f.path.endsWith('.safetensors') || /(^|\/)pytorch_model[^/]*\.bin$/.test(f.path))) {
    return {evidence: 'weight_files', framework: 'PyTorch'}
  }

  return {evidence: 'none', framework: 'Unknown'}
}

/** `__metadata__.format` of a safetensors file (`mlx`, `pt`, ...), or null when absent or unreadable. */
export function safetensorsFormat(absPath: string): null | string {
  return formatOfHeader(readHead(absPath, 8 + SAFETENSORS_HEADER_PREFIX))
}

function formatOfHeader(head: Buffer | null): null | string {
  if (!head || head.length < 10) return null
  const headerLength = Number(head.readBigUInt64LE(0))
  const header = head.subarray(8, 8 + Math.min(headerLength, SAFETENSORS_HEADER_PREFIX)).toString('utf8')
  // Metadata values are plain strings, so a regex over the (possibly truncated) header is safe and avoids
  // parsing a multi-megabyte tensor table.
  const match = /"__metadata__"\s*:\s*\{[^}]*?"format"\s*:\s*"([^"]*)"/.exec(header)
  return match?.[1] ?? null
}

function findChatTemplate(
  reader: SnapshotReader,
  tokenizerConfig: null | Record<string, unknown>,
): null | {source: ChatTemplateSource; text: string} {
  const inline = templateText(tokenizerConfig?.chat_template)
  if (inline) return {source: 'tokenizer_config.json', text: inline}
  const jinja = reader.text('chat_template.jinja')
  if (jinja?.trim()) return {source: 'chat_template.jinja', text: jinja}
  const json = reader.json('chat_template.json')
  const fromJson = json.kind === 'ok' && isRecord(json.value) ? templateText(json.value.chat_template) : null
  if (fromJson) return {source: 'chat_template.json', text: fromJson}
  return null
}

/** A template is a string, or a list of named templates (`[{name, template}]`) whose texts we join. */
function templateText(value: unknown): null | string {
  if (typeof value === 'string') return value.trim() ? value : null
  if (!Array.isArray(value)) return null
  const texts = value.flatMap((entry) =>
    isRecord(entry) && typeof entry.template === 'string' && entry.template.trim() ? [entry.template] : [],
  )
  return texts.length > 0 ? texts.join('\n') : null
}

function detectKind(
  name: string,
  frontMatter: FrontMatter | null,
  config: null | Record<string, unknown>,
  template: null | string,
  topLevel: readonly SnapshotFile[],
  present: readonly SnapshotFile[],
): ModelKind {
  // Embedders built on chat LLMs (Qwen3-Embedding) keep the base model's chat template, so the declared
  // embedding signals and the name have to outrank the template.
  if (declaresEmbedding(frontMatter, topLevel, present)) return 'embedding'
  const pipeline = frontMatter?.pipelineTag?.toLowerCase() ?? null
  if (pipeline !== 'text-generation' && /embed/i.test(baseName(name))) return 'embedding'
  if (config?.model_type === 'chat' || template !== null) return 'chat'
  if (/instruct|chat/i.test(baseName(name))) return 'chat'
  if (isEncoderOnly(config)) return 'embedding'
  return 'base'
}

function declaresEmbedding(
  frontMatter: FrontMatter | null,
  topLevel: readonly SnapshotFile[],
  present: readonly SnapshotFile[],
): boolean {
  const pipeline = frontMatter?.pipelineTag?.toLowerCase() ?? null
  if (pipeline && EMBEDDING_PIPELINES.has(pipeline)) return true
  if (frontMatter?.libraryName?.toLowerCase() === 'sentence-transformers') return true
  if (frontMatter?.tags.some((t) => t.toLowerCase() === 'sentence-transformers')) return true
  if (topLevel.some((f) => SENTENCE_TRANSFORMERS_FILES.includes(f.path))) return true
  return present.some((f) => /^\d+_Pooling\/config\.json$/.test(f.path))
}

/** A bare encoder (`BertModel`, `XLMRobertaModel`) has no head to generate text with: it exists to embed. */
function isEncoderOnly(config: null | Record<string, unknown>): boolean {
  const architectures = architecturesOf(config)
  if (architectures.some((a) => /Embedding/.test(a))) return true
  const bare = (a: string): boolean => /^[A-Za-z0-9]+Model$/.test(a) && !/For|LMHead/.test(a)
  return architectures.length > 0 && architectures.every((a) => bare(a))
}

function capabilitiesOf(
  kind: ModelKind,
  template: null | string,
  tokenizerConfig: null | Record<string, unknown>,
  config: null | Record<string, unknown>,
): string[] {
  if (kind === 'embedding') return ['embeddings']
  const capabilities = ['text-generation']
  if (kind === 'chat') capabilities.push('chat')
  if (template?.includes('<think>')) capabilities.push('reasoning')
  const modelType = typeof config?.model_type === 'string' ? config.model_type : null
  if (takesTools(toolParserOf({modelType, template, tokenizerConfig}), template)) capabilities.push('tools')
  return capabilities
}

function architecturesOf(config: null | Record<string, unknown>): string[] {
  const value = config?.architectures
  if (typeof value === 'string') return [value]
  return Array.isArray(value) ? value.filter((a): a is string => typeof a === 'string') : []
}

function contextLengthOf(config: null | Record<string, unknown>): null | number {
  if (!config) return null
  const textConfig = isRecord(config.text_config) ? config.text_config : {}
  const candidates = [...CONTEXT_KEYS.map((k) => config[k]), textConfig.max_position_embeddings]
  return candidates.find((v): v is number => positiveInt(v)) ?? null
}

function quantizationOf(config: null | Record<string, unknown>): null | Quantization {
  if (!config) return null
  const mlx = isRecord(config.quantization) ? config.quantization : null
  const textConfig = isRecord(config.text_config) ? config.text_config : null
  const hf = isRecord(config.quantization_config)
    ? config.quantization_config
    : textConfig && isRecord(textConfig.quantization_config)
      ? textConfig.quantization_config
      : null
  const source = mlx ?? hf
  if (!source) return null
  const text = (v: unknown): null | string => (typeof v === 'string' && v !== '' ? v : null)
  return {
    bits: positiveInt(source.bits) ? source.bits : positiveInt(hf?.bits) ? hf.bits : null,
    group_size: positiveInt(source.group_size) ? source.group_size : null,
    mode: text(mlx?.mode) ?? text(hf?.quant_method),
  }
}

function remoteCodeOf(
  config: null | Record<string, unknown>,
  tokenizerConfig: null | Record<string, unknown>,
): RemoteCodeSources {
  const modelFile = config?.model_file
  return {
    configAutoMap: hasEntries(config?.auto_map),
    modelFile: typeof modelFile === 'string' && modelFile !== '' ? modelFile : null,
    tokenizerAutoMap: hasEntries(tokenizerConfig?.auto_map),
  }
}

/** Tokenizer formats transformers loads without code from the model directory. */
export function hasTokenizerFiles(topLevelPaths: readonly string[]): boolean {
  const names = new Set(topLevelPaths)
  if (
    ['tokenizer.json', 'tokenizer.model', 'spiece.model', 'sentencepiece.bpe.model', 'vocab.txt'].some((n) =>
      names.has(n),
    )
  )
    return true
  if (names.has('vocab.json') && names.has('merges.txt')) return true
  return topLevelPaths.some((p) => p.endsWith('.tiktoken') || p === 'tiktoken.model')
}

function hasEntries(value: unknown): boolean {
  if (Array.isArray(value)) return value.length > 0
  return isRecord(value) && Object.keys(value).length > 0
}

function positiveInt(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value > 0
}

function baseName(name: string): string {
  return name.slice(name.lastIndexOf('/') + 1)
}
