import {closeSync, fstatSync, openSync, readSync} from 'node:fs'

import type {SnapshotFile} from '../cache/types.js'

export type JsonRead = {kind: 'invalid'} | {kind: 'missing'} | {kind: 'ok'; value: unknown}

/** Reads the first `maxBytes` bytes of a file whose size the scan already knows, or null when unreadable. */
export type HeadReader = (absPath: string, maxBytes: number, knownSize?: number) => Buffer | null

/** Config-like files are small; a cap keeps a hostile or corrupt snapshot from making `list` read gigabytes. */
const DEFAULT_MAX_BYTES = 32 * 1024 * 1024

interface CachedRead {
  bytes: Buffer | null
  limit: number
}

/**
 * Reads files of one already-scanned snapshot, each at most once, shared by inspection and the health check.
 * Lookups go through the scanned list, so a file the scan did not see (or a dangling link) is "missing" without
 * another syscall. Reads are synchronous: the files are small metadata, and a listing of a thousand models spends
 * far less time in the syscalls themselves than in queueing one promise per syscall on the thread pool.
 */
export class SnapshotReader {
  private readonly byPath: Map<string, SnapshotFile>
  private readonly bytesCache = new Map<string, CachedRead>()
  private readonly jsonCache = new Map<string, JsonRead>()
  private readonly readHead: HeadReader

  constructor(files: readonly SnapshotFile[], options: {readHead?: HeadReader} = {}) {
    this.byPath = new Map(files.filter((f) => !f.dangling).map((f) => [f.path, f]))
    this.readHead = options.readHead ?? readHead
  }

  /**
   * The first `maxBytes` bytes of the file, or null when it is not listed or cannot be read. A read that already
   * holds those bytes (or the whole file) answers later requests, so a 100-byte probe after a full read is free.
   */
  bytes(path: string, maxBytes = DEFAULT_MAX_BYTES): Buffer | null {
    const file = this.byPath.get(path)
    if (!file) return null
    const cached = this.bytesCache.get(path)
    if (cached && (cached.bytes === null || maxBytes <= cached.limit || cached.bytes.length < cached.limit)) {
      return cached.bytes && cached.bytes.length > maxBytes ? cached.bytes.subarray(0, maxBytes) : cached.bytes
    }

    const bytes = this.readHead(file.absPath, maxBytes, file.size)
    this.bytesCache.set(path, {bytes, limit: maxBytes})
    return bytes
  }

  file(path: string): SnapshotFile | undefined {
    return this.byPath.get(path)
  }

  has(path: string): boolean {
    return this.byPath.has(path)
  }

  json(path: string): JsonRead {
    let read = this.jsonCache.get(path)
    if (!read) {
      read = parseJson(this.text(path), this.has(path))
      this.jsonCache.set(path, read)
    }

    return read
  }

  /** The file as UTF-8 up to `maxBytes`, or null when unreadable. */
  text(path: string, maxBytes = DEFAULT_MAX_BYTES): null | string {
    return this.bytes(path, maxBytes)?.toString('utf8') ?? null
  }
}

function parseJson(text: null | string, listed: boolean): JsonRead {
  if (text === null) return {kind: listed ? 'invalid' : 'missing'}
  try {
    return {kind: 'ok', value: JSON.parse(text) as unknown}
  } catch {
    return {kind: 'invalid'}
  }
}

/**
 * The first `maxBytes` bytes of a file, or null when it cannot be read. With `knownSize` (from the scan) the
 * fstat is skipped; the read still stops at EOF, so a file that shrank since is read correctly.
 */
export function readHead(absPath: string, maxBytes: number, knownSize?: number): Buffer | null {
  let fd: number | undefined
  try {
    fd = openSync(absPath, 'r')
    const want = Math.min(maxBytes, knownSize ?? fstatSync(fd).size)
    const buffer = Buffer.allocUnsafe(want)
    let filled = 0
    while (filled < want) {
      const bytesRead = readSync(fd, buffer, filled, want - filled, filled)
      if (bytesRead === 0) break
      filled += bytesRead
    }

    return buffer.subarray(0, filled)
  } catch {
    return null
  } finally {
    if (fd !== undefined) closeSync(fd)
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
