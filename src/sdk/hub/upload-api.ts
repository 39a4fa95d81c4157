import type {CommitOperation, CommitOutput, CommitProgressEvent} from '@huggingface/hub'

import {sameOrigin} from './endpoint.js'
import {HubCallError} from './hub-api.js'

/**
 * The write side of the Hub (create repo, create branch, commit with LFS uploads) through @huggingface/hub, with
 * mlxk's token rules: the token goes only to the Hub's own origin (never to the storage URL an LFS upload PUTs
 * to), tokens that do not start with `hf_` still work, and failures keep the Hub's status and `X-Error-Code`.
 */
export interface UploadApiParams {
  accessToken: string
  fetch?: typeof fetch
  hubUrl: string
  /** Bytes of an LFS object sent so far (per PUT chunk), for the upload display. */
  onUploadBytes?: (path: string, bytes: number) => void
  repoId: string
}

/** A refused or failed write, with what the Hub said; a subclass so push can tell writes from reads. */
export class UploadCallError extends HubCallError {
  override readonly name = 'UploadCallError'
}

interface ProgressHint {
  path?: string
}

interface Session {
  fetch: typeof fetch
  lastCode: null | string
  libraryToken: {accessToken?: string}
}

/**
 * The library accepts only `hf_…` tokens and sends them itself; any other token (a proxy's, an enterprise
 * gateway's) is added here as a header, on Hub-origin requests only. A PUT of an LFS object gets a counting body
 * so the display shows bytes and speed while the library keeps its own Content-Length.
 */
function session(params: UploadApiParams): Session {
  const base = params.fetch ?? fetch
  const headerToken = params.accessToken.startsWith('hf_') ? undefined : params.accessToken
  const state: Session = {
    fetch: async (input, init) => {
      const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url
      const headers = new Headers(init?.headers)
      if (headerToken && sameOrigin(url, params.hubUrl)) headers.set('Authorization', `Bearer ${headerToken}`)
      let body = init?.body
      const hint = (init as (RequestInit & {progressHint?: ProgressHint}) | undefined)?.progressHint
      if (params.onUploadBytes && hint?.path && body instanceof Blob && init?.method === 'PUT') {
        const path = hint.path
        body = new CountingBlob(body, (n) => params.onUploadBytes?.(path, n))
      }

      const response = await base(input, {...init, body, headers})
      state.lastCode = response.ok ? null : response.headers.get('x-error-code')
      return response
    },
    lastCode: null,
    libraryToken: headerToken ? {} : {accessToken: params.accessToken},
  }
  return state
}

function toUploadError(error: unknown, s: Session): UploadCallError {
  if (error instanceof UploadCallError) return error
  const status =
    typeof (error as {statusCode?: unknown})?.statusCode === 'number'
      ? (error as {statusCode: number}).statusCode
      : null
  const name = (error as {name?: unknown})?.name
  const message = error instanceof Error ? error.message : String(error)
  return new UploadCallError(
    message,
    {code: status === null ? null : s.lastCode, status, timedOut: name === 'TimeoutError'},
    {cause: error},
  )
}

/** Creates a private model repo; an existing one (409) is not an error, as huggingface_hub's `exist_ok`. */
export async function createPrivateRepo(params: UploadApiParams): Promise<{created: boolean}> {
  const {createRepo} = await import('@huggingface/hub')
  const s = session(params)
  try {
    await createRepo({
      ...s.libraryToken,
      accessToken: s.libraryToken.accessToken ?? '',
      fetch: s.fetch,
      hubUrl: params.hubUrl,
      repo: {name: params.repoId, type: 'model'},
      visibility: 'private',
    })
    return {created: true}
  } catch (error) {
    const failure = toUploadError(error, s)
    if (failure.failure.status === 409) return {created: false}
    throw failure
  }
}

/** A branch starting at the default branch's head (or `revision`). */
export async function createRemoteBranch(params: UploadApiParams & {branch: string; revision?: string}): Promise<void> {
  const {createBranch} = await import('@huggingface/hub')
  const s = session(params)
  try {
    await createBranch({
      ...s.libraryToken,
      branch: params.branch,
      fetch: s.fetch,
      hubUrl: params.hubUrl,
      repo: {name: params.repoId, type: 'model'},
      ...(params.revision ? {revision: params.revision} : {}),
    })
  } catch (error) {
    throw toUploadError(error, s)
  }
}

export interface CommitRequest {
  branch: string
  operations: CommitOperation[]
  /** The commit the diff was made against: the Hub refuses the commit if the branch moved meanwhile. */
  parentCommit?: string
  signal?: AbortSignal
  title: string
}

/**
 * One commit: preupload, LFS batch (objects the Hub already holds are skipped, which is what makes a re-run after
 * an interruption cheap), uploads, then the commit call. The library negotiates the transport (Xet, multipart or
 * basic LFS) with the Hub. Progress events are passed through.
 */
export async function* commitChanges(
  params: UploadApiParams & CommitRequest,
): AsyncGenerator<CommitProgressEvent, CommitOutput> {
  const {commitIter} = await import('@huggingface/hub')
  const s = session(params)
  try {
    const output = yield* commitIter({
      ...s.libraryToken,
      ...(params.signal ? {abortSignal: params.signal} : {}),
      branch: params.branch,
      fetch: s.fetch,
      hubUrl: params.hubUrl,
      operations: params.operations,
      ...(params.parentCommit ? {parentCommit: params.parentCommit} : {}),
      repo: {name: params.repoId, type: 'model'},
      title: params.title,
    })
    if (!output?.commit?.oid)
      throw new UploadCallError('The Hub answered the commit without a commit id', {
        code: null,
        status: 502,
        timedOut: false,
      })
    return output
  } catch (error) {
    throw toUploadError(error, s)
  }
}

/** A Blob that reports bytes as fetch streams it; size and slicing stay the file's. */
class CountingBlob extends Blob {
  readonly #inner: Blob
  readonly #onBytes: (bytes: number) => void

  constructor(inner: Blob, onBytes: (bytes: number) => void) {
    super([])
    this.#inner = inner
    this.#onBytes = onBytes
  }

  override get size(): number {
    return this.#inner.size
  }

  override get type(): string {
    return this.#inner.type
  }

  override arrayBuffer(): Promise<ArrayBuffer> {
    return this.#inner.arrayBuffer()
  }

  override bytes(): Promise<Uint8Array<ArrayBuffer>> {
    return this.#inner.bytes()
  }

  override slice(start?: number, end?: number, contentType?: string): Blob {
    return this.#inner.slice(start, end, contentType)
  }

  override stream(): ReadableStream<Uint8Array<ArrayBuffer>> {
    const onBytes = this.#onBytes
    return this.#inner.stream().pipeThrough(
      new TransformStream<Uint8Array<ArrayBuffer>, Uint8Array<ArrayBuffer>>({
        transform(chunk, controller) {
          onBytes(chunk.byteLength)
          controller.enqueue(chunk)
        },
      }),
    )
  }

  override text(): Promise<string> {
    return this.#inner.text()
  }
}
