import {type Dirent, lstatSync, readdirSync, readFileSync, readlinkSync, statSync} from 'node:fs'
import {dirname, join, resolve, sep} from 'node:path'

import {MlxkError} from '../errors.js'
import {dirNameToRepoId} from './naming.js'
import {compareCodePoints} from './order.js'
import type {CachedModel, IncompleteBlob, Snapshot, SnapshotFile} from './types.js'

export {readTreesJson} from './trees.js'

const MODEL_PREFIX = 'models--'
/** Python ≤ 2.3 wrote `<etag>.incomplete`; 2.4 writes `<etag>.<8 hex>.incomplete`, unique per process. */
const INCOMPLETE = /^(.+?)(?:\.[0-9a-f]{8})?\.incomplete$/
const HEX = /^[0-9a-f]+$/i

/*
 * The scan is synchronous inside: it reads directory metadata only, each call a few microseconds from the page
 * cache, and a thousand models need tens of thousands of them. Issued as promises, every one of those waits its
 * turn on libuv's thread pool, which made the async scan several times slower than the syscalls themselves.
 */

/**
 * What the scan saw of a snapshot, handed to the describe step that follows at once (`listSnapshotFilesSync` with
 * `reuseScan`) so it need not read the same directories and stat the same blobs again. Used once, then dropped.
 */
interface ScanView {
  /** Sizes of the regular files in the model's `blobs/`, by name. */
  blobSizes: ReadonlyMap<string, number>
  /** Entries of the `snapshots/` directories walked, by absolute path. */
  dirs: ReadonlyMap<string, Dirent[]>
  /** False for a `sizesOnly` scan: links are stat'ed through, not read, and name no blob. */
  identify: boolean
}

export interface ScanOptions {
  /**
   * Measure only what judging a snapshot needs: each file's size and whether its link dangles. Every link is then
   * stat'ed through (one call) instead of read and matched to a blob sized beforehand (two), so the files name no
   * blob, and the model's diskBytes, which needs every blob sized, is NaN. health takes it; list, show and rm,
   * which report sizes per blob, do not.
   */
  sizesOnly?: boolean
}

const scanViews = new WeakMap<object, ScanView>()

/**
 * `join` for a directory that is already normalized and a name straight from readdir: path.join re-normalizes
 * the whole string character by character, which was a third of all the memory a large listing allocated.
 */
function child(dir: string, name: string): string {
  return dir.endsWith(sep) ? dir + name : dir + sep + name
}

/**
 * `join(root, name)` and `resolve(root, name)` for a name straight from readdir. The path functions normalize the
 * whole string on every call, once per model of a listing; for a plain name only the root part can change, so
 * that prefix is worked out once (by the same functions, on a stand-in name) and reused.
 */
function modelPaths(root: string, name: string): {abs: string; dir: string} {
  if (rootPaths?.root !== root || rootPaths.cwd !== process.cwd()) {
    rootPaths = {abs: resolve(root, 'x').slice(0, -1), cwd: process.cwd(), dir: join(root, 'x').slice(0, -1), root}
  }

  return {abs: rootPaths.abs + name, dir: rootPaths.dir + name}
}

let rootPaths: undefined | {abs: string; cwd: string; dir: string; root: string}

/** An absolute path with nothing for `resolve` to change: no `.`, `..`, empty segment or trailing separator. */
const NOT_NORMALIZED = /\/\/|\/\.\.?(\/|$)|.\/$/
function resolved(path: string): string {
  return sep === '/' && path.startsWith('/') && !NOT_NORMALIZED.test(path) ? path : resolve(path)
}

const SURROGATE = /[\uD800-\uDFFF]/

/**
 * `compareCodePoints` with the same sign, minus its cost: it spreads both strings into arrays on every call, and
 * sorting a thousand names makes tens of thousands of calls. Without surrogate pairs, UTF-16 order is code-point
 * order, so plain `<` gives the same answer.
 */
function byCodePoints(a: string, b: string): number {
  if (SURROGATE.test(a) || SURROGATE.test(b)) return compareCodePoints(a, b)
  return a < b ? -1 : a > b ? 1 : 0
}

function entries(dir: string): Dirent[] {
  try {
    return readdirSync(dir, {withFileTypes: true})
  } catch {
    return []
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory()
  } catch {
    return false
  }
}

/** A `models--*` entry of the cache root, before its directory is read. */
export interface ModelDirEntry {
  dirName: string
  /** readdir saw a real directory; a link may point anywhere (or nowhere), so it is checked when scanned. */
  isDirectory: boolean
  /** HF id, e.g. `org/name` (mechanical conversion of the directory name). */
  name: string
}

/**
 * The cache's `models--*` entries in the order `scanCache` returns models (by name, then directory name), from
 * the root directory alone. With `scanModelDir` a caller can scan and use one model at a time, so a listing
 * holds what the scan saw of one model rather than of all of them.
 */
export function listModelDirs(root: string): ModelDirEntry[] {
  return entries(root)
    .filter((entry) => entry.name.startsWith(MODEL_PREFIX) && (entry.isDirectory() || entry.isSymbolicLink()))
    .map((entry) => ({dirName: entry.name, isDirectory: entry.isDirectory(), name: dirNameToRepoId(entry.name)}))
    .sort((a, b) => byCodePoints(a.name, b.name) || byCodePoints(a.dirName, b.dirName))
}

/** The model behind one entry of `listModelDirs`, or null when it is not a directory or cannot be read. */
export function scanModelDir(root: string, entry: ModelDirEntry, options: ScanOptions = {}): CachedModel | null {
  try {
    return scanModelSync(root, entry.dirName, entry.isDirectory, options)
  } catch {
    return null
  }
}

/**
 * Every `models--*` directory of the cache, sorted by name. A missing cache is an empty list; a model that cannot
 * be read is skipped rather than failing the whole listing. Only directory metadata is read, never file contents
 * (refs aside), so this stays fast with thousands of models.
 */
export async function scanCache(root: string): Promise<CachedModel[]> {
  return listModelDirs(root).flatMap((entry) => scanModelDir(root, entry) ?? [])
}

/** One model directory, or null when `<root>/<dirName>` is not a directory. */
export async function scanModel(root: string, dirName: string): Promise<CachedModel | null> {
  return scanModelSync(root, dirName, false)
}

function scanModelSync(
  root: string,
  dirName: string,
  knownDirectory: boolean,
  options: ScanOptions = {},
): CachedModel | null {
  const {abs, dir} = modelPaths(root, dirName)
  if (!knownDirectory && !isDirectory(dir)) return null
  const identify = !options.sizesOnly
  const refs = readRefs(child(dir, 'refs'))
  const blobs = readBlobs(child(dir, 'blobs'), identify)
  const dirs = new Map<string, Dirent[]>()
  // Absolute keys, as listSnapshotFiles walks from the resolved snapshot path.
  const snapshotsDir = child(abs, 'snapshots')
  const plainBytes = plainFileBytes(snapshotsDir, dirs)
  const snapshotDirs = readSnapshotDirs(child(dir, 'snapshots'), dirs.get(snapshotsDir) ?? [])
  const refsByCommit = new Map<string, string[]>()
  for (const [ref, commit] of Object.entries(refs)) refsByCommit.set(commit, [...(refsByCommit.get(commit) ?? []), ref])
  const snapshots = snapshotDirs.map((snapshot) => ({
    ...snapshot,
    refs: (refsByCommit.get(snapshot.commit) ?? []).sort(byCodePoints),
  }))
  for (const snapshot of snapshots) scanViews.set(snapshot, {blobSizes: blobs.sizes, dirs, identify})
  return {
    dir,
    dirName,
    diskBytes: identify ? blobs.bytes + plainBytes : Number.NaN,
    incompleteBlobs: blobs.incomplete,
    name: dirNameToRepoId(dirName),
    refs,
    snapshots,
  }
}

/** `refs/main`, `refs/v1.0`, `refs/pr/1` → `{main, v1.0, pr/1}`, each holding a commit sha. */
function readRefs(refsDir: string, prefix = ''): Record<string, string> {
  const refs: Record<string, string> = {}
  for (const entry of entries(refsDir).sort((a, b) => byCodePoints(a.name, b.name))) {
    const name = prefix + entry.name
    const path = child(refsDir, entry.name)
    if (entry.isDirectory()) {
      Object.assign(refs, readRefs(path, `${name}/`))
    } else if (entry.isFile()) {
      let commit = ''
      try {
        commit = readFileSync(path, 'utf8').trim()
      } catch {
        // An unreadable ref names nothing.
      }

      if (commit !== '') refs[name] = commit
    }
  }

  return refs
}

function readSnapshotDirs(snapshotsDir: string, list: readonly Dirent[]): Omit<Snapshot, 'refs'>[] {
  const found: Omit<Snapshot, 'refs'>[] = []
  for (const entry of list) {
    const dir = child(snapshotsDir, entry.name)
    try {
      const info = statSync(dir)
      if (info.isDirectory()) found.push({commit: entry.name, dir, mtimeMs: info.mtimeMs})
    } catch {
      // A dangling snapshot link holds nothing that could be selected.
    }
  }

  return found.sort((a, b) => byCodePoints(a.commit, b.commit))
}

/** The blobs' sizes and partial downloads; with `sizeAll` false, only the partial downloads are sized. */
function readBlobs(
  blobsDir: string,
  sizeAll = true,
): {bytes: number; incomplete: IncompleteBlob[]; sizes: Map<string, number>} {
  let bytes = 0
  const incomplete: IncompleteBlob[] = []
  const sizes = new Map<string, number>()
  for (const entry of entries(blobsDir)) {
    if (!entry.isFile() || (!sizeAll && !INCOMPLETE.test(entry.name))) continue
    let size = 0
    try {
      size = lstatSync(child(blobsDir, entry.name)).size
      sizes.set(entry.name, size)
    } catch {
      // Gone since readdir: occupies nothing, and a link to it is left for listSnapshotFiles to stat.
    }

    // Partial downloads occupy disk too, and `rm` frees them, so they count toward diskBytes.
    bytes += size
    const match = INCOMPLETE.exec(entry.name)
    if (match) incomplete.push({etag: match[1] as string, name: entry.name, size})
  }

  return {bytes, incomplete: incomplete.sort((a, b) => byCodePoints(a.name, b.name)), sizes}
}

/**
 * Regular files inside snapshots (copies rather than links into blobs/), which occupy disk on their own. The
 * entries of every directory walked are kept in `seen` for the listing of the snapshot that follows.
 */
function plainFileBytes(dir: string, seen: Map<string, Dirent[]>): number {
  let bytes = 0
  const dirEntries = entries(dir)
  seen.set(dir, dirEntries)
  for (const entry of dirEntries) {
    const path = child(dir, entry.name)
    if (entry.isDirectory()) bytes += plainFileBytes(path, seen)
    else if (entry.isFile()) bytes += fileSize(path)
  }

  return bytes
}

function fileSize(path: string): number {
  try {
    return lstatSync(path).size
  } catch {
    return 0
  }
}

/**
 * Every file of a snapshot, recursively, as POSIX paths sorted in code-point order. Entries may be relative links
 * into `blobs/` (what Python writes) or plain files; a link whose target is gone is reported as dangling.
 */
export async function listSnapshotFiles(snapshot: Pick<Snapshot, 'dir'>): Promise<SnapshotFile[]> {
  return listSnapshotFilesSync(snapshot)
}

/**
 * `listSnapshotFiles` without the promise, for callers that describe many models in a row. With `reuseScan`, a
 * snapshot straight from `scanModel`/`scanModelDir` is listed from the directory entries and blob sizes that scan
 * just read (once; a second listing reads afresh). Only for a scan made a moment ago: files added or blobs removed
 * since are not seen.
 */
export function listSnapshotFilesSync(
  snapshot: Pick<Snapshot, 'dir'>,
  options: {reuseScan?: boolean} = {},
): SnapshotFile[] {
  const view = options.reuseScan ? scanViews.get(snapshot) : undefined
  scanViews.delete(snapshot)
  const root = resolved(snapshot.dir)
  const blobsDir = child(dirname(dirname(root)), 'blobs')
  const files: SnapshotFile[] = []
  const walk = (dir: string, prefix: string): void => {
    for (const entry of view?.dirs.get(dir) ?? entries(dir)) {
      const absPath = child(dir, entry.name)
      const path = prefix + entry.name
      if (entry.isDirectory()) {
        walk(absPath, `${path}/`)
      } else if (entry.isSymbolicLink()) {
        const file =
          view?.identify === false ? statLink(absPath, path) : describeLink(absPath, path, blobsDir, view?.blobSizes)
        if (file) files.push(file)
      } else if (entry.isFile()) {
        files.push({absPath, blob: null, dangling: false, path, size: fileSize(absPath)})
      }
    }
  }

  walk(root, '')
  return files.sort((a, b) => byCodePoints(a.path, b.path))
}

function describeLink(
  absPath: string,
  path: string,
  blobsDir: string,
  blobSizes: ReadonlyMap<string, number> | undefined,
): null | SnapshotFile {
  let target: string
  try {
    target = readlinkSync(absPath)
  } catch {
    return null
  }

  const blob = hubBlobName(target, path) ?? blobInside(blobsDir, resolve(dirname(absPath), target))
  // A link straight to a regular blob the scan just sized needs no stat of its own.
  const known = blob === null ? undefined : blobSizes?.get(blob)
  if (known !== undefined) return {absPath, blob, dangling: false, path, size: known}
  return statLink(absPath, path, blob)
}

/** A link's file as what it points to says: its size, dangling when nothing is there, none for a directory. */
function statLink(absPath: string, path: string, blob: null | string = null): null | SnapshotFile {
  try {
    const info = statSync(absPath)
    // A link to a directory is not a file of the snapshot; Python never writes one.
    if (info.isDirectory()) return null
    return {absPath, blob, dangling: false, path, size: info.size}
  } catch {
    return {absPath, blob, dangling: true, path, size: 0}
  }
}

function blobInside(blobsDir: string, resolved: string): null | string {
  return dirname(resolved) === blobsDir ? resolved.slice(blobsDir.length + 1) : null
}

const hubPrefixes: string[] = []

/**
 * The blob a link written by huggingface_hub names (`../../blobs/<etag>`, one more `../` per subdirectory), read
 * off the target text: it is exactly what `resolve` would compute, without building two absolute paths per file.
 * Anything else (another shape, Windows separators) is null and goes through `resolve`.
 */
function hubBlobName(target: string, path: string): null | string {
  const depth = path.split('/').length - 1
  const prefix = (hubPrefixes[depth] ??= '../'.repeat(depth + 2) + 'blobs/')
  if (!target.startsWith(prefix)) return null
  const name = target.slice(prefix.length)
  return name === '' || name === '.' || name === '..' || name.includes('/') ? null : name
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
