import {readFileSync} from 'node:fs'
import {join} from 'node:path'

import {compareCodePoints} from './order.js'
import type {ExpectedFile} from './types.js'

/** The only `format_version` huggingface_hub's `_tree_cache.py` writes; anything else is ignored, as Python does. */
const TREES_FORMAT_VERSION = 1

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/**
 * The file list huggingface_hub ≥ 2.x caches in `trees/<commit>.json` when it downloads a snapshot:
 * `{"format_version": 1, "files": {"<path>": {"size", "blob_id", "lfs_sha256"?, "lfs_size"?, "xet_hash"?}}}`.
 * It tells what a complete snapshot holds. Null when the file is absent, unreadable or not in that format.
 */
export async function readTreesJson(modelDir: string, commit: string): Promise<ExpectedFile[] | null> {
  if (
    commit === '' ||
    commit.includes('/') ||
    commit.includes('\\') ||
    commit.includes('\0') ||
    commit.startsWith('.')
  ) {
    return null
  }

  // Read in place, as the scan reads (see scan.ts): one small file per model, which a listing of a thousand would
  // otherwise queue on the thread pool one promise at a time.
  let data: unknown
  try {
    data = JSON.parse(readFileSync(join(modelDir, 'trees', `${commit}.json`), 'utf8'))
  } catch {
    return null
  }

  if (!isRecord(data) || data.format_version !== TREES_FORMAT_VERSION || !isRecord(data.files)) return null
  const files: ExpectedFile[] = []
  for (const [path, info] of Object.entries(data.files)) {
    if (!isRecord(info) || typeof info.blob_id !== 'string') return null
    if (typeof info.size !== 'number' || !Number.isSafeInteger(info.size) || info.size < 0) return null
    const lfsSha256 = typeof info.lfs_sha256 === 'string' ? info.lfs_sha256 : null
    files.push({blobId: info.blob_id, lfsSha256, path, size: info.size})
  }

  return files.sort((a, b) => compareCodePoints(a.path, b.path))
}
