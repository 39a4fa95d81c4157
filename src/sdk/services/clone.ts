import {mkdir, readdir, rename, rm, rmdir, stat} from 'node:fs/promises'
import {homedir} from 'node:os'
import {basename, dirname, join, resolve} from 'node:path'

import {parseModelSpec, repoIdToDirName, validateRepoId} from '../cache/naming.js'
import {scanModel} from '../cache/scan.js'
import type {SnapshotFile} from '../cache/types.js'
import {ExitCode, isMlxkError, MlxkError} from '../errors.js'
import {hashFile} from '../workspace/hash.js'
import {
  fingerprintDigest,
  SENTINEL_NAME,
  type SentinelFile,
  sentinelEntry,
  writeSentinel,
} from '../workspace/sentinel.js'
import {copyOne, type CopyFileFn, type CopyMethod, stagingPath, summarizeMethods} from './clone-copy.js'
import {describeModel, type ModelDescription} from './describe-model.js'
import {pullModel, type PullEvent} from './pull.js'
import {describeWorkspace} from './run-preflight.js'
import {supportedModelTypes} from './supported.js'

/** Upstream's values; mlxk reaches `success` or one of the failure states. */
export type CloneStatus =
  | 'cache_not_found'
  | 'cloning'
  | 'error'
  | 'filesystem_error'
  | 'health_check_failed'
  | 'health_checking'
  | 'preparing'
  | 'pull_failed'
  | 'pulling'
  | 'success'
  | 'unknown'

/** `data` of `mlxk clone --json`: upstream's `{model, clone_status, message, target_dir, health_check}` plus the details. */
export interface CloneData {
  bytes: number
  clone_status: CloneStatus
  commit: null | string
  copy_method: 'copy' | 'mixed' | 'reflink' | null
  files_count: number
  /** Upstream's verdict on the new workspace (what `mlxk health ./dir` says); absent with --no-health-check. */
  health?: 'healthy' | 'unhealthy'
  /** The verdict's stable code (docs/json-api.md); absent with --no-health-check. */
  health_code?: string
  /** Upstream's reason for the verdict; absent with --no-health-check. */
  health_reason?: string
  /** Whether the health check ran (upstream's meaning). */
  health_check: boolean
  message: string
  model: string
  revision: string
  runtime: null | {code: string; compatible: boolean; reason: null | string}
  sentinel: null | string
  /** `cache` when the model was already complete locally, `hub` when it was pulled first. */
  source: 'cache' | 'hub' | null
  target_dir: string
}

export interface CloneOptions {
  /** Injected in tests to exercise the plain-copy fallback. */
  copyFile?: CopyFileFn
  cwd?: string
  env?: NodeJS.ProcessEnv
  fetch?: typeof fetch
  healthCheck?: boolean
  mlxkVersion: string
  onPullEvent?: (event: PullEvent) => void
  /** The hub cache (`cacheRoot()`); the model is pulled into it when missing or incomplete. */
  root: string
  signal?: AbortSignal
  spec: string
  target?: string
}

/**
 * `mlxk clone`: a self-contained, editable copy of one revision of a model. A complete, healthy snapshot in the
 * cache is used as is (offline); otherwise the pull engine completes it first, so the cache gains the model as a
 * side effect and the next clone is instant. Files are copied (copy-on-write where possible) into a hidden staging
 * folder next to the target, the sentinel is written, and one rename makes the workspace appear: a failed or
 * interrupted clone leaves nothing behind.
 */
export async function cloneModel(options: CloneOptions): Promise<CloneData> {
  const env = options.env ?? process.env
  const healthCheck = options.healthCheck ?? true
  const data: CloneData = {
    bytes: 0,
    clone_status: 'preparing',
    commit: null,
    copy_method: null,
    files_count: 0,
    health_check: healthCheck,
    message: '',
    model: options.spec,
    revision: 'main',
    runtime: null,
    sentinel: null,
    source: null,
    target_dir: '',
  }
  try {
    const {base, revision} = parseSpec(options.spec)
    data.model = base
    data.revision = revision ?? 'main'
    data.target_dir = targetDir(options, base, env)
    await assertTargetUsable(data.target_dir, options.target ?? data.target_dir)

    let description = await cached(options.root, base, revision)
    data.source = 'cache'
    if (!description?.health.healthy) {
      data.clone_status = 'pulling'
      await pull(options, env)
      data.source = 'hub'
      description = await cached(options.root, base, revision)
    }

    if (!description?.snapshot) {
      throw new MlxkError('CacheNotFoundError', `Cache snapshot not found for model '${base}'`, {
        hint: 'The pull finished but left no snapshot for this revision; check `mlxk health` and pull again.',
      })
    }

    data.commit = description.snapshot.commit
    if (healthCheck) {
      data.clone_status = 'health_checking'
      if (!description.health.healthy) {
        throw new MlxkError('ModelUnhealthyError', `Model failed health check: ${description.health.reason}`, {
          details: {code: description.health.code},
          hint: `Repair it with \`mlxk pull ${base}\`, or clone anyway with --no-health-check`,
        })
      }
    }

    data.clone_status = 'cloning'
    const copied = await copyToWorkspace(description, data, options)
    data.files_count = copied.files
    data.bytes = copied.bytes
    data.copy_method = summarizeMethods(copied.methods)
    data.sentinel = SENTINEL_NAME
    if (healthCheck) {
      const workspace = await describeWorkspace({env, spec: data.target_dir, supported: supportedModelTypes(env)})
      data.health = workspace.health.healthy ? 'healthy' : 'unhealthy'
      data.health_code = workspace.health.code
      data.health_reason = workspace.health.reason
      data.runtime = {
        code: workspace.runtime.code,
        compatible: workspace.runtime.compatible,
        reason: workspace.runtime.reason,
      }
    }

    data.clone_status = 'success'
    data.message = `Cloned to ${options.target ?? data.target_dir}`
    return data
  } catch (error) {
    throw cloneFailure(error, data)
  }
}

function parseSpec(spec: string): {base: string; revision: null | string} {
  try {
    const parsed = parseModelSpec(spec)
    validateRepoId(parsed.base)
    if (!parsed.base.includes('/'))
      throw new MlxkError('ValidationError', `Invalid repository id "${parsed.base}": clone needs org/name`)
    return parsed
  } catch (error) {
    if (isMlxkError(error) && error.type !== 'ValidationError') throw new MlxkError('ValidationError', error.message)
    throw error
  }
}

/** The target as given (relative to cwd, `~` expanded), else `<MLXK_WORKSPACE_HOME or cwd>/<model name>`. */
function targetDir(options: CloneOptions, repoId: string, env: NodeJS.ProcessEnv): string {
  const cwd = options.cwd ?? process.cwd()
  const home = env.HOME || homedir()
  if (options.target === undefined) return resolve(cwd, env.MLXK_WORKSPACE_HOME || '.', basename(repoId))
  const t = options.target
  return resolve(cwd, t === '~' ? home : t.startsWith('~/') ? join(home, t.slice(2)) : t)
}

async function assertTargetUsable(target: string, typed: string): Promise<void> {
  const info = await stat(target).catch(() => null)
  if (!info) return
  if (!info.isDirectory()) throw new MlxkError('InvalidTargetError', `Target '${typed}' exists but is not a directory`)
  if ((await readdir(target)).length > 0) {
    throw new MlxkError('InvalidTargetError', `Target directory '${typed}' is not empty`, {
      hint: 'Clone into a new or empty folder; mlxk never mixes a clone with existing files.',
    })
  }
}

/** The snapshot the cache holds for `repo@revision`, judged like `mlxk health`; null when the model is not cached. */
async function cached(root: string, repoId: string, revision: null | string): Promise<ModelDescription | null> {
  const model = await scanModel(root, repoIdToDirName(repoId))
  if (!model) return null
  return describeModel(model, {revision, supported: supportedModelTypes()})
}

async function pull(options: CloneOptions, env: NodeJS.ProcessEnv): Promise<void> {
  try {
    await pullModel({
      env,
      ...(options.fetch ? {fetch: options.fetch} : {}),
      ...(options.onPullEvent ? {onEvent: options.onPullEvent} : {}),
      root: options.root,
      ...(options.signal ? {signal: options.signal} : {}),
      spec: options.spec,
    })
  } catch (error) {
    if (!isMlxkError(error)) throw error
    if (error.type === 'interrupted' || error.type === 'ValidationError') throw error
    throw new MlxkError('PullFailedError', `Pull operation failed: ${error.message}`, {
      cause: error,
      details: {...error.details, pull_error_type: error.type},
      ...(error.hint === undefined ? {} : {hint: error.hint}),
    })
  }
}

async function copyToWorkspace(
  description: ModelDescription,
  data: CloneData,
  options: CloneOptions,
): Promise<{bytes: number; files: number; methods: CopyMethod[]}> {
  const target = data.target_dir
  const staging = stagingPath(target)
  const methods: CopyMethod[] = []
  let bytes = 0
  try {
    await mkdir(dirname(target), {recursive: true}).catch((error: unknown) => {
      throw filesystemError(error, `Cannot create the parent folder of '${target}'`)
    })
    await mkdir(staging).catch((error: unknown) => {
      throw filesystemError(error, `Cannot create a folder next to '${target}'`)
    })
    const entries: SentinelFile[] = []
    for (const file of description.files.filter((f) => !f.dangling)) {
      options.signal?.throwIfAborted()
      const dest = join(staging, file.path)
      try {
        methods.push(await copyOne(file.absPath, dest, options.copyFile))
      } catch (error) {
        throw new MlxkError('CloneFailedError', `Copy failed for ${file.path}: ${(error as Error).message}`, {
          cause: error,
        })
      }

      bytes += file.size
      entries.push(await sentinelEntry(staging, file.path, await knownHashes(file)))
    }

    await writeSentinel(staging, {
      created_at: new Date().toISOString(),
      fingerprint: {digest: fingerprintDigest(entries), files: entries},
      format: 1,
      kind: 'mlxk-workspace',
      mlxk_version: options.mlxkVersion,
      source: {commit: description.snapshot?.commit ?? null, repo_id: data.model, revision: data.revision},
    })
    // An empty target folder the user made is replaced by the finished workspace in one step.
    if (
      await stat(target).then(
        () => true,
        () => false,
      )
    )
      await rmdir(target)
    await rename(staging, target).catch((error: unknown) => {
      throw filesystemError(error, `Cannot move the workspace into '${target}'`)
    })
    return {bytes, files: entries.length, methods}
  } catch (error) {
    await rm(staging, {force: true, recursive: true}).catch(() => {})
    throw error
  }
}

/** The cache already names each blob by its hash (sha256 for LFS, git sha1 otherwise): nothing to compute. */
async function knownHashes(file: SnapshotFile): Promise<{gitSha1?: string; sha256?: string}> {
  if (file.blob && /^[0-9a-f]{64}$/.test(file.blob)) return {sha256: file.blob}
  if (file.blob && /^[0-9a-f]{40}$/.test(file.blob)) return {gitSha1: file.blob}
  const digests = await hashFile(file.absPath, file.size)
  return {sha256: digests.sha256}
}

function filesystemError(error: unknown, message: string): MlxkError {
  return new MlxkError('FilesystemError', `${message}: ${(error as Error)?.message ?? String(error)}`, {cause: error})
}

const STATUS_BY_TYPE: Record<string, CloneStatus> = {
  CacheNotFoundError: 'cache_not_found',
  CloneFailedError: 'filesystem_error',
  FilesystemError: 'filesystem_error',
  InvalidTargetError: 'error',
  ModelUnhealthyError: 'health_check_failed',
  PullFailedError: 'pull_failed',
  ValidationError: 'pull_failed',
}

/** Every failure carries upstream's clone `data` (with the `clone_status` it stopped in) and an upstream type. */
function cloneFailure(error: unknown, data: CloneData): MlxkError {
  if ((error as Error)?.name === 'AbortError') {
    error = new MlxkError(
      'interrupted',
      'Clone interrupted; no partial workspace was left. Run the same `mlxk clone` again.',
      {
        exitCode: ExitCode.interrupted,
      },
    )
  }

  const source =
    isMlxkError(error) && (error.type in STATUS_BY_TYPE || error.type === 'interrupted')
      ? error
      : new MlxkError(
          'CloneOperationError',
          `Clone failed: ${error instanceof Error ? error.message : String(error)}`,
          {cause: error},
        )
  const status = STATUS_BY_TYPE[source.type] ?? 'error'
  return new MlxkError(source.type, source.message, {
    cause: source.cause,
    data: {...data, clone_status: status, message: source.message},
    details: source.details,
    exitCode: source.exitCode,
    ...(source.hint === undefined ? {} : {hint: source.hint}),
  })
}
