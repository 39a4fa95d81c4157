import {createHash} from 'node:crypto'

import type Koa from 'koa'

import {type HubCommit, type HubFile, type HubRepo, lfsPointer} from './repo-fixture.js'

/**
 * The write side of the test hub, as the real Hub answers @huggingface/hub's `createRepo`, `createBranch` and
 * `commit`: preupload (regular vs LFS), the git-lfs batch API with the **basic** transfer only (no Xet, no
 * multipart: the client falls back to basic when the Hub offers nothing else), a presigned-style PUT to the
 * storage origin, verify, and the NDJSON commit. Objects the repo already holds get no upload action, which is
 * how a re-run after an interruption skips what already arrived.
 */
export interface UploadHubOptions {
  /** Token → namespaces it may write to (its user name and organizations). Other known tokens are read-only. */
  writers?: Record<string, string[]>
}

export interface UploadFault {
  /** Cut the connection instead of answering. */
  drop?: boolean
  on: 'batch' | 'branch' | 'commit' | 'create' | 'lfs_put' | 'preupload'
  status?: number
  /** How many matching requests it hits (default 1). */
  times?: number
}

export interface UploadSide {
  /** Commits made through the commit API, in order. */
  commits: Array<{branch: string; operations: number; repoId: string; sha: string}>
  faults: {add(...faults: UploadFault[]): void; clear(): void}
  hubRoutes: Koa.Middleware
  /** sha256 of every LFS object stored by a PUT, in order (a re-uploaded object appears twice). */
  lfsPuts: string[]
  storageRoutes: Koa.Middleware
}

export interface UploadContext {
  cdnUrl: () => string
  hubUrl: () => string
  knownTokens: Set<string>
  lfsBlobs: Map<string, HubFile>
  options: UploadHubOptions
  repos: Map<string, HubRepo>
}

interface Refusal {
  code?: string
  message: string
  status: number
}

// The Hub's default .gitattributes for model repos (abridged): what it stores in LFS without being asked.
const LFS_PATTERNS = [
  '*.7z',
  '*.bin',
  '*.ckpt',
  '*.gguf',
  '*.h5',
  '*.model',
  '*.msgpack',
  '*.npz',
  '*.onnx',
  '*.pt',
  '*.pth',
  '*.safetensors',
  '*.tar',
  '*.tflite',
  '*.zip',
]
const GITATTRIBUTES = LFS_PATTERNS.map((p) => `${p} filter=lfs diff=lfs merge=lfs -text`).join('\n') + '\n'
const LFS_REGEX = new RegExp(`(${LFS_PATTERNS.map((p) => p.replace('*.', '\\.')).join('|')})$`, 'i')
const REGULAR_MAX_BYTES = 10 * 1024 * 1024

function gitBlobSha1(content: Buffer): string {
  return createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex')
}

function bearer(ctx: Koa.Context): null | string {
  const match = /^Bearer\s+(.+)$/i.exec(ctx.get('authorization'))
  return match ? (match[1] as string) : null
}

async function readBody(ctx: Koa.Context): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of ctx.req) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

function refuse(ctx: Koa.Context, refusal: Refusal): void {
  ctx.status = refusal.status
  if (refusal.code) ctx.set('X-Error-Code', refusal.code)
  ctx.set('X-Error-Message', refusal.message)
  ctx.body = {error: refusal.message}
}

export function createUploadSide(context: UploadContext): UploadSide {
  const {knownTokens, repos} = context
  const writers = context.options.writers ?? {}
  for (const token of Object.keys(writers)) knownTokens.add(token)
  const stored = new Map<string, Map<string, Buffer>>()
  const faultList: Array<Required<Pick<UploadFault, 'times'>> & UploadFault> = []
  const side: UploadSide = {
    commits: [],
    faults: {
      add: (...faults) => faultList.push(...faults.map((f) => ({...f, times: f.times ?? 1}))),
      clear: () => void (faultList.length = 0),
    },
    hubRoutes: async (ctx, next) => {
      if (ctx.method !== 'POST') return next()
      const parts = ctx.path
        .split('/')
        .filter(Boolean)
        .map((s) => decodeURIComponent(s))
      if (parts.join('/') === 'api/repos/create') return createRepo(ctx)
      if (parts[0] === 'api' && parts[1] === 'models' && parts.length >= 6) {
        const action = parts[4]
        const repoId = `${parts[2]}/${parts[3]}`
        const rev = parts.slice(5).join('/')
        if (action === 'preupload') return guarded(ctx, 'preupload', repoId, (repo) => preupload(ctx, repo, rev))
        if (action === 'commit') return guarded(ctx, 'commit', repoId, (repo) => commit(ctx, repo, rev))
        if (action === 'branch') return guarded(ctx, 'branch', repoId, (repo) => branch(ctx, repo, rev))
      }

      if (parts.length === 6 && parts[1]?.endsWith('.git') && parts.slice(2, 5).join('/') === 'info/lfs/objects') {
        const repoId = `${parts[0]}/${parts[1].slice(0, -4)}`
        if (parts[5] === 'batch') return guarded(ctx, 'batch', repoId, (repo) => batch(ctx, repo))
        if (parts[5] === 'verify') return guarded(ctx, null, repoId, (repo) => verify(ctx, repo))
      }

      return next()
    },
    lfsPuts: [],
    storageRoutes: async (ctx, next) => {
      const parts = ctx.path
        .split('/')
        .filter(Boolean)
        .map((s) => decodeURIComponent(s))
      if (ctx.method !== 'PUT' || parts[0] !== 'upload' || parts.length !== 4) return next()
      return storeObject(ctx, `${parts[1]}/${parts[2]}`, parts[3] as string)
    },
  }

  const takeFault = (on: UploadFault['on']): null | UploadFault => {
    const index = faultList.findIndex((f) => f.on === on)
    if (index === -1) return null
    const fault = faultList[index] as Required<Pick<UploadFault, 'times'>> & UploadFault
    if (--fault.times <= 0) faultList.splice(index, 1)
    return fault
  }

  /** Applies a fault: true when the request was answered (or its connection cut) by it. */
  const injected = (ctx: Koa.Context, on: UploadFault['on']): boolean => {
    const fault = takeFault(on)
    if (!fault) return false
    if (fault.drop) ctx.req.socket.destroy()
    else refuse(ctx, {message: 'injected failure', status: fault.status ?? 500})
    return true
  }

  /** The real Hub's order: no token 401, unknown token 401, invisible repo 404, read-only token 403. */
  const writeAccess = (ctx: Koa.Context, repoId: string): HubRepo | Refusal => {
    const token = bearer(ctx)
    if (token === null) return {message: 'Invalid username or password.', status: 401}
    if (!knownTokens.has(token)) return {message: 'Invalid credentials in Authorization header', status: 401}
    const repo = repos.get(repoId)
    if (!repo || (repo.private && !repo.grantedTokens.has(token) && !canWrite(token, repoId))) {
      return {code: 'RepoNotFound', message: 'Repository not found', status: 404}
    }

    if (!canWrite(token, repoId)) return {message: `You don't have the rights to push to ${repoId}`, status: 403}
    return repo
  }

  const canWrite = (token: string, repoId: string): boolean =>
    (writers[token] ?? []).includes(repoId.split('/')[0] as string)

  const guarded = async (
    ctx: Koa.Context,
    fault: null | UploadFault['on'],
    repoId: string,
    handle: (repo: HubRepo) => Promise<void> | void,
  ) => {
    if (fault && injected(ctx, fault)) return
    const access = writeAccess(ctx, repoId)
    if (!('commits' in access)) return refuse(ctx, access)
    await handle(access)
  }

  const head = (repo: HubRepo, rev: string): HubCommit | null => {
    const sha = repo.refs.get(rev)
    return sha === undefined ? null : (repo.commits.get(sha) ?? null)
  }

  const hasObject = (repo: HubRepo, oid: string): boolean => {
    if (stored.get(repo.id)?.has(oid)) return true
    for (const c of repo.commits.values()) for (const f of c.files.values()) if (f.lfs?.sha256 === oid) return true
    return false
  }

  const objectContent = (repo: HubRepo, oid: string): Buffer | null => {
    const own = stored.get(repo.id)?.get(oid)
    if (own) return own
    const file = context.lfsBlobs.get(oid)
    return file?.inline ?? null
  }

  const createRepo = async (ctx: Koa.Context): Promise<void> => {
    if (injected(ctx, 'create')) return
    const body = JSON.parse((await readBody(ctx)).toString('utf8') || '{}') as {
      name?: string
      organization?: string
      private?: boolean
      visibility?: string
    }
    const token = bearer(ctx)
    if (token === null) return refuse(ctx, {message: 'Invalid username or password.', status: 401})
    if (!knownTokens.has(token))
      return refuse(ctx, {message: 'Invalid credentials in Authorization header', status: 401})
    const namespace = body.organization ?? writers[token]?.[0]
    const id = `${namespace}/${body.name}`
    if (!namespace || !canWrite(token, id)) {
      return refuse(ctx, {
        message: `You don't have the rights to create a model under the namespace "${namespace}"`,
        status: 403,
      })
    }

    if (repos.has(id)) return refuse(ctx, {message: 'You already created this model repo', status: 409})
    // Like the Hub: a new repo starts with one commit holding the default .gitattributes.
    const attributes = Buffer.from(GITATTRIBUTES)
    const file: HubFile = {
      blobId: gitBlobSha1(attributes),
      inline: attributes,
      lfs: null,
      path: '.gitattributes',
      size: attributes.length,
    }
    const sha = createHash('sha1').update(`${id}\ninitial commit`).digest('hex')
    const repo: HubRepo = {
      commits: new Map([[sha, {files: new Map([[file.path, file]]), sha}]]),
      gated: false,
      grantedTokens: new Set([token]),
      id,
      private: body.visibility === 'private' || body.private === true,
      refs: new Map([['main', sha]]),
    }
    repos.set(id, repo)
    ctx.body = {id, name: id, url: `${context.hubUrl()}/${id}`}
  }

  const preupload = async (ctx: Koa.Context, repo: HubRepo, rev: string): Promise<void> => {
    if (!head(repo, rev)) return refuse(ctx, {code: 'RevisionNotFound', message: `Invalid rev id: ${rev}`, status: 404})
    const body = JSON.parse((await readBody(ctx)).toString('utf8')) as {
      files: Array<{path: string; sample: string; size: number}>
    }
    ctx.body = {
      files: body.files.map((f) => {
        const binary = Buffer.from(f.sample, 'base64').includes(0)
        const lfs = LFS_REGEX.test(f.path) || f.size >= REGULAR_MAX_BYTES || binary
        return {path: f.path, shouldIgnore: false, uploadMode: lfs ? 'lfs' : 'regular'}
      }),
    }
  }

  const batch = async (ctx: Koa.Context, repo: HubRepo): Promise<void> => {
    const body = JSON.parse((await readBody(ctx)).toString('utf8')) as {
      objects: Array<{oid: string; size: number}>
      operation: string
      transfers?: string[]
    }
    if (body.operation !== 'upload') return refuse(ctx, {message: 'Only uploads are served here', status: 422})
    if (body.transfers && !body.transfers.includes('basic'))
      return refuse(ctx, {message: 'No supported transfer', status: 422})
    const storage = context.cdnUrl()
    ctx.type = 'application/vnd.git-lfs+json'
    ctx.body = {
      objects: body.objects.map(({oid, size}) =>
        hasObject(repo, oid)
          ? {oid, size}
          : {
              actions: {
                upload: {
                  expires_in: 86_400,
                  href: `${storage}/upload/${repo.id}/${oid}?size=${size}&X-Amz-Signature=test`,
                },
                verify: {href: `${context.hubUrl()}/${repo.id}.git/info/lfs/objects/verify`},
              },
              authenticated: true,
              oid,
              size,
            },
      ),
      transfer: 'basic',
    }
  }

  const verify = async (ctx: Koa.Context, repo: HubRepo): Promise<void> => {
    const body = JSON.parse((await readBody(ctx)).toString('utf8')) as {oid: string; size: number}
    if (!hasObject(repo, body.oid)) return refuse(ctx, {message: 'Object not found', status: 404})
    ctx.body = {success: true}
  }

  const storeObject = async (ctx: Koa.Context, repoId: string, oid: string): Promise<void> => {
    if (ctx.get('authorization')) {
      // A presigned storage URL rejects a second credential, as S3 does: the token must never come here.
      ctx.status = 400
      ctx.body = 'Only one auth mechanism allowed'
      return
    }

    const fault = takeFault('lfs_put')
    const content = await readBody(ctx)
    if (fault) {
      if (fault.drop) ctx.req.socket.destroy()
      else refuse(ctx, {message: 'injected failure', status: fault.status ?? 500})
      return
    }

    const expected = Number(ctx.query.size)
    if (content.length !== expected || createHash('sha256').update(content).digest('hex') !== oid) {
      ctx.status = 400
      ctx.body = 'BadDigest'
      return
    }

    if (!stored.has(repoId)) stored.set(repoId, new Map())
    stored.get(repoId)?.set(oid, content)
    side.lfsPuts.push(oid)
    ctx.status = 200
    ctx.set('ETag', `"${oid.slice(0, 32)}"`)
    ctx.body = ''
  }

  const commit = async (ctx: Koa.Context, repo: HubRepo, rev: string): Promise<void> => {
    const parent = head(repo, rev)
    if (!parent) return refuse(ctx, {code: 'RevisionNotFound', message: `Invalid rev id: ${rev}`, status: 404})
    const lines = (await readBody(ctx)).toString('utf8').split('\n').filter(Boolean)
    const entries = lines.map((l) => JSON.parse(l) as {key: string; value: Record<string, unknown>})
    const header = entries.find((e) => e.key === 'header')?.value ?? {}
    if (typeof header.parentCommit === 'string' && header.parentCommit !== parent.sha) {
      return refuse(ctx, {message: 'A commit has happened since. Please refresh and try again.', status: 412})
    }

    const files = new Map(parent.files)
    for (const {key, value} of entries) {
      const path = String(value.path ?? '')
      if (key === 'file') {
        const content = Buffer.from(String(value.content), value.encoding === 'base64' ? 'base64' : 'utf8')
        files.set(path, {blobId: gitBlobSha1(content), inline: content, lfs: null, path, size: content.length})
      } else if (key === 'lfsFile') {
        const oid = String(value.oid)
        const content = objectContent(repo, oid)
        if (!content)
          return refuse(ctx, {
            message: `Your push was rejected because an LFS pointer pointed to a file that does not exist: ${path}`,
            status: 422,
          })
        const pointer = lfsPointer(oid, content.length)
        const file: HubFile = {
          blobId: gitBlobSha1(pointer),
          inline: content,
          lfs: {pointer, sha256: oid},
          path,
          size: content.length,
        }
        files.set(path, file)
        context.lfsBlobs.set(oid, file)
      } else if (key === 'deletedFile') {
        if (!files.delete(path))
          return refuse(ctx, {code: 'EntryNotFound', message: `Entry not found: ${path}`, status: 404})
      }
    }

    const listing = [...files.values()]
      .map((f) => `${f.path}:${f.blobId}`)
      .sort()
      .join('\n')
    const sha = createHash('sha1')
      .update(`${repo.id}\n${parent.sha}\n${listing}\n${side.commits.length}\n${String(header.summary)}`)
      .digest('hex')
    repo.commits.set(sha, {files, sha})
    repo.refs.set(rev, sha)
    side.commits.push({branch: rev, operations: entries.length - 1, repoId: repo.id, sha})
    ctx.body = {
      commitOid: sha,
      commitUrl: `${context.hubUrl()}/${repo.id}/commit/${sha}`,
      hookOutput: '',
      success: true,
    }
  }

  const branch = async (ctx: Koa.Context, repo: HubRepo, name: string): Promise<void> => {
    const body = JSON.parse((await readBody(ctx)).toString('utf8') || '{}') as {
      emptyBranch?: boolean
      overwrite?: boolean
      startingPoint?: string
    }
    if (repo.refs.has(name) && !body.overwrite) return refuse(ctx, {message: 'Reference already exists', status: 409})
    const start = body.startingPoint ?? 'main'
    const sha = repo.refs.get(start) ?? (repo.commits.has(start) ? start : undefined)
    if (sha === undefined)
      return refuse(ctx, {code: 'RevisionNotFound', message: `Invalid rev id: ${start}`, status: 404})
    repo.refs.set(name, sha)
    ctx.body = {}
  }

  return side
}
