import {existsSync} from 'node:fs'
import {sep} from 'node:path'

import {listSnapshotFilesSync, readTreesJson, selectSnapshot, snapshotSizeBytes} from '../cache/scan.js'
import type {CachedModel, Snapshot, SnapshotFile} from '../cache/types.js'
import {checkSnapshotHealth} from '../model/health.js'
import {inspectSnapshot} from '../model/inspect.js'
import {buildModelObject, type ModelObject} from '../model/model-object.js'
import {checkRuntimeCompatibility} from '../model/runtime-compat.js'
import {SnapshotReader} from '../model/snapshot-reader.js'
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

  // Synchronous from here on but for trees/<commit>.json: the reads are a handful of small files per model,
  // cheaper done in place than queued as promises (see scan.ts). Caches written before huggingface_hub 2.x have
  // no trees file, and then nothing here waits at all. (A plain concatenation: the file system needs no normalized
  // path, and path.join would normalize one for every model of a listing.)
  const trees = existsSync(`${model.dir}${sep}trees${sep}${snapshot.commit}.json`)
    ? await readTreesJson(model.dir, snapshot.commit)
    : null
  // Every caller scanned the model just before (list and health one model at a time), so the scan's view is fresh.
  const files = listSnapshotFilesSync(snapshot, {reuseScan: true})
  // One reader for inspection and health, so config.json, README.md and the rest are read once.
  const reader = new SnapshotReader(files)
  const inspection = inspectSnapshot({dir: snapshot.dir, files, name: model.name, reader})
  const health = checkSnapshotHealth({
    dir: snapshot.dir,
    // Every snapshot comes from a scan, which keeps only directories.
    dirSeen: true,
    files,
    incompleteBlobs: model.incompleteBlobs,
    modelType: inspection.modelType,
    name: model.name,
    reader,
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
