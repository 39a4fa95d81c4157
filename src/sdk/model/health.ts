import {statSync} from 'node:fs'

import type {IncompleteBlob, SnapshotFile} from '../cache/types.js'
import {hasTokenizerFiles} from './inspect.js'
import {isRecord, SnapshotReader} from './snapshot-reader.js'
import type {HealthVerdict, ModelKind} from './types.js'

export interface HealthInput {
  /** Snapshot directory (absolute). */
  dir: string
  /** The scan that listed `files` found `dir` a moment ago, so it is not looked up again. */
  dirSeen?: boolean
  files: readonly SnapshotFile[]
  /** Leftover `.incomplete` blobs of the model (they live in `blobs/`, outside the snapshot). */
  incompleteBlobs?: readonly IncompleteBlob[]
  /** From inspection; decides whether a tokenizer is required. Omitted: the tokenizer is not checked. */
  modelType?: ModelKind
  /** HF id, used in the resume hint. */
  name?: string
  /** Reader over `files`, shared with inspection so each file is read once; a fresh one when omitted. */
  reader?: SnapshotReader
  /** Expected files and sizes of the commit (`trees/<commit>.json`), when known. */
  trees?: null | ReadonlyArray<{path: string; size: number}>
}

export interface PartialDownload {
  bytes: number
  count: number
}

export interface SnapshotHealth extends HealthVerdict {
  /** For `incomplete_download`: the problem the interruption left behind (e.g. `shards_missing`). */
  cause: null | {code: string; reason: string}
  /** Leftover partial downloads; reported even when the snapshot itself is complete (and then healthy). */
  partials: null | PartialDownload
}

/** A rule's finding: a stable code and the reason users read. */
export type HealthProblem = {code: string; reason: string}

/** Problems an interrupted download leaves behind; with partials present they are reported as the interruption. */
const MISSING_CODES = new Set([
  'config_missing',
  'dangling_symlinks',
  'files_missing',
  'index_missing',
  'shards_gap',
  'shards_missing',
  'tokenizer_missing',
  'weights_missing',
])

const LFS_HEADER = 'version https://git-lfs.github.com/spec/v1'
const LFS_POINTER_MAX_BYTES = 200
const SHARD = /^(.*)-(\d{5})-of-(\d{5})\.(safetensors|bin|gguf)$/
const WEIGHT = /\.(safetensors|bin|gguf)$/i
/** `.bin` files that ship next to checkpoints but hold no weights. */
const NOT_WEIGHTS = new Set(['training_args.bin', 'optimizer.bin', 'scheduler.bin', 'rng_state.bin'])
/** Files whose emptiness breaks loading even though they are not weights. */
const REQUIRED_TEXT_FILES = [
  'tokenizer.json',
  'tokenizer_config.json',
  'tokenizer.model',
  'special_tokens_map.json',
  'vocab.json',
  'merges.txt',
  'generation_config.json',
  'chat_template.jinja',
  'chat_template.json',
]

/**
 * Integrity of one snapshot: the first problem wins, each with a stable code. Judges files only, never
 * whether a runtime can load them (that is runtime-compat's job). Synchronous, as the reader is.
 */
export function checkSnapshotHealth(input: HealthInput): SnapshotHealth {
  const partials = partialsOf(input.incompleteBlobs ?? [])
  const outcome = firstProblem(input)
  if ('healthy' in outcome) return {cause: null, code: 'ok', healthy: true, partials, reason: outcome.healthy}
  if (partials && MISSING_CODES.has(outcome.code)) {
    const files = `${partials.count} partial file${partials.count === 1 ? '' : 's'}`
    const resume = input.name ? `mlxk pull ${input.name}` : 'mlxk pull'
    return {
      cause: outcome,
      code: 'incomplete_download',
      healthy: false,
      partials,
      reason: `Download interrupted: ${files} (resume with \`${resume}\`)`,
    }
  }

  return {...outcome, cause: null, healthy: false, partials}
}

function partialsOf(blobs: readonly IncompleteBlob[]): null | PartialDownload {
  if (blobs.length === 0) return null
  return {bytes: blobs.reduce((sum, b) => sum + b.size, 0), count: blobs.length}
}

function firstProblem(input: HealthInput): HealthProblem | {healthy: string} {
  if (!input.dirSeen && !isDirectory(input.dir)) return {code: 'path_missing', reason: 'Model path does not exist'}

  const dangling = input.files.filter((f) => f.dangling).map((f) => f.path)
  if (dangling.length > 0)
    return {code: 'dangling_symlinks', reason: `Files missing (links to absent blobs): ${names(dangling)}`}

  const reader = input.reader ?? new SnapshotReader(input.files)
  const present = input.files.filter((f) => !f.dangling)
  const treeProblem = input.trees ? compareWithTree(reader, input.trees) : null
  if (treeProblem) return treeProblem

  const ggufOnly = isGgufOnly(present)
  const config = ggufOnly && !reader.has('config.json') ? null : configProblem(reader)
  if (config) return config

  const index = chooseIndex(reader, present)
  const weightsProblem = index ? checkIndexed(reader, index) : checkUnindexed(reader, present)
  if (weightsProblem) return weightsProblem

  const markers = present.filter((f) => isPartialMarker(f.path)).map((f) => f.path)
  if (markers.length > 0) return {code: 'partial_marker', reason: `Partial download marker detected: ${names(markers)}`}

  const lfs = present.filter((f) => isLfsPointer(reader, f)).map((f) => f.path)
  if (lfs.length > 0) return {code: 'lfs_pointer', reason: `LFS pointers instead of files: ${names(lfs)}`}

  const emptyText = REQUIRED_TEXT_FILES.filter((p) => reader.file(p)?.size === 0)
  if (emptyText.length > 0) return {code: 'empty_files', reason: `Empty files: ${names(emptyText)}`}

  // Embedders ship tokenizers in more shapes (subfolders, WordPiece variants); only generative models are held to this.
  const needsTokenizer = input.modelType !== undefined && input.modelType !== 'embedding' && !ggufOnly
  if (needsTokenizer && !hasTokenizerFiles(present.filter((f) => !f.path.includes('/')).map((f) => f.path))) {
    return {
      code: 'tokenizer_missing',
      reason: 'No tokenizer files found (tokenizer.json, tokenizer.model, vocab.json + merges.txt, ...)',
    }
  }

  return {healthy: index ? 'Multi-file model complete' : 'Model is healthy'}
}

function compareWithTree(
  reader: SnapshotReader,
  trees: ReadonlyArray<{path: string; size: number}>,
): null | HealthProblem {
  const missing = trees.filter((t) => !reader.has(t.path)).map((t) => t.path)
  if (missing.length > 0) return {code: 'files_missing', reason: `Missing files: ${names(missing)}`}
  for (const expected of trees) {
    const actual = reader.file(expected.path)?.size
    if (actual !== undefined && actual !== expected.size) {
      return {
        code: 'size_mismatch',
        reason: `Size mismatch: ${expected.path} is ${actual} bytes, expected ${expected.size}`,
      }
    }
  }

  return null
}

/** config.json must exist and hold a non-empty JSON object. */
export function configProblem(reader: SnapshotReader): null | HealthProblem {
  const file = reader.file('config.json')
  if (!file) return {code: 'config_missing', reason: 'config.json missing'}
  if (file.size === 0) return {code: 'config_empty', reason: 'config.json is empty or invalid'}
  const read = reader.json('config.json')
  if (read.kind !== 'ok') return {code: 'config_invalid', reason: 'config.json contains invalid JSON'}
  if (!isRecord(read.value) || Object.keys(read.value).length === 0)
    return {code: 'config_empty', reason: 'config.json is empty or invalid'}
  return null
}

/**
 * The index to judge shards by. As upstream, an index counts only when weights of its kind exist, so a
 * safetensors-only download of a repo that also ships `pytorch_model.bin.index.json` is not failed for the
 * .bin shards it deliberately skipped. With no weights at all, a present index still names what is missing.
 */
export function chooseIndex(reader: SnapshotReader, present: readonly {path: string}[]): null | string {
  const st = reader.has('model.safetensors.index.json')
  const pt = reader.has('pytorch_model.bin.index.json')
  const anySafetensors = present.some((f) => f.path.endsWith('.safetensors'))
  const anyBin = present.some((f) => f.path.endsWith('.bin'))
  if (st && anySafetensors) return 'model.safetensors.index.json'
  if (pt && anyBin) return 'pytorch_model.bin.index.json'
  if (!anySafetensors && !anyBin && !present.some((f) => f.path.endsWith('.gguf'))) {
    if (st) return 'model.safetensors.index.json'
    if (pt) return 'pytorch_model.bin.index.json'
  }

  return null
}

/** The shard files an index names, sorted and each once; null when the index is not a JSON object. */
export function indexedShards(reader: SnapshotReader, indexPath: string): null | string[] {
  const read = reader.json(indexPath)
  if (read.kind !== 'ok' || !isRecord(read.value)) return null
  const weightMap = read.value.weight_map
  return isRecord(weightMap)
    ? [...new Set(Object.values(weightMap).filter((v): v is string => typeof v === 'string'))].sort()
    : []
}

function checkIndexed(reader: SnapshotReader, indexPath: string): null | HealthProblem {
  const shards = indexedShards(reader, indexPath)
  if (shards === null) return {code: 'index_invalid', reason: 'Invalid index file'}
  if (shards.length === 0) return {code: 'index_empty', reason: 'Empty or invalid weight_map in index'}

  const missing = shards.filter((s) => !reader.has(s))
  if (missing.length > 0) return {code: 'shards_missing', reason: `Missing weight shards: ${names(missing)}`}
  const empty = shards.filter((s) => reader.file(s)?.size === 0)
  if (empty.length > 0) return {code: 'shards_empty', reason: `Empty weight shards: ${names(empty)}`}
  return null
}

function checkUnindexed(reader: SnapshotReader, present: readonly SnapshotFile[]): null | HealthProblem {
  const topLevel = present.filter((f) => !f.path.includes('/') && isWeightFile(f.path))
  const weights = topLevel.length > 0 ? topLevel : present.filter((f) => isWeightFile(f.path))

  const groups = shardGroups(weights)
  const gap = shardGap(groups)
  if (gap) return gap

  const emptyShards = weights.filter((f) => SHARD.test(basename(f.path)) && f.size === 0).map((f) => f.path)
  if (emptyShards.length > 0) return {code: 'shards_empty', reason: `Empty shards: ${names(emptyShards)}`}
  if (weights.length === 0) return {code: 'weights_missing', reason: 'No model weights found'}

  const empty = weights.filter((f) => f.size === 0).map((f) => f.path)
  if (empty.length > 0) return {code: 'empty_files', reason: `Empty weight files: ${names(empty)}`}

  // mlx-lm itself loads shards by glob, but without the index nothing proves the set is the whole model
  // (a lost index and a lost last shard look alike), so a complete-looking set is still refused, as upstream.
  const modelShards = [...groups.values()].some((g) => g.prefix === 'model' && g.ext === 'safetensors')
  if (modelShards && !reader.has('model.safetensors.index.json')) {
    return {code: 'index_missing', reason: 'Safetensors index missing for sharded model'}
  }

  return null
}

/** Files named `<prefix>-NNNNN-of-NNNNN.<ext>` that share prefix and extension. */
export interface ShardGroup {
  ext: string
  indices: Set<number>
  prefix: string
  totals: number[]
}

export function shardGroups(weights: readonly {path: string}[]): Map<string, ShardGroup> {
  const groups = new Map<string, ShardGroup>()
  for (const file of weights) {
    const match = SHARD.exec(file.path)
    if (!match) continue
    const [, prefix = '', index = '0', total = '0', ext = ''] = match
    const key = `${prefix}\0${ext}`
    const group = groups.get(key) ?? {ext, indices: new Set<number>(), prefix, totals: []}
    group.indices.add(Number(index))
    if (!group.totals.includes(Number(total))) group.totals.push(Number(total))
    groups.set(key, group)
  }

  return groups
}

/** The first shard set that disagrees on its total or lacks a number, as a problem; null when all are whole. */
export function shardGap(groups: ReadonlyMap<string, ShardGroup>): null | HealthProblem {
  for (const group of groups.values()) {
    if (new Set(group.totals).size > 1)
      return {code: 'shards_inconsistent', reason: 'Inconsistent shard totals detected'}
    const total = group.totals[0] ?? 0
    const missing = Array.from({length: total}, (_, i) => i + 1).filter((n) => !group.indices.has(n))
    if (missing.length > 0) {
      const expected = missing.map((n) => `${group.prefix}-${pad(n)}-of-${pad(total)}.${group.ext}`)
      return {
        code: 'shards_gap',
        reason: `Missing shards by pattern: ${total - missing.length}/${total} present (missing ${names(expected)})`,
      }
    }
  }

  return null
}

/** A weight file: `.safetensors`, `.bin` or `.gguf`, less the `.bin` files of training state that hold none. */
export function isWeightFile(path: string): boolean {
  return WEIGHT.test(path) && !NOT_WEIGHTS.has(basename(path))
}

/** GGUF files carry their own config and tokenizer; requiring config.json would fail every GGUF repo. */
export function isGgufOnly(files: readonly {path: string}[]): boolean {
  const weights = files.filter((f) => isWeightFile(f.path))
  return weights.some((f) => /\.gguf$/i.test(f.path)) && !weights.some((f) => /\.(safetensors|bin)$/i.test(f.path))
}

/** A file an interrupted download left under a temporary name (`.partial`, `.tmp`, `.incomplete`). */
export function isPartialMarker(path: string): boolean {
  return /\.(partial|tmp|incomplete)$/i.test(path)
}

/** Small files only: a pointer is ~130 bytes. Inspection has usually read config.json and friends already. */
export function isLfsPointer(reader: SnapshotReader, file: {path: string; size: number}): boolean {
  if (file.size === 0 || file.size >= LFS_POINTER_MAX_BYTES) return false
  return reader.bytes(file.path, 100)?.toString('utf8').includes(LFS_HEADER) ?? false
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory()
  } catch {
    return false
  }
}

/** Long lists (hundreds of shards) would drown the reason; name a few and count the rest. */
function names(paths: readonly string[], max = 5): string {
  const shown = paths.slice(0, max).join(', ')
  return paths.length > max ? `${shown} and ${paths.length - max} more` : shown
}

function basename(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1)
}

function pad(n: number): string {
  return String(n).padStart(5, '0')
}
