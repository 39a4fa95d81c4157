import {openAsBlob} from 'node:fs'

import type {CommitOperation} from '@huggingface/hub'

import {commitChanges, UploadCallError, type UploadApiParams} from '../hub/upload-api.js'
import {pushHubError, pushInterrupted} from './push-errors.js'
import type {PushDiff} from './push-diff.js'
import type {PushEvent, UploadStats} from './push-types.js'

export interface CommitResult {
  commitSha: string
  commitUrl: string
  logs: string[]
  stats: UploadStats
}

/**
 * Sends the diff as one commit. Files are opened lazily as Blobs (never read whole into memory); the library
 * hashes LFS candidates, asks the LFS batch API which objects the Hub lacks, uploads only those, then commits.
 * Which LFS files were skipped is read from the progress events: an object already on the Hub reports
 * "uploading" done without ever starting.
 */
export async function commitDiff(
  api: UploadApiParams,
  request: {
    branch: string
    diff: PushDiff
    onEvent?: (e: PushEvent) => void
    parentCommit: string
    signal?: AbortSignal
    title: string
  },
): Promise<CommitResult> {
  const {diff, onEvent} = request
  const uploads = [...diff.added, ...diff.modified, ...diff.unverified]
  const sizes = new Map(uploads.map((f) => [f.path, f.size]))
  const operations: CommitOperation[] = []
  for (const file of uploads)
    operations.push({content: await openAsBlob(file.absPath), operation: 'addOrUpdate', path: file.path})
  for (const path of diff.deleted) operations.push({operation: 'delete', path})

  const lfs = new Set<string>()
  const started = new Set<string>()
  const skipped = new Set<string>()
  const hashed = new Map<string, number>()
  let bytesUploaded = 0
  onEvent?.({files: uploads.map((f) => ({path: f.path, size: f.size})), type: 'upload_plan'})
  const iterator = commitChanges({
    ...api,
    branch: request.branch,
    onUploadBytes: (path, bytes) => {
      bytesUploaded += bytes
      onEvent?.({bytes, path, type: 'upload_bytes'})
    },
    operations,
    ...(request.parentCommit ? {parentCommit: request.parentCommit} : {}),
    ...(request.signal ? {signal: request.signal} : {}),
    title: request.title,
  })
  try {
    let step = await iterator.next()
    for (; !step.done; step = await iterator.next()) {
      const event = step.value
      if (event.event === 'phase') {
        onEvent?.({
          phase:
            event.phase === 'preuploading' ? 'uploading' : event.phase === 'committing' ? 'committing' : 'uploading',
          type: 'phase',
        })
        continue
      }

      const size = sizes.get(event.path) ?? 0
      if (event.state === 'hashing') {
        // Only files the Hub wants in LFS are hashed by the library; its progress is a fraction.
        lfs.add(event.path)
        const done = Math.round(event.progress * size)
        onEvent?.({bytes: done - (hashed.get(event.path) ?? 0), type: 'hash_bytes'})
        hashed.set(event.path, done)
      } else if (event.state === 'uploading' && lfs.has(event.path)) {
        if (event.progress < 1) started.add(event.path)
        else if (!started.has(event.path)) skipped.add(event.path)
        if (event.progress === 1) onEvent?.({path: event.path, skipped: skipped.has(event.path), type: 'upload_done'})
      }
    }

    const regular = uploads.filter((f) => !lfs.has(f.path))
    for (const f of regular) onEvent?.({path: f.path, skipped: false, type: 'upload_done'})
    const stats: UploadStats = {
      bytes_uploaded: bytesUploaded + regular.reduce((sum, f) => sum + f.size, 0),
      lfs_already_on_hub: skipped.size,
      lfs_files: lfs.size,
      lfs_uploaded: lfs.size - skipped.size,
      regular_files: regular.length,
    }
    const logs = [
      `preupload: ${uploads.length} file(s), ${lfs.size} via LFS`,
      `lfs: ${stats.lfs_uploaded} uploaded, ${stats.lfs_already_on_hub} already on the Hub`,
      `commit: ${step.value.commit.oid}`,
    ]
    return {commitSha: step.value.commit.oid, commitUrl: step.value.commit.url, logs, stats}
  } catch (error) {
    if (request.signal?.aborted) throw pushInterrupted()
    if (error instanceof UploadCallError) throw pushHubError(error.failure, error.message, {repoId: api.repoId})
    throw error
  }
}
