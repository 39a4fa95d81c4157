import {ExitCode, MlxkError} from '../errors.js'
import type {HubFailure} from '../hub/hub-errors.js'

const TOKEN_HINT = 'Set HF_TOKEN (or run `hf auth login`) with a token that has write access to the repository.'

/** Upstream's push error types for a Hub refusal: a bad token, a missing repo, or anything else as upload_failed. */
export function pushHubError(failure: HubFailure, message: string, context: {repoId: string}): MlxkError {
  const {code, status} = failure
  if (status === 401) {
    return new MlxkError('auth_error', `The Hub rejected the token for '${context.repoId}' (HTTP 401).`, {
      details: {status},
      hint: 'The token is invalid or expired: create a new one with write access and set HF_TOKEN.',
    })
  }

  if (code === 'RepoNotFound') {
    return new MlxkError('repo_not_found', `Repository not found: ${context.repoId} (use --create)`, {
      details: {status},
      hint: 'Add --create to create it as a private repository, or check the name and that your token can see it.',
    })
  }

  if (status === 403) {
    return new MlxkError(
      'upload_failed',
      `Upload refused: your token has no write access to '${context.repoId}' (HTTP 403).`,
      {
        details: {status},
        hint: TOKEN_HINT,
      },
    )
  }

  if (status === 412) {
    return new MlxkError('upload_failed', `The branch moved while pushing to '${context.repoId}' (HTTP 412).`, {
      details: {status},
      hint: 'Someone else committed meanwhile; run the same push again to compare with the new head.',
    })
  }

  const what = status === null ? (failure.timedOut ? 'timed out' : 'network error') : `HTTP ${status}`
  return new MlxkError('upload_failed', `Upload to '${context.repoId}' failed (${what}): ${message}`, {
    details: {status},
    hint: 'Run the same push again: files that already reached the Hub are not uploaded twice.',
  })
}

export function authMissing(): MlxkError {
  return new MlxkError('auth_error', 'HF_TOKEN not set', {hint: TOKEN_HINT})
}

export function pushInterrupted(): MlxkError {
  return new MlxkError(
    'interrupted',
    'Push interrupted; run the same `mlxk push` again: files that reached the Hub are not uploaded twice.',
    {
      exitCode: ExitCode.interrupted,
    },
  )
}
