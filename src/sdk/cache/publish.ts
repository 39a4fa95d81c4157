import {randomBytes} from 'node:crypto'
import {copyFile, mkdir, readlink, rename, rm, symlink, writeFile} from 'node:fs/promises'
import {dirname, join, posix, relative} from 'node:path'

import {MlxkError} from '../errors.js'
import {repoIdToDirName} from './naming.js'

export interface PublishFile {
  /** Blob name: sha256 for LFS files, git blob sha1 otherwise. */
  etag: string
  /** POSIX path inside the snapshot. */
  path: string
  /** A complete, verified file to place in `blobs/` (copied, or moved with `move`). */
  source: string
}

export interface PublishOptions {
  commit: string
  files: PublishFile[]
  /** Move sources into blobs/ instead of copying (the downloader's own temp files). */
  move?: boolean
  /** Refs to point at the commit once every file is in place, e.g. ['main']. */
  refs: string[]
  repoId: string
  root: string
}

/**
 * Writes a snapshot in the layout Python huggingface_hub writes and reads: blobs named by etag, snapshot entries
 * as relative symlinks, refs last. Each step is an atomic rename, so a reader never sees a partial blob, a
 * half-written ref, or a ref to a snapshot that is not complete yet.
 */
export async function publishSnapshot(options: PublishOptions): Promise<{modelDir: string; snapshotDir: string}> {
  const modelDir = join(options.root, repoIdToDirName(options.repoId))
  const snapshotDir = join(modelDir, 'snapshots', options.commit)
  await mkdir(join(modelDir, 'blobs'), {recursive: true})
  for (const file of options.files) {
    assertInside(file.path)
    const blob = join(modelDir, 'blobs', file.etag)
    const temp = `${blob}.${randomBytes(4).toString('hex')}.incomplete`
    await (options.move
      ? rename(file.source, temp).catch(() => copyFile(file.source, temp))
      : copyFile(file.source, temp))
    await rename(temp, blob)
    const link = join(snapshotDir, file.path)
    await mkdir(dirname(link), {recursive: true})
    const target = relative(dirname(link), blob).split('\\').join('/')
    const tempLink = `${link}.${randomBytes(4).toString('hex')}.tmp`
    await symlink(target, tempLink)
    await rename(tempLink, link)
  }

  for (const ref of options.refs) await writeRef(modelDir, ref, options.commit)
  return {modelDir, snapshotDir}
}

export async function writeRef(modelDir: string, ref: string, commit: string): Promise<void> {
  const path = join(modelDir, 'refs', ref)
  await mkdir(dirname(path), {recursive: true})
  const temp = `${path}.${randomBytes(4).toString('hex')}.tmp`
  try {
    // Python writes the bare sha, no newline.
    await writeFile(temp, commit)
    await rename(temp, path)
  } finally {
    await rm(temp, {force: true})
  }
}

/**
 * Points `snapshots/<commit>/<path>` at `blobs/<etag>` with a relative link, replacing whatever was there through
 * an atomic rename. A link that already points at the blob is left untouched. Returns true when it wrote one.
 */
export async function linkSnapshotFile(modelDir: string, commit: string, path: string, etag: string): Promise<boolean> {
  assertInside(path)
  const link = join(modelDir, 'snapshots', commit, path)
  const target = relative(dirname(link), join(modelDir, 'blobs', etag))
    .split('\\')
    .join('/')
  if ((await readlink(link).catch(() => null)) === target) return false
  await mkdir(dirname(link), {recursive: true})
  const tempLink = `${link}.${randomBytes(4).toString('hex')}.tmp`
  await symlink(target, tempLink)
  try {
    await rename(tempLink, link)
  } catch (error) {
    await rm(tempLink, {force: true})
    throw error
  }

  return true
}

/** One entry of `trees/<commit>.json`, in huggingface_hub's `_tree_cache.py` format_version 1. */
export interface TreeEntry {
  blobId: string
  lfsSha256: null | string
  path: string
  size: number
  xetHash: null | string
}

/**
 * Writes `trees/<commit>.json` byte for byte as Python's `write_tree_cache` does (`json.dump(indent=1)`, paths
 * sorted, `lfs_sha256`/`lfs_size` only for LFS files), atomically. Python trusts a cached snapshot only when
 * this listing says it is complete.
 */
export async function writeTreesJson(modelDir: string, commit: string, entries: readonly TreeEntry[]): Promise<void> {
  const files: Record<string, Record<string, number | string>> = {}
  for (const entry of [...entries].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
    const info: Record<string, number | string> = {size: entry.size, blob_id: entry.blobId}
    if (entry.lfsSha256 !== null) {
      info.lfs_sha256 = entry.lfsSha256
      info.lfs_size = entry.size
    }

    if (entry.xetHash !== null) info.xet_hash = entry.xetHash
    files[entry.path] = info
  }

  const path = join(modelDir, 'trees', `${commit}.json`)
  await mkdir(dirname(path), {recursive: true})
  const temp = `${path}.${randomBytes(4).toString('hex')}.tmp`
  try {
    await writeFile(temp, pythonJsonIndent1({format_version: 1, files}))
    await rename(temp, path)
  } finally {
    await rm(temp, {force: true})
  }
}

/** Python's `json.dump(obj, indent=1)`: one-space indent, `", "`-free separators, non-ASCII escaped as \uXXXX. */
function pythonJsonIndent1(value: unknown): string {
  const escape = (text: string) =>
    JSON.stringify(text).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
  const walk = (node: unknown, depth: number): string => {
    if (node === null || typeof node !== 'object') return typeof node === 'string' ? escape(node) : JSON.stringify(node)
    const pad = ' '.repeat(depth + 1)
    const entries = Object.entries(node as Record<string, unknown>)
    if (entries.length === 0) return '{}'
    return `{\n${entries.map(([key, child]) => `${pad}${escape(key)}: ${walk(child, depth + 1)}`).join(',\n')}\n${' '.repeat(depth)}}`
  }

  return walk(value, 0)
}

function assertInside(path: string): void {
  const normal = posix.normalize(path)
  if (
    normal.startsWith('../') ||
    normal === '..' ||
    posix.isAbsolute(normal) ||
    path.includes('\0') ||
    path.includes('\\')
  ) {
    throw new MlxkError('unsafe_path', `Refusing to write ${JSON.stringify(path)} outside the snapshot`)
  }
}
