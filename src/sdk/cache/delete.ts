import {lstat, readdir} from 'node:fs/promises'
import {join, posix} from 'node:path'

import {MlxkError} from '../errors.js'
import {compareCodePoints} from './order.js'
import {availableRevisions} from './resolve.js'
import {removeInsideModel, resolveDeletable} from './safe-remove.js'
import {listSnapshotFiles, selectSnapshot} from './scan.js'
import {assertDeletionAllowed} from './sentinel.js'
import type {CachedModel} from './types.js'

/** What `rm` is about to do. Paths are relative to the cache root, POSIX-style. */
export interface DeletePlan {
  /** The commit whose snapshot is removed, or null when the whole model goes. */
  commit: null | string
  dir_name: string
  /** Bytes given back: blobs no remaining snapshot uses and plain snapshot files; for a whole model, its diskBytes. */
  freed_bytes: number
  /** Blobs of the removed snapshot that another snapshot still uses. */
  kept_blobs: number
  model: string
  removed_blobs: number
  /** Ref names removed, e.g. `main`, `v1.0`, `pr/1`. */
  removed_refs: string[]
  revision: null | string
  targets: string[]
  /** True when the model directory goes entirely, also for a revision that was the last snapshot. */
  whole_model: boolean
}

export interface DeleteResult extends DeletePlan {
  /** Targets that existed and were removed. */
  deleted: string[]
  /** Entries of `.locks/<dir_name>/` removed with the model (upstream's `lock_files_cleaned`). */
  lock_files_cleaned: number
}

async function exists(path: string): Promise<boolean> {
  return lstat(path).then(
    () => true,
    () => false,
  )
}

async function countEntries(path: string): Promise<number> {
  return readdir(path).then(
    (names) => names.length,
    () => 0,
  )
}

/**
 * Works out what deleting `model` (or only its `revision`) removes, reading snapshot links but deleting nothing.
 * A revision that is the model's last snapshot takes the whole model, as `hf cache rm` does.
 */
export async function planDelete(root: string, model: CachedModel, revision: null | string): Promise<DeletePlan> {
  const base = {dir_name: model.dirName, model: model.name, revision}
  if (revision === null) return planWholeModel(root, model, base)
  const snapshot = selectSnapshot(model, revision)
  if (!snapshot) {
    throw new MlxkError('revision_not_found', `Revision '${revision}' of ${model.name} is not in the cache`, {
      details: {available: availableRevisions(model)},
    })
  }

  const remaining = model.snapshots.filter((other) => other.commit !== snapshot.commit)
  if (remaining.length === 0) return planWholeModel(root, model, base)

  const files = await listSnapshotFiles(snapshot)
  const stillUsed = new Set<string>()
  for (const other of remaining) {
    for (const file of await listSnapshotFiles(other)) if (file.blob !== null) stillUsed.add(file.blob)
  }

  const dir = model.dirName
  const removedBlobs = new Map<string, number>()
  const keptBlobs = new Set<string>()
  let freed = 0
  for (const file of files) {
    if (file.blob === null) freed += file.size
    else if (stillUsed.has(file.blob)) keptBlobs.add(file.blob)
    else if (!file.dangling) removedBlobs.set(file.blob, file.size)
  }

  for (const size of removedBlobs.values()) freed += size
  const removedRefs = snapshot.refs.filter((ref) => model.refs[ref] === snapshot.commit)
  const targets = [
    posix.join(dir, 'snapshots', snapshot.commit),
    ...removedRefs.map((ref) => posix.join(dir, 'refs', ref)),
    ...[...removedBlobs.keys()].sort(compareCodePoints).map((blob) => posix.join(dir, 'blobs', blob)),
  ]
  const trees = posix.join(dir, 'trees', `${snapshot.commit}.json`)
  if (await exists(join(root, trees))) targets.push(trees)
  return {
    ...base,
    commit: snapshot.commit,
    freed_bytes: freed,
    kept_blobs: keptBlobs.size,
    removed_blobs: removedBlobs.size,
    removed_refs: removedRefs,
    targets,
    whole_model: false,
  }
}

async function planWholeModel(
  root: string,
  model: CachedModel,
  base: Pick<DeletePlan, 'dir_name' | 'model' | 'revision'>,
): Promise<DeletePlan> {
  const targets = [model.dirName]
  const locks = posix.join('.locks', model.dirName)
  if (await exists(join(root, locks))) targets.push(locks)
  const blobs = await countBlobs(join(model.dir, 'blobs'))
  return {
    ...base,
    commit: null,
    freed_bytes: model.diskBytes,
    kept_blobs: 0,
    removed_blobs: blobs,
    removed_refs: Object.keys(model.refs).sort(compareCodePoints),
    targets,
    whole_model: true,
  }
}

async function countBlobs(blobsDir: string): Promise<number> {
  const names = await readdir(blobsDir).catch(() => [] as string[])
  return names.filter((name) => !name.endsWith('.incomplete')).length
}

/**
 * Carries out a plan. Every target is checked before the first one is removed, so an unsafe path (or a cache
 * that strict test mode does not allow) leaves everything in place.
 */
export async function executeDelete(root: string, plan: DeletePlan): Promise<DeleteResult> {
  await assertDeletionAllowed(root)
  for (const target of plan.targets) await resolveDeletable(root, plan.dir_name, target)
  const locksDir = posix.join('.locks', plan.dir_name)
  const lockFiles = plan.targets.includes(locksDir) ? await countEntries(join(root, locksDir)) : 0
  const deleted: string[] = []
  for (const target of plan.targets) {
    if (await removeInsideModel(root, plan.dir_name, target)) deleted.push(target)
  }

  return {...plan, deleted, lock_files_cleaned: lockFiles}
}
