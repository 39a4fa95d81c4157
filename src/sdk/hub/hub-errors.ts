import {MlxkError} from '../errors.js'

/** What a failed Hub answer said, independent of which client made the request. */
export interface HubFailure {
  /** `X-Error-Code` (`RepoNotFound`, `GatedRepo`, `RevisionNotFound`, `EntryNotFound`), when the Hub sent one. */
  code: null | string
  /** HTTP status, or null for a network error or timeout. */
  status: null | number
  timedOut: boolean
}

export interface HubErrorContext {
  hasToken: boolean
  repoId: string
  revision: string
}

const TOKEN_HINT = 'Set HF_TOKEN (or run `hf auth login`) with a token that can read this model.'

/**
 * Maps a Hub refusal to mlxk's error taxonomy, or null when the failure is transient (timeout, network, 5xx, 429)
 * and the caller may retry or degrade. The Hub answers a private repo and a missing one alike, so an anonymous
 * caller gets `access_denied` (it might be private) and a caller with a token gets `model_not_found`.
 */
export function hubErrorToMlxk(failure: HubFailure, context: HubErrorContext): MlxkError | null {
  const {repoId, revision} = context
  const {code, status} = failure
  if (code === 'GatedRepo') {
    return new MlxkError(
      'access_denied',
      `Access denied: '${repoId}' is a gated model and ${context.hasToken ? 'your token has not been granted access' : 'no token is set'}.`,
      {
        details: {reason: 'gated'},
        hint: `Accept the model's terms on its Hub page, then ${context.hasToken ? 'retry' : TOKEN_HINT.charAt(0).toLowerCase() + TOKEN_HINT.slice(1)}`,
      },
    )
  }

  if (code === 'RevisionNotFound') {
    return new MlxkError('revision_not_found', `Revision '${revision}' not found for '${repoId}' on the Hub.`, {
      hint: 'Give a branch, tag or commit that exists in the repository (default: main).',
    })
  }

  if (code === 'RepoNotFound' || (status === 404 && code === null)) {
    return context.hasToken
      ? new MlxkError('model_not_found', `Model '${repoId}' was not found on the Hub (or your token cannot see it).`, {
          details: {reason: 'not_found'},
          hint: 'Check the spelling (org/name). If the model is private, use a token that can read it.',
        })
      : new MlxkError(
          'access_denied',
          `Access denied or not found: '${repoId}' does not exist on the Hub or is private.`,
          {
            details: {reason: 'not_found_or_private'},
            hint: `Check the spelling (org/name). If the model is private, ${TOKEN_HINT.charAt(0).toLowerCase() + TOKEN_HINT.slice(1)}`,
          },
        )
  }

  if (status === 401 || status === 403) {
    return new MlxkError(
      'access_denied',
      context.hasToken
        ? `The Hub rejected the token for '${repoId}' (HTTP ${status}).`
        : `Access denied to model '${repoId}' (HTTP ${status}).`,
      {
        details: {reason: context.hasToken ? 'invalid_token' : 'unauthorized'},
        hint: context.hasToken ? 'The token is invalid or expired: create a new one and set HF_TOKEN.' : TOKEN_HINT,
      },
    )
  }

  if (status !== null && status >= 400 && status < 500 && status !== 408 && status !== 429) {
    return new MlxkError('download_failed', `The Hub refused the request for '${repoId}' (HTTP ${status}).`, {
      hint: 'Check the model name and HF_ENDPOINT.',
    })
  }

  return null
}

export function isTransient(failure: HubFailure): boolean {
  return failure.status === null || failure.status === 408 || failure.status === 429 || failure.status >= 500
}
