import {open} from 'node:fs/promises'

import type {SnapshotFile} from '../cache/types.js'

export type JsonRead = {kind: 'invalid'} | {kind: 'missing'} | {kind: 'ok'; value: unknown}

/** Config-like files are small; a cap keeps a hostile or corrupt snapshot from making `list` read gigabytes. */
const DEFAULT_MAX_BYTES = 32 * 1024 * 1024

/**
 * Reads files of one already-scanned snapshot, each at most once. Lookups go through the scanned list, so a
 * file the scan did not see (or a dangling link) is "missing" without another syscall.
 */
export class SnapshotReader {
  private readonly byPath: Map<string, SnapshotFile>
  private readonly jsonCache = new Map<string, Promise<JsonRead>>()
  private readonly textCache = new Map<string, Promise<null | string>>()

  constructor(files: readonly SnapshotFile[]) {
    this.byPath = new Map(files.filter((f) => !f.dangling).map((f) => [f.path, f]))
  }

  file(path: string): SnapshotFile | undefined {
    return this.byPath.get(path)
  }

  has(path: string): boolean {
    return this.byPath.has(path)
  }

  json(path: string): Promise<JsonRead> {
    let pending = this.jsonCache.get(path)
    if (!pending) {
      pending = this.text(path).then((text): JsonRead => {
        if (text === null) return {kind: this.has(path) ? 'invalid' : 'missing'}
        try {
          return {kind: 'ok', value: JSON.parse(text) as unknown}
        } catch {
          return {kind: 'invalid'}
        }
      })
      this.jsonCache.set(path, pending)
    }

    return pending
  }

  /** The file as UTF-8 up to `maxBytes` (the first call's limit is the one cached), or null when unreadable. */
  text(path: string, maxBytes = DEFAULT_MAX_BYTES): Promise<null | string> {
    let pending = this.textCache.get(path)
    if (!pending) {
      const file = this.byPath.get(path)
      pending = file
        ? readHead(file.absPath, maxBytes).then((b) => (b ? b.toString('utf8') : null))
        : Promise.resolve(null)
      this.textCache.set(path, pending)
    }

    return pending
  }
}

/** The first `maxBytes` bytes of a file, or null when it cannot be read. */
export async function readHead(absPath: string, maxBytes: number): Promise<Buffer | null> {
  let handle
  try {
    handle = await open(absPath, 'r')
    const want = Math.min(maxBytes, (await handle.stat()).size)
    const buffer = Buffer.alloc(want)
    let filled = 0
    while (filled < want) {
      // A file can shrink between stat and read, so stop at EOF rather than trust the size.
      const {bytesRead} = await handle.read(buffer, filled, want - filled, filled)
      if (bytesRead === 0) break
      filled += bytesRead
    }

    return buffer.subarray(0, filled)
  } catch {
    return null
  } finally {
    await handle?.close()
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
