import {mkdir, stat} from 'node:fs/promises'
import {join} from 'node:path'

import {type HeldLock, acquireLock} from '../cache/locks.js'
import {parseModelSpec, repoIdToDirName, validateRepoId} from '../cache/naming.js'
import {linkSnapshotFile, writeRef, writeTreesJson} from '../cache/publish.js'
import {resolveModel} from '../cache/resolve.js'
import {scanCache} from '../cache/scan.js'
import {ExitCode, isMlxkError, MlxkError} from '../errors.js'
import {ConnectionPool} from '../hub/connection-pool.js'
import {type FreeSpaceProbe, freeBytes} from '../hub/disk-space.js'
import {downloadBlob, type DownloadSettings} from '../hub/download-blob.js'
import {hubUrl, readToken} from '../hub/endpoint.js'
import {filterPaths} from '../hub/globs.js'
import {
  fetchFileList,
  fetchRepoInfo,
  gateProbeTarget,
  HubCallError,
  type HubApiParams,
  probeFileAccess,
  resolveUrl,
} from '../hub/hub-api.js'
import {hubErrorToMlxk} from '../hub/hub-errors.js'
import {type PlannedFile, planPull} from '../hub/pull-plan.js'
import type {RemoteFile, RemoteSnapshot} from '../hub/remote-file.js'
import {pullTuning, type PullTuning} from '../hub/tuning.js'

/** Upstream's values, plus `dry_run`, `not_found`, `revision_not_found`, `insufficient_disk_space`, `interrupted`. */
export type DownloadStatus =
  | 'access_denied'
  | 'already_exists'
  | 'corrupted'
  | 'dry_run'
  | 'error'
  | 'failed'
  | 'insufficient_disk_space'
  | 'interrupted'
  | 'not_found'
  | 'revision_not_found'
  | 'success'

export interface PullFileResult {
  bytes_downloaded: number
  /** Bytes an interrupted earlier run had left, which this run resumed from. */
  bytes_resumed: number
  etag: string
  path: string
  size: number
  /** `reused`: the blob was already in the cache (or another process just downloaded it). */
  status: 'downloaded' | 'planned' | 'reused'
}

export interface PullData {
  bytes_downloaded: number
  bytes_reused: number
  bytes_total: number
  commit_hash: null | string
  download_status: DownloadStatus
  dry_run: boolean
  elapsed_s: number
  expanded_name: null | string
  files: PullFileResult[]
  message: string
  model: null | string
  preflight_warning?: string
  revision: null | string
}

export type PullEvent =
  | {bytes: number; path: string; type: 'bytes'}
  | {commit: string; files: Array<{path: string; reusedBytes: number; size: number}>; model: string; type: 'plan'}
  | {path: string; status: PullFileResult['status']; type: 'file_done'}
  | {path: string; type: 'file_start' | 'waiting_for_lock'}
  | {type: 'publishing'}

export interface PullOptions {
  dryRun?: boolean
  env?: NodeJS.ProcessEnv
  exclude?: string[]
  fetch?: typeof fetch
  /** Injected in tests to simulate a full disk. */
  freeBytes?: FreeSpaceProbe
  include?: string[]
  onEvent?: (event: PullEvent) => void
  root: string
  signal?: AbortSignal
  spec: string
  tuning?: Partial<PullTuning>
}

type Base = Pick<PullData, 'commit_hash' | 'expanded_name' | 'model' | 'revision'>

const STATUS_BY_TYPE: Record<string, DownloadStatus> = {
  access_denied: 'access_denied',
  ambiguous_match: 'error',
  insufficient_disk_space: 'insufficient_disk_space',
  interrupted: 'interrupted',
  invalid_model_name: 'error',
  model_corrupted: 'corrupted',
  model_not_found: 'not_found',
  revision_not_found: 'revision_not_found',
  ValidationError: 'error',
}

/** Re-throws `error` as an MlxkError whose `data` carries upstream's pull fields, so `--json` shows them. */
function withPullData(error: unknown, base: Base): never {
  const source = isMlxkError(error)
    ? error
    : new MlxkError('download_failed', `Download failed: ${(error as Error)?.message ?? String(error)}`, {cause: error})
  const download_status = STATUS_BY_TYPE[source.type] ?? 'failed'
  throw new MlxkError(source.type, source.message, {
    cause: source.cause,
    data: {...base, download_status, message: source.message},
    details: source.details,
    exitCode: source.exitCode,
    ...(source.hint === undefined ? {} : {hint: source.hint}),
  })
}

function isCommitOf(revision: string, commit: string): boolean {
  return /^[0-9a-f]{7,40}$/i.test(revision) && commit.toLowerCase().startsWith(revision.toLowerCase())
}

/**
 * `mlxk pull`: preflight against the Hub (nothing is written if the repo is missing, gated or private), then
 * every missing blob under Python's lock, resumed from its partial file, hashed before it is renamed into place;
 * then `trees/<commit>.json`, the snapshot links and, last, the ref. A pull that finds everything in place
 * writes nothing and says `already_exists`.
 */
export async function pullModel(options: PullOptions): Promise<PullData> {
  const started = performance.now()
  const env = options.env ?? process.env
  const tuning = pullTuning(env, options.tuning)
  const elapsed = () => Math.round((performance.now() - started) / 10) / 100
  const base: Base = {commit_hash: null, expanded_name: null, model: null, revision: null}
  try {
    const {repoId, revision} = await resolveTarget(options.root, options.spec)
    base.model = repoId
    base.revision = revision ?? 'main'
    base.expanded_name = repoId === parseModelSpec(options.spec).base ? null : repoId
    const token = await readToken(env)
    const api: HubApiParams = {
      ...(token ? {accessToken: token} : {}),
      ...(options.fetch ? {fetch: options.fetch} : {}),
      hubUrl: hubUrl(env),
      repoId,
      revision: base.revision,
      timeoutMs: tuning.preflightTimeoutMs,
    }
    const {remote, selected, warning} = await preflight(api, tuning, options)
    base.commit_hash = remote.commit
    if (selected.length === 0 && remote.files.length > 0) {
      throw new MlxkError('ValidationError', `No file of '${repoId}' matches the --include/--exclude patterns.`, {
        hint: `The repository has ${remote.files.length} files; patterns use fnmatch syntax, e.g. "*.json" or "model-*.safetensors".`,
      })
    }

    const modelDir = join(options.root, repoIdToDirName(repoId))
    const ref = isCommitOf(base.revision, remote.commit) ? null : base.revision
    const plan = await planPull({commit: remote.commit, files: selected, modelDir, ref})
    const extra = warning === undefined ? {} : {preflight_warning: warning}
    const summary = (status: DownloadStatus, message: string, results: PullFileResult[]): PullData => ({
      ...base,
      bytes_downloaded: results.reduce((s, f) => s + f.bytes_downloaded, 0),
      bytes_reused: results.filter((f) => f.status === 'reused').reduce((s, f) => s + f.size, 0),
      bytes_total: results.reduce((s, f) => s + f.size, 0),
      download_status: status,
      dry_run: options.dryRun ?? false,
      elapsed_s: elapsed(),
      files: results,
      message,
      ...extra,
    })
    const at = `${repoId}@${remote.commit.slice(0, 7)}`
    if (plan.complete) {
      if (!plan.treesPresent && !options.dryRun) await writeTreesJson(modelDir, remote.commit, remote.files)
      const results = plan.files.map((p) => fileResult(p, 'reused', 0))
      return summary('already_exists', `Model ${repoId} already exists in cache (${at})`, results)
    }

    if (options.dryRun) {
      const results = plan.files.map((p) => fileResult(p, p.present ? 'reused' : 'planned', 0))
      return summary(
        'dry_run',
        `Would download ${formatCount(plan.files.filter((p) => !p.present).length)} (${plan.missingBytes} bytes) of ${at}; nothing was written`,
        results,
      )
    }

    await checkDiskSpace(options.root, plan.missingBytes, tuning, options.freeBytes ?? freeBytes)
    options.onEvent?.({
      commit: remote.commit,
      files: plan.files.map((p) => ({
        path: p.file.path,
        reusedBytes: p.present ? p.file.size : p.resumable,
        size: p.file.size,
      })),
      model: repoId,
      type: 'plan',
    })
    const results = await downloadAll({
      api,
      modelDir,
      options,
      plan: plan.files,
      remote,
      root: options.root,
      token,
      tuning,
    })
    options.onEvent?.({type: 'publishing'})
    // Python's order: the tree listing (which makes a half-linked snapshot recognisably incomplete), the links,
    // and the ref last, so nothing names this commit before every file is in place.
    await writeTreesJson(modelDir, remote.commit, remote.files)
    for (const p of plan.files) await linkSnapshotFile(modelDir, remote.commit, p.file.path, p.etag)
    if (ref !== null) await writeRef(modelDir, ref, remote.commit)
    const fetched = results.filter((f) => f.status === 'downloaded').length
    return summary(
      'success',
      `Downloaded ${at}: ${formatCount(fetched)} fetched, ${formatCount(results.length - fetched)} already cached`,
      results,
    )
  } catch (error) {
    withPullData(options.signal?.aborted ? interruptedError() : error, base)
  }
}

function formatCount(n: number): string {
  return `${n} file${n === 1 ? '' : 's'}`
}

function fileResult(p: PlannedFile, status: PullFileResult['status'], downloaded: number, resumed = 0): PullFileResult {
  return {
    bytes_downloaded: downloaded,
    bytes_resumed: resumed,
    etag: p.etag,
    path: p.file.path,
    size: p.file.size,
    status,
  }
}

/**
 * A name with `/` is a repo id and is used exactly as typed. A bare name is looked up among cached models (as
 * upstream does, e.g. `Phi-3-mini` → `mlx-community/Phi-3-mini-4k-instruct-4bit`), and used as typed when none
 * matches.
 */
async function resolveTarget(root: string, spec: string): Promise<{repoId: string; revision: null | string}> {
  let parsed
  try {
    parsed = parseModelSpec(spec)
  } catch (error) {
    if (isMlxkError(error))
      throw new MlxkError('ValidationError', error.message, error.hint === undefined ? {} : {hint: error.hint})
    throw error
  }

  let repoId = parsed.base
  if (!repoId.includes('/')) {
    const resolution = resolveModel(await scanCache(root), repoId)
    if (resolution.kind === 'ambiguous') {
      throw new MlxkError('ambiguous_match', `Multiple cached models match '${repoId}'`, {
        details: {matches: resolution.matches},
        hint: `Use the full name: ${resolution.matches.join(', ')}`,
      })
    }

    if (resolution.kind === 'found' || resolution.kind === 'revision_not_found') repoId = resolution.model.name
  }

  validateRepoId(repoId)
  return {repoId, revision: parsed.revision}
}

/**
 * Model info, the file listing and (for gated repos) one request for a selected file the gate covers, before
 * anything is written. A refusal fails the pull with a typed error; a timeout, network error or 5xx becomes
 * `preflight_warning` and the same calls are retried with backoff, as the download stage would.
 */
async function preflight(
  api: HubApiParams,
  tuning: PullTuning,
  selection: Pick<PullOptions, 'exclude' | 'include'>,
): Promise<{remote: RemoteSnapshot; selected: RemoteFile[]; warning?: string}> {
  const context = {hasToken: api.accessToken !== undefined, repoId: api.repoId, revision: api.revision}
  let warning: string | undefined
  const call = async <T>(what: () => Promise<T>): Promise<T> => {
    for (let attempt = 0; ; attempt++) {
      try {
        return await what()
      } catch (error) {
        if (!(error instanceof HubCallError)) throw error
        const mapped = hubErrorToMlxk(error.failure, context)
        if (mapped) throw mapped
        const {status, timedOut} = error.failure
        warning ??= timedOut
          ? `Preflight timeout for '${api.repoId}'; continuing to download stage.`
          : status === null
            ? `Preflight error without HTTP code; continuing.`
            : `Preflight HTTP ${status}; continuing to download stage.`
        if (attempt >= tuning.maxRetries) {
          throw new MlxkError(
            'download_failed',
            `Cannot reach the Hub at ${new URL(api.hubUrl).host} for '${api.repoId}': ${error.message}`,
            {
              hint: 'Check the network and HF_ENDPOINT, then run the same `mlxk pull` again.',
            },
          )
        }

        await new Promise((resolve) => setTimeout(resolve, tuning.retryDelayMs(attempt + 1)))
      }
    }
  }

  const info = await call(() => fetchRepoInfo(api))
  const files = await call(() => fetchFileList({...api, commit: info.commit}))
  const selected = filterPaths(files, selection.include, selection.exclude)
  const probe = info.gated === false ? null : gateProbeTarget(selected)
  if (probe) await call(() => probeFileAccess({...api, commit: info.commit, path: probe.path}))
  return {remote: {...info, files}, selected, ...(warning === undefined ? {} : {warning})}
}

async function checkDiskSpace(root: string, needed: number, tuning: PullTuning, probe: FreeSpaceProbe): Promise<void> {
  if (needed === 0) return
  const free = await probe(root)
  if (needed + tuning.diskMarginBytes > free) {
    throw new MlxkError(
      'insufficient_disk_space',
      `Not enough disk space: the download needs ${needed} bytes, ${free} are free.`,
      {
        details: {free_bytes: free, needed_bytes: needed},
        hint: 'Free some space (e.g. `mlxk rm` unused models) or point HF_HOME / HF_HUB_CACHE at a larger disk.',
      },
    )
  }
}

interface DownloadAllParams {
  api: HubApiParams
  modelDir: string
  options: PullOptions
  plan: PlannedFile[]
  remote: RemoteSnapshot
  root: string
  token: string | undefined
  tuning: PullTuning
}

/**
 * Fetches the missing blobs, biggest first, a few files at a time over a shared pool of connections. A blob whose
 * lock another process (mlxk or Python) holds is put aside and waited for at the end; by then it is usually in
 * the cache, and it is never downloaded twice.
 */
async function downloadAll(params: DownloadAllParams): Promise<PullFileResult[]> {
  const {options, plan, remote, tuning} = params
  const blobsDir = join(params.modelDir, 'blobs')
  const lockDir = join(params.root, '.locks', repoIdToDirName(remote.repoId))
  await mkdir(blobsDir, {recursive: true})
  const signal = options.signal ?? new AbortController().signal
  const settings: DownloadSettings = {
    ...(params.api.fetch ? {fetch: params.api.fetch} : {}),
    hubUrl: params.api.hubUrl,
    integrityRetries: tuning.integrityRetries,
    maxPartsPerFile: tuning.maxPartsPerFile,
    maxRetries: tuning.maxRetries,
    minPartBytes: tuning.minPartBytes,
    onBytes: (path, bytes) => options.onEvent?.({bytes, path, type: 'bytes'}),
    pool: new ConnectionPool(tuning.connections),
    readTimeoutMs: tuning.readTimeoutMs,
    retryDelayMs: tuning.retryDelayMs,
    signal,
    token: params.token,
    userAgent: `mlxk; node/${process.versions.node}`,
  }
  const results = new Map<string, PullFileResult>()
  for (const p of plan) if (p.present) results.set(p.file.path, fileResult(p, 'reused', 0))
  const byEtag = new Map<string, PlannedFile[]>()
  for (const p of plan.filter((q) => !q.present)) byEtag.set(p.etag, [...(byEtag.get(p.etag) ?? []), p])
  const queue = [...byEtag.values()].sort((a, b) => (b[0] as PlannedFile).file.size - (a[0] as PlannedFile).file.size)
  const deferred: PlannedFile[][] = []

  const fetchUnderLock = async (group: PlannedFile[], lock: HeldLock): Promise<void> => {
    const first = group[0] as PlannedFile
    try {
      options.onEvent?.({path: first.file.path, type: 'file_start'})
      const present = await stat(join(blobsDir, first.etag)).then(
        (s) => s.size === first.file.size,
        () => false,
      )
      const outcome = present
        ? null
        : await downloadBlob(
            {
              blobsDir,
              etag: first.etag,
              file: first.file,
              url: resolveUrl(params.api.hubUrl, remote.repoId, remote.commit, first.file.path),
            },
            settings,
          )
      for (const p of group) {
        const result =
          outcome && p === first
            ? fileResult(p, 'downloaded', outcome.downloadedBytes, outcome.resumedBytes)
            : fileResult(p, 'reused', 0)
        results.set(p.file.path, result)
        options.onEvent?.({path: p.file.path, status: result.status, type: 'file_done'})
      }
    } finally {
      await lock.release()
    }
  }

  const worker = async (): Promise<void> => {
    for (let group = queue.shift(); group; group = queue.shift()) {
      signal.throwIfAborted()
      const first = group[0] as PlannedFile
      const lock = await acquireLock(join(lockDir, `${first.etag}.lock`), {timeoutMs: 0}).catch((error: unknown) => {
        if (isMlxkError(error) && error.type === 'lock_timeout') return null
        throw error
      })
      if (lock) await fetchUnderLock(group, lock)
      else deferred.push(group)
    }
  }

  await runAll(Array.from({length: Math.min(tuning.fileConcurrency, Math.max(1, queue.length))}, worker))
  queue.push(...deferred.splice(0))
  const waiter = async (): Promise<void> => {
    for (let group = queue.shift(); group; group = queue.shift()) {
      signal.throwIfAborted()
      const first = group[0] as PlannedFile
      options.onEvent?.({path: first.file.path, type: 'waiting_for_lock'})
      await fetchUnderLock(
        group,
        await acquireLock(join(lockDir, `${first.etag}.lock`), {timeoutMs: tuning.lockWaitMs}),
      )
    }
  }

  await runAll(Array.from({length: Math.min(tuning.fileConcurrency, Math.max(1, queue.length))}, waiter))
  return plan.map((p) => results.get(p.file.path) as PullFileResult)
}

/** Like Promise.all, but waits for every task to settle before rejecting, so no download outlives the pull. */
async function runAll(tasks: Array<Promise<void>>): Promise<void> {
  const settled = await Promise.allSettled(tasks)
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected')
  if (failed) throw failed.reason
}

export function interruptedError(): MlxkError {
  return new MlxkError('interrupted', 'Pull interrupted; run the same `mlxk pull` again to resume where it stopped.', {
    exitCode: ExitCode.interrupted,
  })
}
