import {listSnapshotFiles, readTreesJson, selectSnapshot, snapshotSizeBytes} from '../cache/scan.js'
import type {CachedModel, Snapshot, SnapshotFile} from '../cache/types.js'
import {checkSnapshotHealth} from '../model/health.js'
import {inspectSnapshot} from '../model/inspect.js'
import {buildModelObject, type ModelObject} from '../model/model-object.js'
import {checkRuntimeCompatibility} from '../model/runtime-compat.js'
import type {HealthVerdict, Inspection, RuntimeVerdict, SupportedModelTypes} from '../model/types.js'

export interface ModelDescription {
  files: SnapshotFile[]
  health: HealthVerdict
  inspection: Inspection | null
  object: ModelObject
  runtime: RuntimeVerdict
  snapshot: null | Snapshot
}

const NO_SNAPSHOT: HealthVerdict = {code: 'snapshot_missing', healthy: false, reason: 'No snapshots found'}

/**
 * The one pipeline from a cached model to its model object: select the snapshot (refs/main first), read its
 * files, inspect, check integrity, then runtime compatibility. list, show, health and the plugins all use it,
 * so a model is judged the same way everywhere.
 */
export async function describeModel(
  model: CachedModel,
  options: {revision?: null | string; snapshot?: null | Snapshot; supported: SupportedModelTypes},
): Promise<ModelDescription> {
  const snapshot = options.snapshot === undefined ? selectSnapshot(model, options.revision ?? null) : options.snapshot
  if (!snapshot) {
    const runtime: RuntimeVerdict = {code: NO_SNAPSHOT.code, compatible: false, reason: NO_SNAPSHOT.reason}
    const object = buildModelObject({
      files: [],
      health: NO_SNAPSHOT,
      inspection: null,
      model,
      runtime,
      sizeBytes: 0,
      snapshot: null,
    })
    return {files: [], health: NO_SNAPSHOT, inspection: null, object, runtime, snapshot: null}
  }

  const files = await listSnapshotFiles(snapshot)
  const inspection = await inspectSnapshot({dir: snapshot.dir, files, name: model.name})
  const trees = await readTreesJson(model.dir, snapshot.commit)
  const health = await checkSnapshotHealth({
    dir: snapshot.dir,
    files,
    incompleteBlobs: model.incompleteBlobs,
    modelType: inspection.modelType,
    name: model.name,
    trees,
  })
  const runtime = checkRuntimeCompatibility({files, health, inspection, supported: options.supported})
  const object = buildModelObject({
    files,
    health,
    inspection,
    model,
    runtime,
    sizeBytes: snapshotSizeBytes(files),
    snapshot,
  })
  return {files, health, inspection, object, runtime, snapshot}
}
