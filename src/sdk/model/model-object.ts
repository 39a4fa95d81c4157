import type {CachedModel, Snapshot, SnapshotFile} from '../cache/types.js'
import type {Framework, HealthVerdict, Inspection, ModelKind, Quantization, RuntimeVerdict} from './types.js'

/**
 * The model object of `list` and `show`: upstream mlx-knife's fields with their names, types and meanings,
 * followed by mlxk's additions.
 */
export interface ModelObject {
  name: string
  /** The selected snapshot's commit when it is a 40-hex sha, else null. */
  hash: null | string
  /** Bytes of the selected snapshot's files, each blob counted once. */
  size_bytes: number
  /** Snapshot directory mtime as true UTC, `YYYY-MM-DDTHH:MM:SSZ` (upstream formats local time with a Z). */
  last_modified: string
  framework: Framework
  model_type: ModelKind
  capabilities: string[]
  health: 'healthy' | 'unhealthy'
  /** Never true for an unhealthy snapshot. */
  runtime_compatible: boolean
  /** Integrity reason when unhealthy, else the runtime reason, else null. */
  reason: null | string
  cached: true
  /** config.json's quantization (`{bits, group_size, mode}`), null when not quantized; an object, as upstream's. */
  quantization: null | Quantization

  // Additions.
  /** `quantization` for people: "4bit", or the method ("fp8") when config.json states no bits; null when not quantized. */
  quantization_label: null | string
  /** What all revisions and blobs of the model occupy on disk. */
  disk_bytes: number
  /** Number of snapshots (revisions) in the cache. */
  revisions: number
  /** Ref names (`main`, tags, branches) pointing at the selected snapshot. */
  refs: string[]
  context_length: null | number
  architecture: null | string
  health_code: string
  runtime_code: string
  /** Leftover `.incomplete` blobs from an interrupted download, or null when there are none. */
  partial_download: null | {bytes: number; count: number}
}

export interface ModelObjectInput {
  /** The snapshot's files; kept in the signature so the object can grow file-derived fields. */
  files: readonly SnapshotFile[]
  health: HealthVerdict
  inspection: Inspection | null
  model: CachedModel
  runtime: RuntimeVerdict
  sizeBytes: number
  snapshot: null | Snapshot
}

const EPOCH = '1970-01-01T00:00:00Z'

export function buildModelObject(input: ModelObjectInput): ModelObject {
  const {health, inspection, model, runtime, snapshot} = input
  const healthy = health.healthy
  const runtimeCompatible = healthy && runtime.compatible
  const blobs = model.incompleteBlobs
  return {
    name: model.name,
    hash: snapshot && /^[0-9a-f]{40}$/.test(snapshot.commit) ? snapshot.commit : null,
    size_bytes: input.sizeBytes,
    last_modified: snapshot ? utcTimestamp(snapshot.mtimeMs) : EPOCH,
    framework: inspection?.framework ?? 'Unknown',
    model_type: inspection?.modelType ?? 'base',
    capabilities: inspection ? [...inspection.capabilities] : ['text-generation'],
    health: healthy ? 'healthy' : 'unhealthy',
    runtime_compatible: runtimeCompatible,
    reason: healthy ? (runtimeCompatible ? null : runtime.reason) : health.reason,
    cached: true,
    quantization: inspection?.quantization ? {...inspection.quantization} : null,
    quantization_label: quantizationLabel(inspection?.quantization ?? null),
    disk_bytes: model.diskBytes,
    revisions: model.snapshots.length,
    refs: snapshot ? [...snapshot.refs].sort() : [],
    context_length: inspection?.contextLength ?? null,
    architecture: inspection?.architecture ?? null,
    health_code: health.code,
    runtime_code: runtime.code,
    partial_download: blobs.length > 0 ? {bytes: blobs.reduce((sum, b) => sum + b.size, 0), count: blobs.length} : null,
  }
}

export function quantizationLabel(quantization: null | Quantization): null | string {
  if (!quantization) return null
  return quantization.bits === null ? quantization.mode : `${quantization.bits}bit`
}

/** `YYYY-MM-DDTHH:MM:SSZ` in UTC; an unusable time falls back to the epoch, as upstream does on error. */
export function utcTimestamp(ms: number): string {
  if (!Number.isFinite(ms)) return EPOCH
  const date = new Date(ms)
  return Number.isNaN(date.getTime()) ? EPOCH : date.toISOString().replace(/\.\d{3}Z$/, 'Z')
}
