import {open, readFile} from 'node:fs/promises'

import {describeWorkspace} from '../services/run-preflight.js'
import {supportedModelTypes} from '../services/supported.js'
import {listWorkspace, type LocalFile} from './files.js'
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

const WEIGHT = /(\.gguf|\.safetensors|(^|\/)pytorch_model\.bin)$/
const SHARD = /model-(\d{5})-of-(\d{5})\.safetensors$/
const LFS_HEADER = 'version https://git-lfs.github.com/spec/v1'

/**
 * Offline check of a folder about to be pushed: the files that would be uploaded (ignore rules applied), the
 * upstream anomaly list (config, weights, index, LFS pointers, partial markers), and `healthy` from the same
 * integrity check `mlxk health` runs, so the two commands never disagree.
 */
export async function workspaceHealth(dir: string, env: NodeJS.ProcessEnv = process.env): Promise<WorkspaceHealth> {
  const {included: files} = await listWorkspace(dir, await loadIgnore(dir))
  const anomalies: WorkspaceAnomaly[] = []
  const byPath = new Map(files.map((f) => [f.path, f]))
  const config = await checkConfig(byPath.get('config.json'), anomalies)
  const weights = files.filter((f) => WEIGHT.test(f.path))
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
    else if (await isLfsPointer(w)) {
      anomalies.push({
        code: 'lfs_pointer_detected',
        message: `Git LFS pointer instead of weights: ${w.path}`,
        path: w.path,
        severity: 'error',
      })
    }
  }

  const index = await checkIndex(files, byPath, anomalies)
  for (const f of files.filter((x) => /(\.partial|partial|\.tmp)$/i.test(x.path))) {
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
      pattern_complete: patternComplete(weights),
    },
  }
}

async function checkConfig(
  file: LocalFile | undefined,
  anomalies: WorkspaceAnomaly[],
): Promise<WorkspaceHealth['config']> {
  if (!file) {
    anomalies.push({code: 'config_missing', message: 'config.json is missing', severity: 'error'})
    return {exists: false, path: 'config.json', valid_json: false}
  }

  try {
    JSON.parse(await readFile(file.absPath, 'utf8'))
    return {exists: true, path: 'config.json', valid_json: true}
  } catch {
    anomalies.push({
      code: 'config_invalid_json',
      message: 'config.json is not valid JSON',
      path: 'config.json',
      severity: 'error',
    })
    return {exists: true, path: 'config.json', valid_json: false}
  }
}

async function checkIndex(
  files: LocalFile[],
  byPath: Map<string, LocalFile>,
  anomalies: WorkspaceAnomaly[],
): Promise<WorkspaceHealth['weights']['index']> {
  const indexFile = files.find((f) => f.path.endsWith('.safetensors.index.json'))
  if (!indexFile) return {has_index: false, missing: []}
  let shards: string[]
  try {
    const parsed = JSON.parse(await readFile(indexFile.absPath, 'utf8')) as {weight_map?: Record<string, string>}
    shards = [...new Set(Object.values(parsed.weight_map ?? {}))]
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    anomalies.push({
      code: 'index_parse_error',
      message: `Cannot parse ${indexFile.path}`,
      path: indexFile.path,
      severity: 'error',
    })
    return {has_index: true, missing: [], parse_error: message}
  }

  const base = indexFile.path.includes('/') ? indexFile.path.slice(0, indexFile.path.lastIndexOf('/') + 1) : ''
  const missing: string[] = []
  for (const shard of shards.sort()) {
    const file = byPath.get(base + shard)
    if (!file || file.size === 0 || (await isLfsPointer(file))) missing.push(shard)
  }

  if (missing.length > 0) {
    anomalies.push({
      code: 'index_missing_shard',
      message: `Index references missing shards: ${missing.join(', ')}`,
      missing,
      path: indexFile.path,
      severity: 'error',
    })
  }

  return {has_index: true, missing}
}

/** Upstream's rule: the distinct shard numbers must cover the total the highest-sorting name announces. */
function patternComplete(weights: LocalFile[]): boolean | null {
  const shards = weights.map((w) => SHARD.exec(w.path)).filter((m): m is RegExpExecArray => m !== null)
  if (shards.length === 0) return null
  const names = shards.map((m) => m[0]).sort()
  const total = Number(SHARD.exec(names.at(-1) as string)?.[2])
  return new Set(shards.map((m) => m[1])).size === total
}

async function isLfsPointer(file: LocalFile): Promise<boolean> {
  if (file.size > 200) return false
  const handle = await open(file.absPath, 'r')
  try {
    const buffer = Buffer.alloc(file.size)
    await handle.read(buffer, 0, file.size, 0)
    return buffer.toString('utf8').startsWith(LFS_HEADER)
  } finally {
    await handle.close()
  }
}
