import {MlxkError} from '../errors.js'
import {fetchFileList, fetchRepoInfo, HubCallError, type HubApiParams} from '../hub/hub-api.js'
import type {RemoteFile} from '../hub/remote-file.js'
import {createPrivateRepo, createRemoteBranch, UploadCallError, type UploadApiParams} from '../hub/upload-api.js'
import {pushHubError} from './push-errors.js'

/** The target branch as the Hub has it now. */
export type RemoteState =
  | {commit: string; files: RemoteFile[]; kind: 'branch'}
  /** The branch is missing; `base` is the default branch it would start from. */
  | {base: {commit: string; files: RemoteFile[]}; kind: 'no_branch'}
  | {kind: 'no_repo'}

const READ_TIMEOUT_MS = 30_000

/** Model info at the branch, then its file listing (with sizes and hashes). A 404 repo or revision is a state, not an error. */
export async function readRemote(
  api: Omit<HubApiParams, 'revision' | 'timeoutMs'>,
  branch: string,
): Promise<RemoteState> {
  const at = async (revision: string): Promise<'no_branch' | 'no_repo' | {commit: string; files: RemoteFile[]}> => {
    const params: HubApiParams = {...api, revision, timeoutMs: READ_TIMEOUT_MS}
    try {
      const info = await fetchRepoInfo(params)
      return {commit: info.commit, files: await fetchFileList({...params, commit: info.commit})}
    } catch (error) {
      if (!(error instanceof HubCallError)) throw error
      const {code, status} = error.failure
      if (code === 'RevisionNotFound') return 'no_branch'
      if (code === 'RepoNotFound' && status === 404) return 'no_repo'
      if (status === 404 && code === null) return 'no_repo'
      throw pushHubError(error.failure, error.message, {repoId: api.repoId})
    }
  }

  const state = await at(branch)
  if (state === 'no_repo') return {kind: 'no_repo'}
  if (state !== 'no_branch') return {...state, kind: 'branch'}
  const base = await at('main')
  // A repo whose default branch is not `main` (rare): start the new branch from nothing we can list.
  if (typeof base === 'string') return {base: {commit: '', files: []}, kind: 'no_branch'}
  return {base, kind: 'no_branch'}
}

export async function createRepo(api: UploadApiParams): Promise<boolean> {
  try {
    return (await createPrivateRepo(api)).created
  } catch (error) {
    if (error instanceof UploadCallError) throw pushHubError(error.failure, error.message, {repoId: api.repoId})
    throw error
  }
}

/** Upstream's `branch_create_failed` for any refusal other than a bad token. */
export async function createBranch(api: UploadApiParams, branch: string): Promise<void> {
  try {
    await createRemoteBranch({...api, branch})
  } catch (error) {
    if (!(error instanceof UploadCallError)) throw error
    if (error.failure.status === 401) throw pushHubError(error.failure, error.message, {repoId: api.repoId})
    throw new MlxkError(
      'branch_create_failed',
      `Could not create branch '${branch}' in '${api.repoId}': ${error.message}`,
      {
        details: {status: error.failure.status},
        hint:
          error.failure.status === 403 ? 'Your token needs write access to the repository.' : 'Check the branch name.',
      },
    )
  }
}
