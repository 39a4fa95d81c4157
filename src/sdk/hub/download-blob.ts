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

/** Fetches every unfinished part, keeping the trailer current so a crash loses at most a moment of progress. */
async function fillParts(
  handle: FileHandle,
  state: PartialState,
  job: BlobJob,
  settings: DownloadSettings,
): Promise<number> {
  let downloaded = 0
  let storageUrl: null | string = null
  let persisted = Promise.resolve()
  let lastPersist = Date.now()
  const persist = (force: boolean): Promise<void> => {
    if (!force && Date.now() - lastPersist < 200) return persisted
    lastPersist = Date.now()
    const snapshot: PartialState = {...state, parts: state.parts.map((part) => ({...part}))}
    persisted = persisted.then(() => writeTrailer(handle, snapshot)).catch(() => {})
    return persisted
  }

  const runPart = async (part: Part, roundSignal: AbortSignal): Promise<void> => {
    let failures = 0
    const length = part.end - part.start + 1
    while (part.done < length) {
      roundSignal.throwIfAborted()
      const from = part.start + part.done
      try {
        await settings.pool.use(async () => {
          const idle = new AbortController()
          const signal = AbortSignal.any([roundSignal, idle.signal])
          let timer = setTimeout(() => idle.abort(new Error('read timeout')), settings.readTimeoutMs)
          try {
            const response = await requestRange({
              end: part.end,
              ...(settings.fetch ? {fetch: settings.fetch} : {}),
              hubUrl: settings.hubUrl,
              signal,
              start: from,
              token: settings.token,
              url: storageUrl ?? job.url,
              userAgent: settings.userAgent,
            })
            if (response.finalUrl !== job.url) storageUrl = response.finalUrl
            if (response.bodyStart !== from) {
              await response.body.cancel().catch(() => {})
              if (state.parts.length > 1) throw new RangeIgnored()
              // One part and no Range support: the whole file comes again from byte 0.
              part.done = 0
              return runStream(
                await requestRange({
                  end: part.end,
                  hubUrl: settings.hubUrl,
                  signal,
                  start: 0,
                  token: settings.token,
                  url: job.url,
                  userAgent: settings.userAgent,
                  ...(settings.fetch ? {fetch: settings.fetch} : {}),
                }),
              )
            }

            await runStream(response)
            async function runStream(answer: {body: ReadableStream<Uint8Array>; bodyStart: number}): Promise<void> {
              let position = answer.bodyStart
              for await (const chunk of answer.body) {
                clearTimeout(timer)
                timer = setTimeout(() => idle.abort(new Error('read timeout')), settings.readTimeoutMs)
                const take = Math.min(chunk.byteLength, part.end + 1 - position)
                if (take <= 0) break
                await handle.write(chunk, 0, take, position)
                position += take
                part.done = position - part.start
                downloaded += take
                failures = 0
                settings.onBytes(job.file.path, take)
                void persist(false)
              }

              if (position <= part.end)
                throw new Error(`connection closed after ${position - part.start} of ${length} bytes`)
            }
          } finally {
            clearTimeout(timer)
          }
        })
      } catch (error) {
        if (roundSignal.aborted) throw roundSignal.reason ?? error
        if (error instanceof RangeIgnored) throw error
        if (
          error instanceof HttpStatusError &&
          !isTransient({code: error.code, status: error.status, timedOut: false})
        ) {
          // A signed storage URL may have expired: go back through the Hub once before giving up.
          if (storageUrl !== null && (error.status === 403 || error.status === 401 || error.status === 404)) {
            storageUrl = null
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

        await persist(true)
        const wait =
          error instanceof HttpStatusError && error.retryAfterMs !== null
            ? error.retryAfterMs
            : settings.retryDelayMs(failures)
        await sleep(wait, roundSignal)
      }
    }
  }

  try {
    for (;;) {
      // One failing part stops its siblings, and nothing returns while any of them may still write.
      const round = new AbortController()
      const roundSignal = AbortSignal.any([settings.signal, round.signal])
      let firstError: unknown = null
      const results = await Promise.allSettled(
        state.parts
          .filter((part) => part.done < part.end - part.start + 1)
          .map((part) =>
            runPart(part, roundSignal).catch((error: unknown) => {
              firstError ??= error
              round.abort(error)
              throw error
            }),
          ),
      )
      if (results.every((result) => result.status === 'fulfilled')) return downloaded
      if (!(firstError instanceof RangeIgnored))
        throw settings.signal.aborted ? (settings.signal.reason ?? firstError) : firstError
      state.parts = planParts(state.size, state.size, 1)
      await persist(true)
    }
  } finally {
    await persist(true)
  }
}
