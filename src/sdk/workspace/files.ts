import {readdir, stat} from 'node:fs/promises'
import {join} from 'node:path'

import type {IgnoreMatcher} from './ignore.js'

/** One regular file of a workspace. */
export interface LocalFile {
  absPath: string
  mtimeMs: number
  /** POSIX path relative to the workspace root. */
  path: string
  size: number
}

export interface WorkspaceListing {
  /** Every file, ignored ones included (upstream's `local_files_count` counts them all). */
  allCount: number
  /** Paths left out by the ignore rules. */
  ignored: string[]
  /** Files that take part in a push, sorted by path. */
  included: LocalFile[]
}

/**
 * Walks a workspace. Symlinks are followed to the file they name (a folder made with links into the cache still
 * pushes its content); links to directories and dangling links are skipped. An ignored directory is not entered,
 * so a large `.git` or `.venv` costs nothing.
 */
export async function listWorkspace(dir: string, matcher: IgnoreMatcher): Promise<WorkspaceListing> {
  const included: LocalFile[] = []
  const ignored: string[] = []
  let allCount = 0
  const walk = async (current: string, prefix: string): Promise<void> => {
    const entries = await readdir(current, {withFileTypes: true})
    for (const entry of entries) {
      const absPath = join(current, entry.name)
      const path = prefix + entry.name
      const info = entry.isSymbolicLink() ? await stat(absPath).catch(() => null) : null
      const isDir = entry.isDirectory() || (info?.isDirectory() ?? false)
      if (entry.isSymbolicLink() && (info === null || isDir)) continue
      if (isDir) {
        if (matcher.ignoresDir(path)) {
          ignored.push(`${path}/`)
          allCount += await countFiles(absPath)
          continue
        }

        await walk(absPath, `${path}/`)
        continue
      }

      if (!entry.isFile() && !entry.isSymbolicLink()) continue
      allCount++
      if (matcher.ignores(path)) {
        ignored.push(path)
        continue
      }

      const s = info ?? (await stat(absPath))
      included.push({absPath, mtimeMs: s.mtimeMs, path, size: s.size})
    }
  }

  await walk(dir, '')
  included.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
  return {allCount, ignored: ignored.sort(), included}
}

async function countFiles(dir: string): Promise<number> {
  let n = 0
  for (const entry of await readdir(dir, {recursive: true, withFileTypes: true}).catch(() => []))
    if (entry.isFile()) n++
  return n
}
