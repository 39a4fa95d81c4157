import {createHash} from 'node:crypto'
import {createReadStream} from 'node:fs'
import {readdir, readFile, stat} from 'node:fs/promises'
import {join, relative} from 'node:path'

/** One file of a commit. Content lives in memory (small files) or on disk (large bench files). */
export interface HubFile {
  /** sha1 of the git blob the Hub stores: the file itself, or for LFS files the pointer. */
  blobId: string
  /** Where the bytes are when they are not in memory. */
  diskPath?: string
  inline?: Buffer
  /** LFS files are served through the CDN redirect and named by sha256 in the cache. */
  lfs: null | {pointer: Buffer; sha256: string}
  path: string
  size: number
}

export interface HubCommit {
  files: Map<string, HubFile>
  sha: string
}

export interface HubRepo {
  commits: Map<string, HubCommit>
  /** "auto"/"manual" like the Hub; tokens in `grantedTokens` have accepted the terms. */
  gated: 'auto' | 'manual' | false
  grantedTokens: Set<string>
  id: string
  private: boolean
  /** Branch and tag names → commit sha. */
  refs: Map<string, string>
}

/** Content of one fixture file: bytes, or a path on disk to stream from. */
export type FileSource = Buffer | string | {disk: string}

export interface CommitSpec {
  files: Record<string, FileSource>
  /** Refs that point at this commit (e.g. ['main', 'v1.0']). */
  refs?: string[]
}

export interface RepoSpec {
  commits: CommitSpec[]
  gated?: 'auto' | 'manual' | false
  grantedTokens?: string[]
  id: string
  private?: boolean
}

// Same rule the Hub's default .gitattributes applies to model repos: weights go to LFS, text stays in git.
const LFS_EXTENSIONS = /\.(safetensors|bin|gguf|pt|pth|ckpt|h5|msgpack|onnx|npz|model|tiktoken|lfs)$/i

function gitBlobSha1(content: Buffer): string {
  return createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex')
}

async function hashDiskFile(path: string, size: number): Promise<{sha1: string; sha256: string}> {
  const sha1 = createHash('sha1').update(`blob ${size}\0`)
  const sha256 = createHash('sha256')
  for await (const chunk of createReadStream(path, {highWaterMark: 1 << 20})) {
    sha1.update(chunk as Buffer)
    sha256.update(chunk as Buffer)
  }

  return {sha1: sha1.digest('hex'), sha256: sha256.digest('hex')}
}

export function lfsPointer(sha256: string, size: number): Buffer {
  return Buffer.from(`version https://git-lfs.github.com/spec/v1\noid sha256:${sha256}\nsize ${size}\n`)
}

async function buildFile(path: string, source: FileSource): Promise<HubFile> {
  const lfs = LFS_EXTENSIONS.test(path)
  if (typeof source === 'object' && !Buffer.isBuffer(source)) {
    const {size} = await stat(source.disk)
    const {sha1, sha256} = await hashDiskFile(source.disk, size)
    if (!lfs) return {blobId: sha1, diskPath: source.disk, lfs: null, path, size}
    const pointer = lfsPointer(sha256, size)
    return {blobId: gitBlobSha1(pointer), diskPath: source.disk, lfs: {pointer, sha256}, path, size}
  }

  const content = Buffer.isBuffer(source) ? source : Buffer.from(source)
  if (!lfs) return {blobId: gitBlobSha1(content), inline: content, lfs: null, path, size: content.length}
  const sha256 = createHash('sha256').update(content).digest('hex')
  const pointer = lfsPointer(sha256, content.length)
  return {blobId: gitBlobSha1(pointer), inline: content, lfs: {pointer, sha256}, path, size: content.length}
}

/** Builds a repo with content-derived 40-hex commit shas, so a fixture always gets the same commits. */
export async function buildRepo(spec: RepoSpec): Promise<HubRepo> {
  const repo: HubRepo = {
    commits: new Map(),
    gated: spec.gated ?? false,
    grantedTokens: new Set(spec.grantedTokens ?? []),
    id: spec.id,
    private: spec.private ?? false,
    refs: new Map(),
  }
  let parent = ''
  for (const commitSpec of spec.commits) {
    const files = new Map<string, HubFile>()
    for (const [path, source] of Object.entries(commitSpec.files)) files.set(path, await buildFile(path, source))
    const listing = [...files.values()]
      .map((f) => `${f.path}:${f.blobId}`)
      .sort()
      .join('\n')
    const sha = createHash('sha1').update(`${spec.id}\n${parent}\n${listing}`).digest('hex')
    repo.commits.set(sha, {files, sha})
    for (const ref of commitSpec.refs ?? []) repo.refs.set(ref, sha)
    parent = sha
  }

  if (!repo.refs.has('main') && parent !== '') repo.refs.set('main', parent)
  return repo
}

/** Every regular file under `dir` as a commit's file map (paths POSIX, relative to `dir`), read from disk. */
export async function filesFromFolder(dir: string): Promise<Record<string, FileSource>> {
  const files: Record<string, FileSource> = {}
  const walk = async (current: string): Promise<void> => {
    for (const entry of await readdir(current, {withFileTypes: true})) {
      const path = join(current, entry.name)
      if (entry.isDirectory()) await walk(path)
      else if (entry.isFile()) files[relative(dir, path).split('\\').join('/')] = await readFile(path)
    }
  }

  await walk(dir)
  return files
}

/** Deterministic pseudo-random bytes (no crypto cost), so large fixtures are cheap to make and compare. */
export function pseudoRandomBytes(size: number, seed = 1): Buffer {
  const out = Buffer.allocUnsafe(size)
  let x = seed >>> 0 || 1
  for (let i = 0; i < size; i++) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    out[i] = x & 0xff
  }

  return out
}
