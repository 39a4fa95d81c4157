import type {Dirent} from 'node:fs'
import {lstat, readdir, readFile, readlink, stat} from 'node:fs/promises'
import {dirname, join, resolve} from 'node:path'

import {MlxkError} from '../errors.js'
import {dirNameToRepoId} from './naming.js'
import {compareCodePoints, mapLimit} from './order.js'
import type {CachedModel, IncompleteBlob, Snapshot, SnapshotFile} from './types.js'

export {readTreesJson} from './trees.js'

const MODEL_PREFIX = 'models--'
const SCAN_CONCURRENCY = 32
/** Python ≤ 2.3 wrote `<etag>.incomplete`; 2.4 writes `<etag>.<8 hex>.incomplete`, unique per process. */
const INCOMPLETE = /^(.+?)(?:\.[0-9a-f]{8})?\.incomplete$/
const HEX = /^[0-9a-f]+$/i

async function entries(dir: string): Promise<Dirent[]> {
  try {
    return await readdir(dir, {withFileTypes: true})
  } catch {
    return []
  }
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory()
  } catch {
    return false
  }
}

/**
 * Every `models--*` directory of the cache, sorted by name. A missing cache is an empty list; a model that cannot
 * be read is skipped rather than failing the whole listing. Only directory metadata is read, never file contents
 * (refs aside), so this stays fast with thousands of models.
 */
export async function scanCache(root: string): Promise<CachedModel[]> {
  const names = (await entries(root))
    .filter((entry) => entry.name.startsWith(MODEL_PREFIX) && (entry.isDirectory() || entry.isSymbolicLink()))
    .map((entry) => entry.name)
  const models = await mapLimit(names, SCAN_CONCURRENCY, (name) => scanModel(root, name).catch(() => null))
  return models
    .filter((model): model is CachedModel => model !== null)
    .sort((a, b) => compareCodePoints(a.name, b.name) || compareCodePoints(a.dirName, b.dirName))
}

/** One model directory, or null when `<root>/<dirName>` is not a directory. */
export async function scanModel(root: string, dirName: string): Promise<CachedModel | null> {
  const dir = join(root, dirName)
  if (!(await isDirectory(dir))) return null
  const [refs, snapshotDirs, blobs, plainBytes] = await Promise.all([
    readRefs(join(dir, 'refs')),
    readSnapshotDirs(join(dir, 'snapshots')),
    readBlobs(join(dir, 'blobs')),
    plainFileBytes(join(dir, 'snapshots')),
  ])
  const refsByCommit = new Map<string, string[]>()
  for (const [ref, commit] of Object.entries(refs)) refsByCommit.set(commit, [...(refsByCommit.get(commit) ?? []), ref])
  const snapshots = snapshotDirs.map((snapshot) => ({
    ...snapshot,
    refs: (refsByCommit.get(snapshot.commit) ?? []).sort(compareCodePoints),
  }))
  return {
    dir,
    dirName,
    diskBytes: blobs.bytes + plainBytes,
    incompleteBlobs: blobs.incomplete,
    name: dirNameToRepoId(dirName),
    refs,
    snapshots,
  }
}

/** `refs/main`, `refs/v1.0`, `refs/pr/1` → `{main, v1.0, pr/1}`, each holding a commit sha. */
async function readRefs(refsDir: string, prefix = ''): Promise<Record<string, string>> {
  const refs: Record<string, string> = {}
  for (const entry of (await entries(refsDir)).sort((a, b) => compareCodePoints(a.name, b.name))) {
    const name = prefix + entry.name
    const path = join(refsDir, entry.name)
    if (entry.isDirectory()) {
      Object.assign(refs, await readRefs(path, `${name}/`))
    } else if (entry.isFile()) {
      const commit = await readFile(path, 'utf8').then(
        (text) => text.trim(),
        () => '',
      )
      if (commit !== '') refs[name] = commit
    }
  }

  return refs
}

async function readSnapshotDirs(snapshotsDir: string): Promise<Omit<Snapshot, 'refs'>[]> {
  const found: Omit<Snapshot, 'refs'>[] = []
  for (const entry of await entries(snapshotsDir)) {
    const dir = join(snapshotsDir, entry.name)
    try {
      const info = await stat(dir)
      if (info.isDirectory()) found.push({commit: entry.name, dir, mtimeMs: info.mtimeMs})
    } catch {
      // A dangling snapshot link holds nothing that could be selected.
    }
  }

  return found.sort((a, b) => compareCodePoints(a.commit, b.commit))
}

async function readBlobs(blobsDir: string): Promise<{bytes: number; incomplete: IncompleteBlob[]}> {
  let bytes = 0
  const incomplete: IncompleteBlob[] = []
  for (const entry of await entries(blobsDir)) {
    if (!entry.isFile()) continue
    const size = await lstat(join(blobsDir, entry.name)).then(
      (info) => info.size,
      () => 0,
    )
    // Partial downloads occupy disk too, and `rm` frees them, so they count toward diskBytes.
    bytes += size
    const match = INCOMPLETE.exec(entry.name)
    if (match) incomplete.push({etag: match[1] as string, name: entry.name, size})
  }

  return {bytes, incomplete: incomplete.sort((a, b) => compareCodePoints(a.name, b.name))}
}

/** Regular files inside snapshots (copies rather than links into blobs/), which occupy disk on their own. */
async function plainFileBytes(dir: string): Promise<number> {
  let bytes = 0
  for (const entry of await entries(dir)) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) bytes += await plainFileBytes(path)
    else if (entry.isFile())
      bytes += await lstat(path).then(
        (info) => info.size,
        () => 0,
      )
  }

  return bytes
}

/**
 * Every file of a snapshot, recursively, as POSIX paths sorted in code-point order. Entries may be relative links
 * into `blobs/` (what Python writes) or plain files; a link whose target is gone is reported as dangling.
 */
export async function listSnapshotFiles(snapshot: Pick<Snapshot, 'dir'>): Promise<SnapshotFile[]> {
  const blobsDir = join(dirname(dirname(resolve(snapshot.dir))), 'blobs')
  const files: SnapshotFile[] = []
  const walk = async (dir: string, prefix: string): Promise<void> => {
    for (const entry of await entries(dir)) {
      const absPath = join(dir, entry.name)
      const path = prefix + entry.name
      if (entry.isDirectory()) {
        await walk(absPath, `${path}/`)
      } else if (entry.isSymbolicLink()) {
        const file = await describeLink(absPath, path, blobsDir)
        if (file) files.push(file)
      } else if (entry.isFile()) {
        const size = await lstat(absPath).then(
          (info) => info.size,
          () => 0,
        )
        files.push({absPath, blob: null, dangling: false, path, size})
      }
    }
  }

  await walk(resolve(snapshot.dir), '')
  return files.sort((a, b) => compareCodePoints(a.path, b.path))
}

async function describeLink(absPath: string, path: string, blobsDir: string): Promise<null | SnapshotFile> {
  const target = await readlink(absPath).catch(() => null)
  if (target === null) return null
  const resolved = resolve(dirname(absPath), target)
  const blob = dirname(resolved) === blobsDir ? resolved.slice(blobsDir.length + 1) : null
  try {
    const info = await stat(absPath)
    // A link to a directory is not a file of the snapshot; Python never writes one.
    if (info.isDirectory()) return null
    return {absPath, blob, dangling: false, path, size: info.size}
  } catch {
    return {absPath, blob, dangling: true, path, size: 0}
  }
}

/** Bytes of a snapshot's files as upstream's `size_bytes` counts them: two paths linked to one blob count once. */
export function snapshotSizeBytes(files: readonly SnapshotFile[]): number {
  const seen = new Set<string>()
  let bytes = 0
  for (const file of files) {
    const key = file.blob === null ? `path:${file.absPath}` : `blob:${file.blob}`
    if (seen.has(key)) continue
    seen.add(key)
    bytes += file.size
  }

  return bytes
}

/**
 * The snapshot a command works on.
 * - No revision: the one `refs/main` names; else the only one; else the newest by mtime. The mtime fallback
 *   exists only for caches without refs (hand-made or damaged), where upstream used it for every model.
 * - A revision: a ref name exactly (`main`, `v1.0`, `pr/1`), else a snapshot named exactly so, else the one
 *   commit starting with that hex prefix (case-insensitive). Two or more such commits throw `ambiguous_revision`.
 * Null when nothing matches.
 */
export function selectSnapshot(model: CachedModel, revision?: null | string): null | Snapshot {
  const {snapshots} = model
  const byCommit = (commit: string | undefined) => snapshots.find((snapshot) => snapshot.commit === commit) ?? null
  if (revision === undefined || revision === null) {
    const main = byCommit(model.refs.main)
    if (main) return main
    if (snapshots.length <= 1) return snapshots[0] ?? null
    return [...snapshots].sort((a, b) => b.mtimeMs - a.mtimeMs || compareCodePoints(a.commit, b.commit))[0] ?? null
  }

  const viaRef = Object.hasOwn(model.refs, revision) ? byCommit(model.refs[revision]) : null
  if (viaRef) return viaRef
  const named = byCommit(revision)
  if (named) return named
  if (!HEX.test(revision)) return null
  const prefix = revision.toLowerCase()
  const matches = snapshots.filter((snapshot) => snapshot.commit.toLowerCase().startsWith(prefix))
  if (matches.length > 1) {
    const commits = matches.map((snapshot) => snapshot.commit)
    throw new MlxkError(
      'ambiguous_revision',
      `Revision '${revision}' of ${model.name} matches ${matches.length} snapshots: ${commits.join(', ')}`,
      {details: {matches: commits}, hint: 'Give more characters of the commit hash'},
    )
  }

  return matches[0] ?? null
}
