import type {SnapshotFile} from '../cache/types.js'
import {
  chooseIndex,
  configProblem,
  indexedShards,
  isGgufOnly,
  isLfsPointer,
  isPartialMarker,
  isWeightFile,
  shardGap,
  shardGroups,
} from '../model/health.js'
import {SnapshotReader} from '../model/snapshot-reader.js'
import {supportedModelTypes} from '../model/supported-types.js'
import {describeWorkspace} from './describe.js'
import {listWorkspace} from './files.js'
import {loadIgnore} from './ignore.js'

export interface WorkspaceAnomaly {
  code: string
  message: string
  missing?: string[]
  path?: string
  severity: 'error' | 'warn'
}

/** mlx-knife's `workspace_health` (push --check-only), judged by the same rules as `mlxk health`. */
export interface WorkspaceHealth {
  anomalies: WorkspaceAnomaly[]
  /** Relative to the workspace (upstream leaked an absolute path here). */
  config: {exists: boolean; path: string; valid_json: boolean}
  files_count: number
  /** The verdict `mlxk health` / `mlxk run` would give this folder: code and reason of the first problem. */
  health: {code: string; healthy: boolean; reason: string}
  healthy: boolean
  runtime: {code: string; compatible: boolean; reason: null | string}
  total_bytes: number
  weights: {
    count: number
    formats: string[]
    index: {has_index: boolean; missing: string[]; parse_error?: string}
    pattern_complete: boolean | null
  }
}

/**
 * Offline check of a folder about to be pushed: the files that would be uploaded (ignore rules applied), the
 * upstream anomaly list (config, weights, index, LFS pointers, partial markers) and `healthy` from the same
 * integrity check `mlxk health` runs. Each anomaly is found by one of that check's rules (model/health.ts: what
 * a weight file, a shard set, an index, an LFS pointer and a partial marker are), so the two never disagree on them.
 */
export async function workspaceHealth(dir: string, env: NodeJS.ProcessEnv = process.env): Promise<WorkspaceHealth> {
  const {included} = await listWorkspace(dir, await loadIgnore(dir))
  const files: SnapshotFile[] = included.map((f) => ({
    absPath: f.absPath,
    blob: null,
    dangling: false,
    path: f.path,
    size: f.size,
  }))
  const reader = new SnapshotReader(files)
  const anomalies: WorkspaceAnomaly[] = []
  const config = checkConfig(reader, isGgufOnly(files), anomalies)
  const weights = files.filter((f) => isWeightFile(f.path))
  if (weights.length === 0)
    anomalies.push({code: 'no_weights_found', message: 'No weight files found', severity: 'error'})
  for (const w of weights) {
    if (w.size === 0)
      anomalies.push({
        code: 'empty_weight_file',
        message: `Empty weight file: ${w.path}`,
        path: w.path,
        severity: 'error',
      })
    else if (isLfsPointer(reader, w)) {
      anomalies.push({
        code: 'lfs_pointer_detected',
        message: `Git LFS pointer instead of weights: ${w.path}`,
        path: w.path,
        severity: 'error',
      })
    }
  }

  const index = checkIndex(reader, chooseIndex(reader, files), anomalies)
  for (const f of files.filter((x) => isPartialMarker(x.path))) {
    anomalies.push({
      code: 'partial_marker',
      message: `Partial download marker: ${f.path}`,
      path: f.path,
      severity: 'warn',
    })
  }

  const target = await describeWorkspace({env, spec: dir, supported: supportedModelTypes(env)})
  const {code, healthy, reason} = target.health
  if (!healthy && !anomalies.some((a) => a.severity === 'error'))
    anomalies.push({code, message: reason, severity: 'error'})
  const groups = shardGroups(weights)
  return {
    anomalies,
    config,
    files_count: files.length,
    health: {code, healthy, reason},
    healthy,
    runtime: {code: target.runtime.code, compatible: target.runtime.compatible, reason: target.runtime.reason},
    total_bytes: files.reduce((sum, f) => sum + f.size, 0),
    weights: {
      count: weights.length,
      formats: [...new Set(weights.map((w) => w.path.slice(w.path.lastIndexOf('.'))))].sort(),
      index,
      pattern_complete: groups.size === 0 ? null : shardGap(groups) === null,
    },
  }
}

/** config.json as health judges it: a non-empty JSON object, required unless every weight is GGUF. */
function checkConfig(
  reader: SnapshotReader,
  ggufOnly: boolean,
  anomalies: WorkspaceAnomaly[],
): WorkspaceHealth['config'] {
  if (!reader.has('config.json')) {
    if (!ggufOnly) anomalies.push({code: 'config_missing', message: 'config.json is missing', severity: 'error'})
    return {exists: false, path: 'config.json', valid_json: false}
  }

  const problem = configProblem(reader)
  if (problem) {
    anomalies.push({
      code: 'config_invalid_json',
      message: problem.code === 'config_invalid' ? 'config.json is not valid JSON' : problem.reason,
      path: 'config.json',
      severity: 'error',
    })
  }

  return {exists: true, path: 'config.json', valid_json: problem === null}
}

/** The index health judges shards by; a shard is missing when absent, empty or an LFS pointer. */
function checkIndex(
  reader: SnapshotReader,
  indexPath: null | string,
  anomalies: WorkspaceAnomaly[],
): WorkspaceHealth['weights']['index'] {
  if (!indexPath) return {has_index: false, missing: []}
  const shards = indexedShards(reader, indexPath)
  if (shards === null) {
    anomalies.push({
      code: 'index_parse_error',
      message: `Cannot parse ${indexPath}`,
      path: indexPath,
      severity: 'error',
    })
    return {has_index: true, missing: [], parse_error: parseError(reader.text(indexPath))}
  }

  const missing = shards.filter((shard) => {
    const file = reader.file(shard)
    return !file || file.size === 0 || isLfsPointer(reader, file)
  })
  if (missing.length > 0) {
    anomalies.push({
      code: 'index_missing_shard',
      message: `Index references missing shards: ${missing.join(', ')}`,
      missing,
      path: indexPath,
      severity: 'error',
    })
  }

  return {has_index: true, missing}
}

/** Why an index is not a JSON object, in JSON.parse's words where it is not JSON at all. */
function parseError(text: null | string): string {
  try {
    JSON.parse(text ?? '')
    return 'not a JSON object'
  } catch (error) {
    return error instanceof Error ? error.message : String(error)
  }
}
