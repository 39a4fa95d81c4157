import {statSync} from 'node:fs'
import {resolve} from 'node:path'

import {validateRepoId} from '../cache/naming.js'
import {isMlxkError, MlxkError} from '../errors.js'
import {hubUrl, readToken} from '../hub/endpoint.js'
import type {RemoteFile} from '../hub/remote-file.js'
import type {UploadApiParams} from '../hub/upload-api.js'
import {listWorkspace} from '../workspace/files.js'
import {workspaceHealth} from '../workspace/health.js'
import {loadIgnore} from '../workspace/ignore.js'
import {readSentinel} from '../workspace/sentinel.js'
import {commitDiff} from './push-commit.js'
import {diffWorkspace, type PushDiff} from './push-diff.js'
import {authMissing} from './push-errors.js'
import {createBranch, createRepo, readRemote} from './push-remote.js'
import {PUSH_DISCLAIMER, type PushData, type PushOptions} from './push-types.js'

export type {PushData, PushEvent, PushOptions} from './push-types.js'

const NO_OP = 'No files have been modified since last commit. Skipping to prevent empty commit.'

/**
 * `mlxk push`: compare a local folder with a branch on the Hub and commit exactly the difference (added, modified,
 * deleted files) as one commit. `--check-only` stays offline; `--dry-run` reads but writes nothing; a push that
 * changes nothing makes no commit. Missing repo/branch are created only with `--create` (repos always private).
 */
export async function pushWorkspace(options: PushOptions): Promise<PushData> {
  const started = performance.now()
  const env = options.env ?? process.env
  const endpoint = hubUrl(env)
  const data: PushData = {
    branch: options.branch,
    commit_sha: null,
    commit_url: null,
    created_branch: false,
    created_repo: false,
    disclaimer: PUSH_DISCLAIMER,
    elapsed_s: 0,
    experimental: true,
    hf_logs: [],
    ignored_files_count: null,
    local_files_count: null,
    message: '',
    no_changes: null,
    parent_commit: null,
    repo_id: options.repoId,
    repo_url: `${endpoint}/${options.repoId}`,
    uploaded_files_count: null,
  }
  const finish = (): PushData => ({...data, elapsed_s: Math.round((performance.now() - started) / 10) / 100})
  try {
    validateRepoId(options.repoId)
    if (!options.repoId.includes('/')) {
      throw new MlxkError('ValidationError', `Invalid repository id "${options.repoId}": push needs org/name`, {
        hint: 'Give the namespace (your user name or an organization) and the model name, e.g. me/my-model.',
      })
    }

    const token = options.checkOnly ? undefined : await readToken(env)
    if (!options.checkOnly && !token) throw authMissing()
    const dir = resolve(options.dir)
    if (!isDirectory(dir)) {
      throw new MlxkError('workspace_not_found', `Workspace not found or not a directory: ${options.dir}`, {
        hint: 'Give the folder that holds the model files (config.json, weights, tokenizer).',
      })
    }

    options.onEvent?.({phase: 'scanning', type: 'phase'})
    const matcher = await loadIgnore(dir)
    const listing = await listWorkspace(dir, matcher)
    data.local_files_count = listing.allCount
    data.ignored_files_count = listing.allCount - listing.included.length
    if (options.checkOnly) {
      data.workspace_health = await workspaceHealth(dir, env)
      data.message = 'Check-only: no upload performed.'
      return finish()
    }

    const api: UploadApiParams = {
      accessToken: token as string,
      ...(options.fetch ? {fetch: options.fetch} : {}),
      hubUrl: endpoint,
      repoId: options.repoId,
    }
    options.onEvent?.({phase: 'comparing', type: 'phase'})
    let remote = await readRemote(api, options.branch)
    if (options.dryRun) {
      Object.assign(data, await planDryRun(data, remote, listing.included, matcher.ignores, options))
      return finish()
    }

    if (remote.kind === 'no_repo') {
      if (!options.create)
        throw new MlxkError('repo_not_found', `Repository not found: ${options.repoId} (use --create)`, {
          hint: 'Add --create to create it as a private repository, or check the name and that your token can see it.',
        })
      data.created_repo = await createRepo(api)
      data.hf_logs.push(`created private repository ${options.repoId}`)
      remote = await readRemote(api, options.branch)
    }

    if (remote.kind === 'no_branch') {
      if (!options.create) {
        throw new MlxkError(
          'upload_failed',
          `Branch '${options.branch}' does not exist in ${options.repoId} (use --create)`,
          {
            hint: 'Add --create to create the branch from main, or push to an existing branch.',
          },
        )
      }

      await createBranch(api, options.branch)
      data.created_branch = true
      data.hf_logs.push(`created branch ${options.branch}`)
      remote = await readRemote(api, options.branch)
    }

    if (remote.kind !== 'branch')
      throw new MlxkError(
        'upload_failed',
        `The Hub does not show branch '${options.branch}' of ${options.repoId} after creating it`,
      )
    data.parent_commit = remote.commit
    const diff = await compare(listing.included, remote.files, matcher.ignores, dir, options)
    const summary = {
      added: diff.added.length,
      deleted: diff.deleted.length,
      modified: diff.modified.length + diff.unverified.length,
    }
    if (summary.added + summary.deleted + summary.modified === 0) {
      Object.assign(data, {change_summary: summary, message: NO_OP, no_changes: true, uploaded_files_count: 0})
      data.hf_logs.push(NO_OP)
      return finish()
    }

    options.onEvent?.({phase: 'uploading', type: 'phase'})
    const result = await commitDiff(api, {
      branch: options.branch,
      diff,
      ...(options.onEvent ? {onEvent: options.onEvent} : {}),
      parentCommit: remote.commit,
      ...(options.signal ? {signal: options.signal} : {}),
      title: options.commitMessage,
    })
    const count = summary.added + summary.modified + summary.deleted
    Object.assign(data, {
      change_summary: summary,
      commit_sha: result.commitSha,
      commit_url: result.commitUrl,
      message: `Committed ${count} file${count === 1 ? '' : 's'} (+${summary.added} ~${summary.modified} -${summary.deleted}).`,
      no_changes: false,
      upload: result.stats,
      uploaded_files_count: count,
    })
    data.hf_logs.push(...result.logs)
    return finish()
  } catch (error) {
    const failure = isMlxkError(error)
      ? error
      : new MlxkError(
          'push_operation_failed',
          `Push failed: ${error instanceof Error ? error.message : String(error)}`,
          {cause: error},
        )
    throw new MlxkError(failure.type, failure.message, {
      cause: failure.cause,
      data: {...finish(), message: failure.message},
      details: failure.details,
      exitCode: failure.exitCode,
      ...(failure.hint === undefined ? {} : {hint: failure.hint}),
    })
  }
}

/** Remote files never deleted by a push: ones the ignore rules hide locally, and the Hub's own `.gitattributes`. */
function keepRemote(ignores: (path: string) => boolean): (path: string) => boolean {
  return (path) => path === '.gitattributes' || ignores(path)
}

async function compare(
  local: PushDiffInputLocal,
  remote: RemoteFile[],
  ignores: (path: string) => boolean,
  dir: string,
  options: PushOptions,
): Promise<PushDiff> {
  const sentinel = await readSentinel(dir)
  const known = new Map((sentinel?.fingerprint.files ?? []).map((f) => [f.path, f]))
  return diffWorkspace({
    keepRemote: keepRemote(ignores),
    known,
    local,
    onHashBytes: (bytes) => options.onEvent?.({bytes, type: 'hash_bytes'}),
    onHashPlan: (files, bytes) => {
      if (files === 0) return
      options.onEvent?.({phase: 'hashing', type: 'phase'})
      options.onEvent?.({bytes, files, type: 'hash_plan'})
    },
    remote,
  })
}

type PushDiffInputLocal = Parameters<typeof diffWorkspace>[0]['local']

/** What a push would do, without writing: against the branch, or the default branch a new branch would start from. */
async function planDryRun(
  data: PushData,
  remote: Awaited<ReturnType<typeof readRemote>>,
  local: PushDiffInputLocal,
  ignores: (path: string) => boolean,
  options: PushOptions,
): Promise<PushData> {
  const base = remote.kind === 'branch' ? remote : remote.kind === 'no_branch' ? remote.base : {commit: null, files: []}
  const diff = await compare(local, base.files, ignores, resolve(options.dir), options)
  const modified = diff.modified.length + diff.unverified.length
  const unknown = diff.unverified.length > 0
  const changes = diff.added.length + modified + diff.deleted.length
  const plan = `+${diff.added.length} ~${unknown ? '?' : modified} -${diff.deleted.length}`
  const message =
    remote.kind === 'no_repo'
      ? `Dry-run: repository does not exist; would create it (private) and add ${diff.added.length} files.`
      : remote.kind === 'no_branch'
        ? `Dry-run: branch does not exist; would create it from main and push ${plan}.`
        : changes === 0
          ? 'Dry-run: no changes'
          : `Dry-run: ${plan}`
  return {
    ...data,
    added_files: diff.added.map((f) => f.path),
    change_summary: {added: diff.added.length, deleted: diff.deleted.length, modified},
    deleted_files: diff.deleted,
    dry_run: true,
    dry_run_summary: {added: diff.added.length, deleted: diff.deleted.length, modified: unknown ? null : modified},
    message,
    modified_files: [...diff.modified, ...diff.unverified].map((f) => f.path).sort(),
    no_changes: changes === 0 && remote.kind === 'branch',
    parent_commit: base.commit || null,
    unverified_files: diff.unverified.map((f) => f.path),
    uploaded_files_count: 0,
    would_create_branch: remote.kind !== 'branch' && (remote.kind === 'no_branch' || options.branch !== 'main'),
    would_create_repo: remote.kind === 'no_repo',
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory()
  } catch {
    return false
  }
}
