import {createReadStream} from 'node:fs'
import type {Server} from 'node:http'
import type {AddressInfo} from 'node:net'
import {Readable} from 'node:stream'
import {createGzip} from 'node:zlib'

import Koa from 'koa'

import {FaultBook, shapeBody} from './faults.js'
import type {HubCommit, HubFile, HubRepo} from './repo-fixture.js'
import {createUploadSide, type UploadHubOptions, type UploadSide} from './upload-routes.js'

/**
 * A local Hugging Face Hub for tests and the bench, answering the routes, headers and error semantics that
 * huggingface_hub 2.4 and @huggingface/hub rely on (see shared docs/hub-protocol.md): model info, the paginated
 * tree, resolve with ETag / X-Repo-Commit / X-Linked-*, a 302 for LFS files to a CDN on another origin, Range and
 * 206/416, and 401/403/404 with X-Error-Code. Faults and traffic shaping are injectable per test.
 */
export interface TestHubOptions extends UploadHubOptions {
  /** Gzip non-LFS GETs that accept it (chunked, no Content-Length), as the Hub does for text files. */
  gzipText?: boolean
  /** Answer every file GET with 200 and the whole file, as a server without Range support does. */
  ignoreRange?: boolean
  /** Extra delay before every answer, hub and CDN, like a CDN round trip. */
  latencyMs?: number
  repos: HubRepo[]
  /** Per-response rate limit on file bodies (bytes per second). */
  throttleBytesPerSecond?: number
  /** Tokens of known users, besides those a repo grants. Any other token is "Invalid credentials". */
  tokens?: string[]
  treePageSize?: number
}

export interface RequestRecord {
  authorization: boolean
  method: string
  origin: 'cdn' | 'hub'
  range: null | string
  status: number
  url: string
}

export interface TestHub {
  /** Body bytes of file content sent per repo file path (hub and CDN together). */
  bytesServed: Map<string, number>
  cdnUrl: string
  close(): Promise<void>
  faults: FaultBook
  options: TestHubOptions
  requests: RequestRecord[]
  /** The write side (repo/branch creation, LFS uploads, commits): see upload-routes.ts. */
  upload: UploadSide
  url: string
}

interface ErrorAnswer {
  code?: string
  message: string
  status: number
}

function bearer(ctx: Koa.Context): null | string {
  const header = ctx.get('authorization')
  const match = /^Bearer\s+(.+)$/i.exec(header)
  return match ? (match[1] as string) : null
}

function sendError(ctx: Koa.Context, error: ErrorAnswer, commit?: string): void {
  ctx.status = error.status
  if (error.code) ctx.set('X-Error-Code', error.code)
  ctx.set('X-Error-Message', error.message)
  if (commit) ctx.set('X-Repo-Commit', commit)
  if (ctx.method === 'HEAD') emptyBody(ctx)
  else ctx.body = {error: error.message}
}

/** Koa turns a null body into 204; an empty string keeps the status (and a Content-Length set afterwards). */
function emptyBody(ctx: Koa.Context, length?: number): void {
  ctx.body = ''
  if (length !== undefined) ctx.set('Content-Length', String(length))
}

/** One parsed Range header against a size: the window to send, or 'unsatisfiable'. */
function parseRange(header: string, size: number): 'unsatisfiable' | null | {end: number; start: number} {
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim())
  if (!match) return null
  const [, from, to] = match as unknown as [string, string, string]
  if (from === '' && to === '') return null
  let start: number
  let end: number
  if (from === '') {
    start = Math.max(0, size - Number(to))
    end = size - 1
  } else {
    start = Number(from)
    end = to === '' ? size - 1 : Math.min(Number(to), size - 1)
  }

  if (start >= size || start > end) return 'unsatisfiable'
  return {end, start}
}

/** What the Hub serves of a gated repo to anyone, as it does the model info and the tree: the card and the LFS rules. */
const UNGATED_PATHS = new Set(['.gitattributes', 'README.md'])

/** 64 KiB slices, like a socket delivers them, so throttling and byte counting are smooth. */
function* chunked(buffer: Buffer): Generator<Buffer> {
  for (let offset = 0; offset < buffer.length; offset += 1 << 16) yield buffer.subarray(offset, offset + (1 << 16))
}

export async function startTestHub(options: TestHubOptions): Promise<TestHub> {
  const repos = new Map(options.repos.map((repo) => [repo.id, repo]))
  const faults = new FaultBook()
  const requests: RequestRecord[] = []
  const bytesServed = new Map<string, number>()
  const knownTokens = new Set(options.tokens ?? [])
  for (const repo of options.repos) for (const token of repo.grantedTokens) knownTokens.add(token)
  const lfsBlobs = new Map<string, HubFile>()
  for (const repo of options.repos) {
    for (const commit of repo.commits.values())
      for (const file of commit.files.values()) if (file.lfs) lfsBlobs.set(file.lfs.sha256, file)
  }

  const hub = new Koa()
  const cdn = new Koa()
  // Dropped connections are the point of several faults; Koa would log each one.
  hub.silent = true
  cdn.silent = true
  let hubUrl = ''
  let cdnUrl = ''

  const record =
    (origin: 'cdn' | 'hub'): Koa.Middleware =>
    async (ctx, next) => {
      if (options.latencyMs) await new Promise((resolve) => setTimeout(resolve, options.latencyMs))
      try {
        await next()
      } finally {
        requests.push({
          authorization: ctx.get('authorization') !== '',
          method: ctx.method,
          origin,
          range: ctx.get('range') || null,
          status: ctx.status,
          url: ctx.url,
        })
      }
    }

  /** Whether this caller may read the repo at all (API and files): the private/missing semantics. */
  const repoAccess = (ctx: Koa.Context, id: string): ErrorAnswer | HubRepo => {
    const token = bearer(ctx)
    if (token !== null && !knownTokens.has(token)) {
      return {message: 'Invalid credentials in Authorization header', status: 401}
    }

    const repo = repos.get(id)
    const visible = repo && (!repo.private || (token !== null && repo.grantedTokens.has(token)))
    if (!repo || !visible) {
      // The Hub does not tell a private repo from a missing one; anonymous callers get 401.
      return token === null
        ? {code: 'RepoNotFound', message: 'Invalid username or password.', status: 401}
        : {code: 'RepoNotFound', message: 'Repository not found', status: 404}
    }

    return repo
  }

  const resolveRevision = (repo: HubRepo, revision: string): HubCommit | null => {
    const sha = repo.refs.get(revision) ?? (repo.commits.has(revision) ? revision : undefined)
    return sha === undefined ? null : (repo.commits.get(sha) ?? null)
  }

  const revisionError = (revision: string): ErrorAnswer => ({
    code: 'RevisionNotFound',
    message: `Invalid rev id: ${revision}`,
    status: 404,
  })

  const fileEntry = (file: HubFile) => ({
    ...(file.lfs ? {lfs: {oid: file.lfs.sha256, pointerSize: file.lfs.pointer.length, size: file.size}} : {}),
    oid: file.blobId,
    path: file.path,
    size: file.size,
    type: 'file' as const,
  })

  const modelInfo = (ctx: Koa.Context, repo: HubRepo, commit: HubCommit): void => {
    const files = [...commit.files.values()].sort((a, b) => (a.path < b.path ? -1 : 1))
    const blobs = ctx.query.blobs === 'true' || ctx.query.blobs === '1'
    ctx.body = {
      _id: commit.sha.slice(0, 24),
      author: repo.id.split('/')[0],
      createdAt: '2026-01-01T00:00:00.000Z',
      disabled: false,
      downloads: 0,
      gated: repo.gated,
      id: repo.id,
      lastModified: '2026-01-02T00:00:00.000Z',
      library_name: 'mlx',
      likes: 0,
      modelId: repo.id,
      pipeline_tag: 'text-generation',
      private: repo.private,
      sha: commit.sha,
      siblings: files.map((file) =>
        blobs
          ? {
              blobId: file.blobId,
              rfilename: file.path,
              size: file.size,
              ...(file.lfs
                ? {lfs: {pointerSize: file.lfs.pointer.length, sha256: file.lfs.sha256, size: file.size}}
                : {}),
            }
          : {rfilename: file.path},
      ),
      tags: ['mlx'],
    }
  }

  const tree = (ctx: Koa.Context, commit: HubCommit, prefix: string): void => {
    const recursive = ctx.query.recursive === 'true' || ctx.query.recursive === 'True' || ctx.query.recursive === '1'
    const base = prefix === '' ? '' : `${prefix.replace(/\/$/, '')}/`
    const entries: Array<Record<string, unknown>> = []
    const dirs = new Set<string>()
    for (const file of [...commit.files.values()].sort((a, b) => (a.path < b.path ? -1 : 1))) {
      if (!file.path.startsWith(base)) continue
      const rest = file.path.slice(base.length)
      const parts = rest.split('/')
      for (let i = 1; i < parts.length; i++) {
        if (!recursive && i > 1) break
        dirs.add(base + parts.slice(0, i).join('/'))
      }

      if (recursive || parts.length === 1) entries.push(fileEntry(file))
    }

    if (base !== '' && entries.length === 0 && dirs.size === 0) {
      sendError(
        ctx,
        {code: 'EntryNotFound', message: `${prefix} does not exist on "${commit.sha}"`, status: 404},
        commit.sha,
      )
      return
    }

    for (const dir of [...dirs].sort()) entries.push({oid: '0'.repeat(40), path: dir, size: 0, type: 'directory'})
    const pageSize = options.treePageSize ?? 1000
    const cursor = Number(ctx.query.cursor ?? 0)
    const page = entries.slice(cursor, cursor + pageSize)
    if (cursor + pageSize < entries.length) {
      const next = new URL(ctx.url, hubUrl)
      next.searchParams.set('cursor', String(cursor + pageSize))
      ctx.set('Link', `<${next.toString()}>; rel="next"`)
    }

    ctx.body = page
  }

  /** Streams `[start, end]` of a file's content, with the faults and shaping of this request. */
  const sendContent = (ctx: Koa.Context, file: HubFile, allowGzip: boolean): void => {
    ctx.set('Accept-Ranges', 'bytes')
    ctx.set('Content-Type', 'application/octet-stream')
    ctx.set('Content-Disposition', `inline; filename*=UTF-8''${encodeURIComponent(file.path.split('/').pop() ?? '')}`)
    const rangeHeader = options.ignoreRange ? '' : ctx.get('range')
    let start = 0
    let end = file.size - 1
    if (rangeHeader) {
      const range = parseRange(rangeHeader, file.size)
      if (range === 'unsatisfiable') {
        ctx.status = 416
        ctx.set('Content-Range', `bytes */${file.size}`)
        emptyBody(ctx)
        return
      }

      if (range) {
        ;({end, start} = range)
        ctx.status = 206
        ctx.set('Content-Range', `bytes ${start}-${end}/${file.size}`)
      }
    }

    if (ctx.method === 'HEAD') {
      ctx.status = ctx.status === 206 ? 206 : 200
      emptyBody(ctx, end - start + 1)
      return
    }

    const fault = faults.take('file', file.path)
    if (fault?.kind === 'status') {
      if (fault.retryAfter !== undefined) ctx.set('Retry-After', String(fault.retryAfter))
      ctx.remove('Content-Range')
      ctx.status = fault.status ?? 503
      ctx.body = {error: 'injected failure'}
      return
    }

    const source =
      file.size === 0
        ? Readable.from([])
        : file.inline
          ? Readable.from(chunked(file.inline.subarray(start, end + 1)))
          : createReadStream(file.diskPath as string, {end, highWaterMark: 1 << 16, start})
    const shaped = source.pipe(
      shapeBody({
        ...(options.throttleBytesPerSecond ? {bytesPerSecond: options.throttleBytesPerSecond} : {}),
        fault,
        onBytes: (n) => bytesServed.set(file.path, (bytesServed.get(file.path) ?? 0) + n),
        onDrop: () => ctx.req.socket.destroy(),
      }),
    )
    const gzip = allowGzip && !file.lfs && ctx.status !== 206 && /\bgzip\b/.test(ctx.get('accept-encoding'))
    if (gzip) {
      ctx.set('Content-Encoding', 'gzip')
      ctx.body = shaped.pipe(createGzip())
      ctx.remove('Content-Length')
    } else {
      ctx.body = shaped
      ctx.length = end - start + 1
    }

    if (ctx.status !== 206) ctx.status = 200
  }

  const resolveFile = (ctx: Koa.Context, repo: HubRepo, revision: string, path: string): void => {
    const commit = resolveRevision(repo, revision)
    if (!commit) return sendError(ctx, revisionError(revision))
    const file = commit.files.get(path)
    if (!file) return sendError(ctx, {code: 'EntryNotFound', message: 'Entry not found', status: 404}, commit.sha)
    if (repo.gated && !UNGATED_PATHS.has(path)) {
      const token = bearer(ctx)
      if (token === null || !repo.grantedTokens.has(token)) {
        const message = `Access to model ${repo.id} is restricted. You must have access to it and be authenticated to access it. Please log in.`
        return sendError(ctx, {code: 'GatedRepo', message, status: token === null ? 401 : 403}, commit.sha)
      }
    }

    ctx.set('X-Repo-Commit', commit.sha)
    ctx.set('ETag', `"${file.blobId}"`)
    if (file.lfs) {
      const location = new URL(`/repos/${repo.id}/${file.lfs.sha256}`, cdnUrl)
      location.searchParams.set('response-content-disposition', `inline; filename="${file.path.split('/').pop()}"`)
      location.searchParams.set('X-Amz-Signature', 'test')
      ctx.set('X-Linked-Etag', `"${file.lfs.sha256}"`)
      ctx.set('X-Linked-Size', String(file.size))
      ctx.status = 302
      ctx.set('Location', location.toString())
      emptyBody(ctx)
      return
    }

    sendContent(ctx, file, options.gzipText ?? false)
  }

  const segments = (path: string): string[] =>
    path
      .split('/')
      .filter(Boolean)
      .map((s) => decodeURIComponent(s))

  const upload = createUploadSide({cdnUrl: () => cdnUrl, hubUrl: () => hubUrl, knownTokens, lfsBlobs, options, repos})
  hub.use(record('hub'))
  hub.use(upload.hubRoutes)
  hub.use(async (ctx) => {
    const parts = segments(ctx.path)
    if (parts[0] === 'api' && parts[1] === 'models' && parts.length >= 4) {
      const fault = faults.take('api', null)
      if (fault?.kind === 'status') return sendError(ctx, {message: 'injected failure', status: fault.status ?? 500})
      if (fault?.kind === 'stall') await new Promise((resolve) => setTimeout(resolve, fault.ms ?? 60_000))
      const id = `${parts[2]}/${parts[3]}`
      const access = repoAccess(ctx, id)
      if (!('commits' in access)) return sendError(ctx, access)
      const action = parts[4]
      const revision = parts[5] ?? 'main'
      if (action === undefined || action === 'revision') {
        const commit = resolveRevision(access, action === undefined ? 'main' : revision)
        if (!commit) return sendError(ctx, revisionError(revision))
        return modelInfo(ctx, access, commit)
      }

      if (action === 'tree') {
        const commit = resolveRevision(access, revision)
        if (!commit) return sendError(ctx, revisionError(revision))
        return tree(ctx, commit, parts.slice(6).join('/'))
      }

      return sendError(ctx, {message: 'Not implemented by the test hub', status: 404})
    }

    if (parts.length >= 5 && parts[2] === 'resolve' && (ctx.method === 'GET' || ctx.method === 'HEAD')) {
      if (ctx.method === 'HEAD') {
        const fault = faults.take('head', parts.slice(4).join('/'))
        if (fault?.kind === 'status') return sendError(ctx, {message: 'injected failure', status: fault.status ?? 500})
      }

      const access = repoAccess(ctx, `${parts[0]}/${parts[1]}`)
      if (!('commits' in access)) return sendError(ctx, access)
      return resolveFile(ctx, access, parts[3] as string, parts.slice(4).join('/'))
    }

    sendError(ctx, {message: 'Not Found', status: 404})
  })

  cdn.use(record('cdn'))
  cdn.use(upload.storageRoutes)
  cdn.use(async (ctx) => {
    const parts = segments(ctx.path)
    const file = parts[0] === 'repos' ? lfsBlobs.get(parts.at(-1) ?? '') : undefined
    if (!file || (ctx.method !== 'GET' && ctx.method !== 'HEAD')) {
      ctx.status = 404
      ctx.body = 'NoSuchKey'
      return
    }

    if (ctx.get('authorization')) {
      // A signed storage URL rejects a second credential, as S3 does.
      ctx.status = 400
      ctx.body = 'Only one auth mechanism allowed'
      return
    }

    sendContent(ctx, file, false)
  })

  const listen = (app: Koa) =>
    new Promise<Server>((resolve) => {
      const server = app.listen(0, '127.0.0.1', () => resolve(server))
    })
  const [hubServer, cdnServer] = await Promise.all([listen(hub), listen(cdn)])
  hubUrl = `http://127.0.0.1:${(hubServer.address() as AddressInfo).port}`
  cdnUrl = `http://127.0.0.1:${(cdnServer.address() as AddressInfo).port}`
  const close = (server: Server) =>
    new Promise<void>((resolve) => {
      server.closeAllConnections()
      server.close(() => resolve())
    })
  return {
    bytesServed,
    cdnUrl,
    close: async () => {
      await Promise.all([close(hubServer), close(cdnServer)])
    },
    faults,
    options,
    requests,
    upload,
    url: hubUrl,
  }
}
