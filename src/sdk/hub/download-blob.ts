import {constants} from 'node:fs'
import {type FileHandle, open, rename, rm, stat} from 'node:fs/promises'
import {join} from 'node:path'

import {createHash} from 'node:crypto'

import {MlxkError} from '../errors.js'
import type {ConnectionPool} from './connection-pool.js'
import {isTransient} from './hub-errors.js'
import {
  bytesDone,
  type Part,
  partialName,
  type PartialState,
  planParts,
  readTrailer,
  TRAILER_BYTES,
  TrailerWriter,
  writeTrailer,
} from './partial-file.js'
import {HttpStatusError, requestRange} from './range-request.js'
import type {RemoteFile} from './remote-file.js'

export interface DownloadSettings {
  fetch?: typeof fetch
  hubUrl: string
  /** How many times a file whose bytes fail the hash check is downloaded again before the pull gives up. */
  integrityRetries: number
  /** Consecutive failed attempts of one part, without new bytes in between, before the pull gives up. */
  maxRetries: number
  maxPartsPerFile: number
  minPartBytes: number
  onBytes(path: string, bytes: number): void
  pool: ConnectionPool
  /** A transfer that receives nothing for this long is cut and retried from where it stopped. */
  readTimeoutMs: number
  retryDelayMs(failures: number): number
  signal: AbortSignal
  token?: string | undefined
  userAgent: string
}

export interface BlobJob {
  blobsDir: string
  etag: string
  file: RemoteFile
  /** The file's resolve URL at the pulled commit. */
  url: string
}

export interface BlobResult {
  /** Bytes received over the network for this file (re-downloads after a failed hash check included). */
  downloadedBytes: number
  /** Bytes a previous, interrupted run had already put on disk. */
  resumedBytes: number
}

/** The server answered a ranged request with the whole file: parallel parts are impossible for this file. */
class RangeIgnored extends Error {}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms)
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer)
        reject(signal.reason)
      },
      {once: true},
    )
  })

/**
 * True when the file's content has the digest its blob name promises: sha256 for LFS, git blob sha1 otherwise.
 * One reused buffer: a stream would allocate a fresh chunk per read, and gigabytes of short-lived buffers are
 * what drove the process's peak RSS.
 */
async function verify(path: string, file: RemoteFile): Promise<boolean> {
  const {size} = await stat(path)
  if (size !== file.size) return false
  const hash = file.lfsSha256 ? createHash('sha256') : createHash('sha1').update(`blob ${size}\0`)
  const handle = await open(path, 'r')
  try {
    const buffer = Buffer.allocUnsafe(1 << 20)
    for (let position = 0; position < size;) {
      const {bytesRead} = await handle.read(buffer, 0, buffer.length, position)
      if (bytesRead === 0) return false
      hash.update(buffer.subarray(0, bytesRead))
      position += bytesRead
    }
  } finally {
    await handle.close()
  }

  return hash.digest('hex') === (file.lfsSha256 ?? file.blobId)
}

/**
 * Downloads one file into `blobs/<etag>`, resuming what an earlier run left in its partial file. Large files
 * come in parallel Range parts written at their offsets; every byte is streamed to disk, never held whole in
 * memory. The content is hashed before the atomic rename: a file that does not match is deleted and downloaded
 * again, and never becomes a blob. The caller holds the blob's lock.
 */
export async function downloadBlob(job: BlobJob, settings: DownloadSettings): Promise<BlobResult> {
  const {file} = job
  const blob = join(job.blobsDir, job.etag)
  const temp = join(job.blobsDir, partialName(job.etag))
  let downloadedBytes = 0
  let resumedBytes = -1
  for (let attempt = 0; ; attempt++) {
    const handle = await open(temp, constants.O_RDWR | constants.O_CREAT, 0o644)
    let state: PartialState
    try {
      const found = await readTrailer(handle, job.etag, file.size)
      if (found === null && (await handle.stat()).size === file.size && (await verify(temp, file))) {
        // An earlier run finished and trimmed the trailer but died before the rename.
        await handle.close()
        await rename(temp, blob)
        return {downloadedBytes, resumedBytes: file.size}
      }

      state = found ?? {
        etag: job.etag,
        parts: planParts(file.size, settings.minPartBytes, settings.maxPartsPerFile),
        size: file.size,
      }
      if (found === null) {
        await handle.truncate(0)
        await handle.truncate(file.size + TRAILER_BYTES)
        await writeTrailer(handle, state)
      }

      if (resumedBytes < 0) resumedBytes = bytesDone(state)
      downloadedBytes += await fillParts(handle, state, job, settings)
      await handle.truncate(file.size)
    } finally {
      await handle.close().catch(() => {})
    }

    if (await verify(temp, file)) {
      await rename(temp, blob)
      return {downloadedBytes, resumedBytes}
    }

    await rm(temp, {force: true})
    if (attempt >= settings.integrityRetries) {
      throw new MlxkError(
        'model_corrupted',
        `The Hub sent '${file.path}' with the wrong ${file.lfsSha256 ? 'sha256' : 'git hash'} ${attempt + 1} times; it was discarded, not linked.`,
        {
          details: {path: file.path},
          hint: 'A proxy or the network is altering the download. Retry later or from another network.',
        },
      )
    }
  }
}

/** What the parts of one file share while they download. */
interface Transfer {
  /** Bytes received over the network by this call, all parts together. */
  downloaded: number
  handle: FileHandle
  job: BlobJob
  settings: DownloadSettings
  state: PartialState
  /** Where the Hub redirected the file, so the other parts and the retries skip the redirect. */
  storageUrl: null | string
  trailer: TrailerWriter
}

/**
 * Fetches every unfinished part, in rounds of parallel part fetches. One failing part stops its siblings, and
 * nothing returns while any of them may still write. A server that ignores Range ends the round, and the file
 * starts over as a single part.
 */
async function fillParts(
  handle: FileHandle,
  state: PartialState,
  job: BlobJob,
  settings: DownloadSettings,
): Promise<number> {
  const transfer: Transfer = {
    downloaded: 0,
    handle,
    job,
    settings,
    state,
    storageUrl: null,
    trailer: new TrailerWriter(handle, state),
  }
  try {
    for (;;) {
      const round = new AbortController()
      const roundSignal = AbortSignal.any([settings.signal, round.signal])
      let firstError: unknown = null
      const results = await Promise.allSettled(
        state.parts
          .filter((part) => part.done < partLength(part))
          .map((part) =>
            fillPart(transfer, part, roundSignal).catch((error: unknown) => {
              firstError ??= error
              round.abort(error)
              throw error
            }),
          ),
      )
      if (results.every((result) => result.status === 'fulfilled')) return transfer.downloaded
      if (!(firstError instanceof RangeIgnored))
        throw settings.signal.aborted ? (settings.signal.reason ?? firstError) : firstError
      state.parts = planParts(state.size, state.size, 1)
      await transfer.trailer.flush()
    }
  } finally {
    await transfer.trailer.flush()
  }
}

const partLength = (part: Part) => part.end - part.start + 1

/**
 * Fetches `part` until it is complete. Network errors, timeouts, 408, 429 and 5xx are retried with backoff, up to
 * `maxRetries` attempts in a row that bring no new bytes; any other refusal fails the file.
 */
async function fillPart(transfer: Transfer, part: Part, roundSignal: AbortSignal): Promise<void> {
  const {job, settings} = transfer
  let failures = 0
  while (part.done < partLength(part)) {
    roundSignal.throwIfAborted()
    const attempt = {received: 0}
    try {
      await settings.pool.use(() => fetchPart(transfer, part, roundSignal, attempt))
    } catch (error) {
      if (roundSignal.aborted) throw roundSignal.reason ?? error
      if (error instanceof RangeIgnored) throw error
      if (attempt.received > 0) failures = 0
      if (error instanceof HttpStatusError && !isTransient({code: error.code, status: error.status, timedOut: false})) {
        // A signed storage URL may have expired: go back through the Hub once before giving up.
        if (transfer.storageUrl !== null && (error.status === 403 || error.status === 401 || error.status === 404)) {
          transfer.storageUrl = null
        } else {
          throw new MlxkError('download_failed', `Download of '${job.file.path}' failed: ${error.message}`, {
            details: {path: job.file.path, status: error.status},
            hint: 'Check HF_TOKEN and the model name, then run the same `mlxk pull` again; finished files are kept.',
          })
        }
      }

      failures++
      if (failures > settings.maxRetries) {
        throw new MlxkError(
          'download_failed',
          `Download of '${job.file.path}' failed after ${settings.maxRetries} retries: ${(error as Error).message}`,
          {
            details: {path: job.file.path},
            hint: 'Run the same `mlxk pull` again: it resumes from the bytes already on disk.',
          },
        )
      }

      const wait =
        error instanceof HttpStatusError && error.retryAfterMs !== null
          ? error.retryAfterMs
          : settings.retryDelayMs(failures)
      await sleep(wait, roundSignal)
    }
  }
}

/**
 * One request for the bytes `part` still lacks, streamed to their offsets; `attempt.received` counts what it
 * wrote. A transfer that receives nothing for `readTimeoutMs` is cut. The trailer is written as soon as the
 * stream ends or fails, so a kill right after loses nothing that reached the disk.
 */
async function fetchPart(
  transfer: Transfer,
  part: Part,
  roundSignal: AbortSignal,
  attempt: {received: number},
): Promise<void> {
  const {handle, job, settings} = transfer
  const from = part.start + part.done
  const idle = new AbortController()
  let timer: NodeJS.Timeout | undefined
  const restartIdleTimer = () => {
    clearTimeout(timer)
    timer = setTimeout(() => idle.abort(new Error('read timeout')), settings.readTimeoutMs)
  }

  restartIdleTimer()
  try {
    const response = await requestRange({
      end: part.end,
      ...(settings.fetch ? {fetch: settings.fetch} : {}),
      hubUrl: settings.hubUrl,
      signal: AbortSignal.any([roundSignal, idle.signal]),
      start: from,
      token: settings.token,
      url: transfer.storageUrl ?? job.url,
      userAgent: settings.userAgent,
    })
    if (response.finalUrl !== job.url) transfer.storageUrl = response.finalUrl
    if (response.bodyStart !== from) {
      if (transfer.state.parts.length > 1) {
        await response.body.cancel().catch(() => {})
        throw new RangeIgnored()
      }

      // One part and no Range support: the answer is the whole file, which overwrites the part from byte 0.
      part.done = 0
    }

    let position = response.bodyStart
    try {
      for await (const chunk of response.body) {
        restartIdleTimer()
        const take = Math.min(chunk.byteLength, part.end + 1 - position)
        if (take <= 0) break
        await handle.write(chunk, 0, take, position)
        position += take
        part.done = position - part.start
        transfer.downloaded += take
        attempt.received += take
        settings.onBytes(job.file.path, take)
        transfer.trailer.progressed()
      }
    } finally {
      await transfer.trailer.flush()
    }

    if (position <= part.end)
      throw new Error(`connection closed after ${position - part.start} of ${partLength(part)} bytes`)
  } finally {
    clearTimeout(timer)
  }
}
