import {mapLimit} from '../cache/order.js'
import {listModelDirs, scanModelDir} from '../cache/scan.js'
import {isMlxkError} from '../errors.js'
import {describeWorkspace, isWorkspaceSpec, type RunTarget} from '../workspace/describe.js'
import {describeModel, type ModelDescription} from './describe-model.js'
import {resolveSpec} from './resolve-spec.js'
import {supportedModelTypes} from './supported.js'

export interface HealthEntry {
  /** Stable code of the first integrity problem (`ok` when healthy). */
  code: string
  hash: null | string
  name: string
  /** Leftover partial downloads next to the snapshot, which do not make a complete snapshot unhealthy. */
  partial_download: null | {bytes: number; count: number}
  reason: string
  runtime_compatible: boolean
  runtime_reason: null | string
  status: 'healthy' | 'unhealthy'
}

export interface HealthData {
  healthy: HealthEntry[]
  runtime_types_source: 'runtime' | 'shipped'
  summary: {healthy_count: number; total: number; unhealthy_count: number}
  unhealthy: HealthEntry[]
}

/**
 * Integrity of every cached model, or of the one `pattern` resolves to (`name@rev` checks that revision), or
 * of a model folder (`./workspace`). A pattern that matches nothing is an empty, successful report, as
 * upstream; an ambiguous one is an error.
 */
export async function checkHealth(options: {pattern?: string; root: string}): Promise<HealthData> {
  const supported = supportedModelTypes()
  let entries: HealthEntry[]
  if (options.pattern && isWorkspaceSpec(options.pattern)) {
    entries = [workspaceEntry(await describeWorkspace({spec: options.pattern, supported}))]
  } else if (options.pattern) {
    try {
      const resolved = await resolveSpec(options.root, options.pattern)
      entries = [entryOf(await describeModel(resolved.model, {snapshot: resolved.snapshot, supported}))]
    } catch (error) {
      if (isMlxkError(error) && error.type === 'model_not_found') entries = []
      else throw error
    }
  } else {
    // Each model is scanned just before it is described, and only its entry kept, so a large cache is never
    // held in memory as scanned directories and parsed configs all at once. An entry reports no blob or disk
    // sizes, so the scan measures only what the verdict needs.
    const found = await mapLimit(listModelDirs(options.root), 16, async (d) => {
      const cached = scanModelDir(options.root, d, {sizesOnly: true})
      return cached ? entryOf(await describeModel(cached, {supported})) : null
    })
    entries = found.filter((e): e is HealthEntry => e !== null)
  }

  const healthy = entries.filter((e) => e.status === 'healthy')
  const unhealthy = entries.filter((e) => e.status === 'unhealthy')
  return {
    healthy,
    runtime_types_source: supported.source,
    summary: {healthy_count: healthy.length, total: entries.length, unhealthy_count: unhealthy.length},
    unhealthy,
  }
}

function entryOf(d: ModelDescription): HealthEntry {
  return {
    code: d.health.code,
    hash: d.object.hash,
    name: d.object.name,
    partial_download: d.object.partial_download,
    reason: d.health.reason,
    runtime_compatible: d.object.runtime_compatible,
    runtime_reason: d.health.healthy ? d.runtime.reason : null,
    status: d.health.healthy ? 'healthy' : 'unhealthy',
  }
}

function workspaceEntry(target: RunTarget): HealthEntry {
  return {
    code: target.health.code,
    hash: null,
    name: target.name,
    partial_download: null,
    reason: target.health.reason,
    runtime_compatible: target.health.healthy && target.runtime.compatible,
    runtime_reason: target.health.healthy ? target.runtime.reason : null,
    status: target.health.healthy ? 'healthy' : 'unhealthy',
  }
}
