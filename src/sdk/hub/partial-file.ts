import type {FileHandle} from 'node:fs/promises'

/**
 * A resumable partial download lives in ONE file, `blobs/<etag>.6d6c786b.incomplete`: the content at its final
 * offsets (parts are written in parallel, so there can be holes), followed by a fixed-size trailer that records
 * how far each part got. One file means `hf cache prune`, `mlxk rm` and health see a partial download as one unit,
 * with no sidecar to orphan. The 8 hex digits ("mlxk" in ASCII) make the name fit huggingface_hub 2.4's
 * `<etag>.<8 hex>.incomplete` form, which Python never resumes or touches, while staying the same across runs so
 * mlxk can resume it. The trailer is truncated away before the hash check and the rename into place.
 */
export const PARTIAL_TAG = '6d6c786b'
export const TRAILER_BYTES = 4096
const MAGIC = 'MLXK-PARTIAL 1\n'
export const MAX_PARTS = 32

export interface Part {
  /** Bytes of this part already on disk, from `start`. */
  done: number
  /** Inclusive. */
  end: number
  start: number
}

export interface PartialState {
  etag: string
  parts: Part[]
  size: number
}

export function partialName(etag: string): string {
  return `${etag}.${PARTIAL_TAG}.incomplete`
}

/** Splits `size` bytes into parts of at least `minPartBytes`, at most `maxParts` of them. */
export function planParts(size: number, minPartBytes: number, maxParts: number): Part[] {
  if (size === 0) return []
  const count = Math.max(1, Math.min(maxParts, MAX_PARTS, Math.floor(size / Math.max(1, minPartBytes))))
  const length = Math.ceil(size / count)
  const parts: Part[] = []
  for (let start = 0; start < size; start += length)
    parts.push({done: 0, end: Math.min(size, start + length) - 1, start})
  return parts
}

export function encodeTrailer(state: PartialState): Buffer {
  const body =
    MAGIC +
    JSON.stringify({etag: state.etag, parts: state.parts.map((p) => [p.start, p.end, p.done]), size: state.size})
  if (Buffer.byteLength(body) > TRAILER_BYTES) throw new Error('partial-download trailer overflow')
  return Buffer.from(body.padEnd(TRAILER_BYTES, ' '))
}

/** The state a trailer records, or null when it is not one of ours for this blob (then the file starts over). */
export function decodeTrailer(buffer: Buffer, etag: string, size: number): null | PartialState {
  const text = buffer.toString('utf8')
  if (!text.startsWith(MAGIC)) return null
  try {
    const data = JSON.parse(text.slice(MAGIC.length).trimEnd()) as {etag?: unknown; parts?: unknown; size?: unknown}
    if (data.etag !== etag || data.size !== size || !Array.isArray(data.parts)) return null
    const parts: Part[] = []
    let expected = 0
    for (const raw of data.parts as unknown[]) {
      if (!Array.isArray(raw) || raw.length !== 3 || !raw.every((n) => Number.isSafeInteger(n) && n >= 0)) return null
      const [start, end, done] = raw as [number, number, number]
      if (start !== expected || end < start || done > end - start + 1) return null
      parts.push({done, end, start})
      expected = end + 1
    }

    return expected === size ? {etag, parts, size} : null
  } catch {
    return null
  }
}

export async function readTrailer(handle: FileHandle, etag: string, size: number): Promise<null | PartialState> {
  const {size: fileSize} = await handle.stat()
  if (fileSize !== size + TRAILER_BYTES) return null
  const buffer = Buffer.alloc(TRAILER_BYTES)
  await handle.read(buffer, 0, TRAILER_BYTES, size)
  return decodeTrailer(buffer, etag, size)
}

export async function writeTrailer(handle: FileHandle, state: PartialState): Promise<void> {
  await handle.write(encodeTrailer(state), 0, TRAILER_BYTES, state.size)
}

/**
 * Keeps a partial file's trailer in step with the bytes on disk, so a kill -9 loses at most `intervalMs` of
 * progress. While bytes flow the trailer is written at most once per interval; the write after the last of them
 * comes on a timer (a transfer that stalls right after a burst brings no later chunk to carry it); `flush` writes
 * at once, for a part whose stream ended or failed. Each write records `state` as it is when the write is queued,
 * and only bytes already written are counted in it, so the trailer never claims more than the disk holds.
 */
export class TrailerWriter {
  private lastWrite = Number.NEGATIVE_INFINITY
  private pending: NodeJS.Timeout | undefined
  private written = Promise.resolve()

  constructor(
    private readonly handle: FileHandle,
    private readonly state: PartialState,
    private readonly intervalMs = 200,
  ) {}

  /** Writes the trailer now; a write the timer was holding is folded into this one. */
  flush(): Promise<void> {
    clearTimeout(this.pending)
    this.pending = undefined
    this.lastWrite = Date.now()
    const snapshot: PartialState = {...this.state, parts: this.state.parts.map((part) => ({...part}))}
    // A failed trailer write costs only resume progress; the download itself goes on.
    this.written = this.written.then(() => writeTrailer(this.handle, snapshot)).catch(() => {})
    return this.written
  }

  /** More bytes are on disk: the trailer says so within the interval. */
  progressed(): void {
    if (this.pending !== undefined) return
    const wait = Math.max(0, this.lastWrite + this.intervalMs - Date.now())
    this.pending = setTimeout(() => void this.flush(), wait)
  }
}

export function bytesDone(state: PartialState): number {
  return state.parts.reduce((sum, part) => sum + part.done, 0)
}
