import {existsSync} from 'node:fs'

import {executeDelete, planDelete} from '../cache/delete.js'
import {listLockFiles, probeLocks, removeStaleLocks} from '../cache/locks.js'
import {MlxkError} from '../errors.js'
import {resolveSpec, type ResolvedModel} from './resolve-spec.js'

export interface RemovalPlan {
  commit_hash: null | string
  freed_bytes: number
  kept_blobs: number
  removed_blobs: number
  removed_refs: string[]
  targets: string[]
  whole_model: boolean
}

export interface RmData {
  action: 'deleted' | 'dry_run' | 'requires_confirmation'
  /** Set when the spec named the model only fuzzily. */
  expanded_name: null | string
  lock_files_cleaned: number
  matches: string[]
  message: string
  model: string
  plan: RemovalPlan
  requires_confirmation: boolean
}

export interface PreparedRemoval {
  data: RmData
  resolved: ResolvedModel
}

/**
 * Everything `rm` decides before deleting: which model and revision, what goes, and whether a download holds
 * the model's lock. Nothing is changed here, so `--dry-run` and the confirmation prompt show exactly this.
 */
export async function prepareRemoval(options: {force: boolean; root: string; spec: string}): Promise<PreparedRemoval> {
  if (!existsSync(options.root)) {
    throw new MlxkError('cache_not_found', 'Model cache directory does not exist', {
      hint: 'Set HF_HOME or HF_HUB_CACHE to your cache',
    })
  }

  const resolved = await resolveSpec(options.root, options.spec)
  const {model} = resolved
  const locks = await probeLocks(await listLockFiles(options.root, model.dirName))
  const held = locks.filter((l) => l.held).map((l) => l.path)
  if (held.length > 0 && !options.force) {
    throw new MlxkError('locks_present', `A download holds the lock of ${model.name}. Use --force to override.`, {
      data: {lock_files: held, locks_detected: true, model: model.name},
      hint: 'Wait for the download to finish, or stop it, then run rm again.',
    })
  }

  const plan = await planDelete(
    options.root,
    model,
    resolved.revision === null ? null : (resolved.snapshot?.commit ?? resolved.revision),
  )
  const target =
    resolved.revision === null ? model.name : `${model.name}@${resolved.snapshot?.commit ?? resolved.revision}`
  const data: RmData = {
    action: 'requires_confirmation',
    expanded_name: resolved.exact ? null : model.name,
    lock_files_cleaned: 0,
    matches: [],
    message: resolved.exact ? `Would delete ${target}` : `Would delete '${target}' (matched from '${options.spec}')`,
    model: model.name,
    plan: {
      commit_hash: resolved.revision === null ? null : (resolved.snapshot?.commit ?? null),
      freed_bytes: plan.freed_bytes,
      kept_blobs: plan.kept_blobs,
      removed_blobs: plan.removed_blobs,
      removed_refs: plan.removed_refs,
      targets: plan.targets,
      whole_model: plan.whole_model,
    },
    requires_confirmation: true,
  }
  return {data, resolved}
}

export async function executeRemoval(root: string, prepared: PreparedRemoval): Promise<RmData> {
  const {model, revision, snapshot} = prepared.resolved
  const plan = await planDelete(root, model, revision === null ? null : (snapshot?.commit ?? revision))
  const result = await executeDelete(root, plan)
  const stale = plan.whole_model ? [] : await removeStaleLocks(await listLockFiles(root, model.dirName))
  const target = revision === null || plan.whole_model ? model.name : `${model.name}@${snapshot?.commit ?? revision}`
  return {
    ...prepared.data,
    action: 'deleted',
    lock_files_cleaned: stale.length + result.lock_files_cleaned,
    message:
      revision === null
        ? `Deleted entire model ${target}`
        : plan.whole_model
          ? `Deleted ${target} (its last revision)`
          : `Deleted ${target}`,
    requires_confirmation: false,
  }
}
