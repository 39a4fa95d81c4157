import {randomBytes} from 'node:crypto'
import {copyFile, mkdir, rename, rm, symlink, writeFile} from 'node:fs/promises'
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
    await (options.move ? rename(file.source, temp).catch(() => copyFile(file.source, temp)) : copyFile(file.source, temp))
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

function assertInside(path: string): void {
  const normal = posix.normalize(path)
  if (normal.startsWith('../') || normal === '..' || posix.isAbsolute(normal) || path.includes('\0') || path.includes('\\')) {
    throw new MlxkError('unsafe_path', `Refusing to write ${JSON.stringify(path)} outside the snapshot`)
  }
}
