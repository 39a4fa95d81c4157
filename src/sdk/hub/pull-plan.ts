import {open, readFile, readlink, stat} from 'node:fs/promises'
import {dirname, join, relative} from 'node:path'

import {bytesDone, partialName, readTrailer} from './partial-file.js'
import {blobName, type RemoteFile} from './remote-file.js'

export interface PlannedFile {
  etag: string
  file: RemoteFile
  /** True when `blobs/<etag>` already holds a file of the right size. */
  present: boolean
  /** Bytes an interrupted earlier download left that the next one resumes from. */
  resumable: number
}

export interface PullPlan {
  /** Nothing to write: every blob, link and the ref are already in place. */
  complete: boolean
  files: PlannedFile[]
  /** Bytes still to fetch over the network. */
  missingBytes: number
  treesPresent: boolean
}

async function sizeOf(path: string): Promise<null | number> {
  return stat(path).then(
    (info) => (info.isFile() ? info.size : null),
    () => null,
  )
}

async function resumableBytes(path: string, etag: string, size: number): Promise<number> {
  const handle = await open(path, 'r').catch(() => null)
  if (!handle) return 0
  try {
    const state = await readTrailer(handle, etag, size)
    return state ? bytesDone(state) : 0
  } finally {
    await handle.close()
  }
}

async function linkIsRight(modelDir: string, commit: string, path: string, etag: string): Promise<boolean> {
  const link = join(modelDir, 'snapshots', commit, path)
  const target = await readlink(link).catch(() => null)
  return (
    target !== null &&
    target ===
      relative(dirname(link), join(modelDir, 'blobs', etag))
        .split('\\')
        .join('/')
  )
}

/**
 * What the cache already holds of a commit. Present blobs are trusted by size, as huggingface_hub trusts them:
 * mlxk hashed each one before it first put it there, and re-hashing gigabytes on every no-op pull would make it
 * slow. (`mlxk health` is where content is checked.)
 */
export async function planPull(options: {
  commit: string
  files: RemoteFile[]
  modelDir: string
  ref: null | string
}): Promise<PullPlan> {
  const {commit, modelDir} = options
  const blobsDir = join(modelDir, 'blobs')
  const planned = await Promise.all(
    options.files.map(async (file): Promise<PlannedFile> => {
      const etag = blobName(file)
      const present = (await sizeOf(join(blobsDir, etag))) === file.size
      const resumable = present ? 0 : await resumableBytes(join(blobsDir, partialName(etag)), etag, file.size)
      return {etag, file, present, resumable}
    }),
  )
  const missingBytes = planned.filter((p) => !p.present).reduce((sum, p) => sum + p.file.size - p.resumable, 0)
  const linksRight = await Promise.all(planned.map((p) => linkIsRight(modelDir, commit, p.file.path, p.etag)))
  const refRight =
    options.ref === null ||
    (await readFile(join(modelDir, 'refs', options.ref), 'utf8').then(
      (t) => t.trim(),
      () => '',
    )) === commit
  const treesPresent = (await sizeOf(join(modelDir, 'trees', `${commit}.json`))) !== null
  const complete = planned.every((p) => p.present) && linksRight.every(Boolean) && refRight
  return {complete, files: planned, missingBytes, treesPresent}
}
