import {createHash} from 'node:crypto'
import {readFile, rename, rm, stat, writeFile} from 'node:fs/promises'
import {join} from 'node:path'

import {listWorkspace} from './files.js'
import {hashFile} from './hash.js'
import {loadIgnore} from './ignore.js'
import {SENTINEL_NAME} from './sentinel-name.js'

export {SENTINEL_NAME} from './sentinel-name.js'

/**
 * One file as it was when the workspace was made. The hash is whichever the cache already named the blob by
 * (sha256 for LFS files, the git blob sha1 otherwise), so writing the sentinel hashes nothing.
 */
export interface SentinelFile {
  git_sha1?: string
  mtime_ms: number
  path: string
  sha256?: string
  size: number
}

export interface WorkspaceSentinel {
  created_at: string
  fingerprint: {
    /** sha256 over the sorted `path, size, hash` lines: equal digests mean equal content. */
    digest: string
    files: SentinelFile[]
  }
  format: 1
  kind: 'mlxk-workspace'
  mlxk_version: string
  source: {commit: null | string; repo_id: string; revision: string}
}

export interface WorkspaceStatus {
  added: string[]
  /** Files whose mtime changed, so they had to be hashed to decide. */
  hashed: number
  /** False when the folder has no (readable) sentinel: nothing to compare with. */
  managed: boolean
  modified: string[]
  removed: string[]
  sentinel: null | WorkspaceSentinel
  state: 'clean' | 'modified' | 'unmanaged'
}

export function fingerprintDigest(files: readonly SentinelFile[]): string {
  const hash = createHash('sha256')
  for (const f of [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
    hash.update(`${f.path}\t${f.size}\t${f.sha256 ? `sha256:${f.sha256}` : `gitsha1:${f.git_sha1 ?? ''}`}\n`)
  }

  return hash.digest('hex')
}

/** Written to a temporary name (which `push` ignores) and renamed, so a reader never sees half a sentinel. */
export async function writeSentinel(dir: string, sentinel: WorkspaceSentinel): Promise<void> {
  const target = join(dir, SENTINEL_NAME)
  const temp = `${target}.${process.pid}.tmp`
  try {
    await writeFile(temp, JSON.stringify(sentinel, null, 2) + '\n')
    await rename(temp, target)
  } catch (error) {
    await rm(temp, {force: true})
    throw error
  }
}

export async function readSentinel(dir: string): Promise<null | WorkspaceSentinel> {
  const text = await readFile(join(dir, SENTINEL_NAME), 'utf8').catch(() => null)
  if (text === null) return null
  try {
    const value = JSON.parse(text) as Partial<WorkspaceSentinel>
    return value?.kind === 'mlxk-workspace' && Array.isArray(value.fingerprint?.files)
      ? (value as WorkspaceSentinel)
      : null
  } catch {
    return null
  }
}

/**
 * Clean or modified since the clone, cheaply: a file whose size and mtime match the sentinel is taken as
 * unchanged; only a file whose mtime moved is hashed, and a size change needs no hash at all.
 */
export async function workspaceStatus(dir: string): Promise<WorkspaceStatus> {
  const sentinel = await readSentinel(dir)
  const empty = {added: [], hashed: 0, modified: [], removed: []}
  if (!sentinel) return {...empty, managed: false, sentinel: null, state: 'unmanaged'}
  const listing = await listWorkspace(dir, await loadIgnore(dir))
  const local = new Map(listing.included.map((f) => [f.path, f]))
  const recorded = new Map(sentinel.fingerprint.files.map((f) => [f.path, f]))
  const added = [...local.keys()].filter((p) => !recorded.has(p))
  const removed: string[] = []
  const modified: string[] = []
  let hashed = 0
  for (const entry of recorded.values()) {
    const file = local.get(entry.path)
    if (!file) {
      removed.push(entry.path)
      continue
    }

    if (file.size !== entry.size) modified.push(entry.path)
    else if (file.mtimeMs !== entry.mtime_ms) {
      hashed++
      const digests = await hashFile(file.absPath, file.size)
      const same = entry.sha256 ? digests.sha256 === entry.sha256 : digests.gitSha1 === entry.git_sha1
      if (!same) modified.push(entry.path)
    }
  }

  const changed = added.length + removed.length + modified.length > 0
  return {added, hashed, managed: true, modified, removed, sentinel, state: changed ? 'modified' : 'clean'}
}

/** The stat of a file as the sentinel records it, after the copy that made it. */
export async function sentinelEntry(
  dir: string,
  path: string,
  hashes: {gitSha1?: null | string; sha256?: null | string},
): Promise<SentinelFile> {
  const info = await stat(join(dir, path))
  return {
    ...(hashes.gitSha1 ? {git_sha1: hashes.gitSha1} : {}),
    mtime_ms: info.mtimeMs,
    path,
    ...(hashes.sha256 ? {sha256: hashes.sha256} : {}),
    size: info.size,
  }
}
