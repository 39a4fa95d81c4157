import type {HubFailure} from './hub-errors.js'
import type {RemoteFile, RemoteSnapshot} from './remote-file.js'

export interface HubApiParams {
  accessToken?: string | undefined
  /** Injected for tests; global fetch otherwise. */
  fetch?: typeof fetch
  hubUrl: string
  repoId: string
  /** Branch, tag or commit; `main` when absent. */
  revision: string
  /** Per request, so a dead network degrades quickly instead of hanging the pull. */
  timeoutMs: number
}

/** A failed Hub call, with the parts of the answer mlxk maps to its error types. */
export class HubCallError extends Error {
  readonly failure: HubFailure

  constructor(message: string, failure: HubFailure, options?: {cause?: unknown}) {
    super(message, options)
    this.name = 'HubCallError'
    this.failure = failure
  }
}

interface Recorder {
  fetch: typeof fetch
  lastCode: null | string
}

/**
 * @huggingface/hub's errors carry the status but drop the response headers, and `X-Error-Code` is what tells a
 * gated repo from a missing one. This fetch records it, and puts a timeout on every call.
 */
function recordingFetch(base: typeof fetch, timeoutMs: number, headerToken?: string): Recorder {
  const recorder: Recorder = {
    fetch: async (input, init) => {
      const signal = AbortSignal.timeout(timeoutMs)
      const headers = new Headers(init?.headers)
      if (headerToken) headers.set('Authorization', `Bearer ${headerToken}`)
      const response = await base(input, {
        ...init,
        headers,
        signal: init?.signal ? AbortSignal.any([init.signal, signal]) : signal,
      })
      recorder.lastCode = response.ok ? null : response.headers.get('x-error-code')
      return response
    },
    lastCode: null,
  }
  return recorder
}

/**
 * The library insists on tokens that start with `hf_` (all current Hub tokens do); any other token, e.g. a
 * proxy's, is sent as a plain header instead of failing before the request.
 */
function credentials(params: HubApiParams): {headerToken: string | undefined; libraryToken: {accessToken?: string}} {
  const token = params.accessToken
  if (!token) return {headerToken: undefined, libraryToken: {}}
  return token.startsWith('hf_')
    ? {headerToken: undefined, libraryToken: {accessToken: token}}
    : {headerToken: token, libraryToken: {}}
}

function toHubCallError(error: unknown, recorder: Recorder): HubCallError {
  const status =
    typeof (error as {statusCode?: unknown})?.statusCode === 'number'
      ? (error as {statusCode: number}).statusCode
      : null
  const name = (error as {name?: unknown})?.name
  const timedOut = name === 'TimeoutError' || name === 'AbortError'
  const message = error instanceof Error ? error.message : String(error)
  return new HubCallError(message, {code: status === null ? null : recorder.lastCode, status, timedOut}, {cause: error})
}

/** The commit a revision names, and whether the repo is gated or private. */
export async function fetchRepoInfo(params: HubApiParams): Promise<Omit<RemoteSnapshot, 'files'>> {
  const {modelInfo} = await import('@huggingface/hub')
  const {headerToken, libraryToken} = credentials(params)
  const recorder = recordingFetch(params.fetch ?? fetch, params.timeoutMs, headerToken)
  try {
    const info = await modelInfo({
      ...libraryToken,
      additionalFields: ['sha'],
      fetch: recorder.fetch,
      hubUrl: params.hubUrl,
      name: params.repoId,
      revision: params.revision,
    })
    if (typeof info.sha !== 'string' || !/^[0-9a-f]{40}$/.test(info.sha)) {
      throw new HubCallError(`The Hub gave no commit for ${params.repoId}@${params.revision}`, {
        code: null,
        status: 502,
        timedOut: false,
      })
    }

    return {commit: info.sha, gated: info.gated ?? false, private: info.private ?? false, repoId: params.repoId}
  } catch (error) {
    if (error instanceof HubCallError) throw error
    throw toHubCallError(error, recorder)
  }
}

/** Every file of the commit (the tree listing, recursively, all pages). */
export async function fetchFileList(params: HubApiParams & {commit: string}): Promise<RemoteFile[]> {
  const {listFiles} = await import('@huggingface/hub')
  const {headerToken, libraryToken} = credentials(params)
  const recorder = recordingFetch(params.fetch ?? fetch, params.timeoutMs, headerToken)
  const files: RemoteFile[] = []
  try {
    for await (const entry of listFiles({
      ...libraryToken,
      fetch: recorder.fetch,
      hubUrl: params.hubUrl,
      recursive: true,
      repo: {name: params.repoId, type: 'model'},
      revision: params.commit,
    })) {
      if (entry.type !== 'file') continue
      files.push({
        blobId: entry.oid ?? '',
        lfsSha256: entry.lfs?.oid ?? null,
        path: entry.path,
        size: entry.size,
        xetHash: entry.xetHash ?? null,
      })
    }
  } catch (error) {
    throw toHubCallError(error, recorder)
  }

  return files
}

/** What the Hub serves of a gated repo to anyone, as it does the model info and the tree. */
const UNGATED_PATHS = new Set(['.gitattributes', 'README.md'])

/**
 * The file to probe for a gated repo: one the gate covers, since the Hub answers 200 for the card and the LFS
 * rules whatever the caller may read. The largest LFS file, else the largest file: what the pull needs most.
 * Null when none of `files` is gated, and the pull needs no access beyond what anyone has.
 */
export function gateProbeTarget(files: RemoteFile[]): null | RemoteFile {
  const gated = files.filter((file) => !UNGATED_PATHS.has(file.path))
  const lfsFirst = (a: RemoteFile, b: RemoteFile) =>
    Number(b.lfsSha256 !== null) - Number(a.lfsSha256 !== null) || b.size - a.size
  return gated.sort(lfsFirst)[0] ?? null
}

/**
 * Whether the caller may download files of the repo: a gated repo shows its model info to anyone, and only a
 * request for a file the gate covers answers 401/403 `GatedRepo`. The redirect is not followed; the Hub's own
 * answer is the verdict.
 */
export async function probeFileAccess(params: HubApiParams & {commit: string; path: string}): Promise<void> {
  const url = resolveUrl(params.hubUrl, params.repoId, params.commit, params.path)
  const headers: Record<string, string> = {'Accept-Encoding': 'identity', Range: 'bytes=0-0'}
  if (params.accessToken) headers.Authorization = `Bearer ${params.accessToken}`
  let response: Response
  try {
    response = await (params.fetch ?? fetch)(url, {
      headers,
      redirect: 'manual',
      signal: AbortSignal.timeout(params.timeoutMs),
    })
  } catch (error) {
    const name = (error as {name?: unknown})?.name
    throw new HubCallError(String(error), {code: null, status: null, timedOut: name === 'TimeoutError'}, {cause: error})
  }

  await response.body?.cancel().catch(() => {})
  if (response.status >= 400) {
    throw new HubCallError(`HTTP ${response.status}`, {
      code: response.headers.get('x-error-code'),
      status: response.status,
      timedOut: false,
    })
  }
}

/** `{hub}/{repo}/resolve/{commit}/{path}`, each path segment escaped as huggingface_hub's `hf_hub_url` does. */
export function resolveUrl(hubUrl: string, repoId: string, commit: string, path: string): string {
  return `${hubUrl}/${repoId}/resolve/${encodeURIComponent(commit)}/${path.split('/').map(encodeURIComponent).join('/')}`
}
