import {lstat, mkdir, writeFile} from 'node:fs/promises'
import {join} from 'node:path'

import {MlxkError} from '../errors.js'

/**
 * A file that marks a cache as made by tests. Upstream keyed its guard on `/var/folders/` instead (quirk #16).
 * It lives in `.locks/`, the one entry of the cache root that Python's `scan_cache_dir` skips: anywhere else at
 * the root Python reports it as a corrupted repo.
 */
export const TEST_SENTINEL = '.locks/mlxk-test-cache'

export async function markTestCache(root: string): Promise<void> {
  await mkdir(join(root, '.locks'), {recursive: true})
  await writeFile(join(root, TEST_SENTINEL), 'This cache was created by mlxk tests; deleting from it is allowed.\n')
}

export async function isTestCache(root: string): Promise<boolean> {
  try {
    return (await lstat(join(root, TEST_SENTINEL))).isFile()
  } catch {
    return false
  }
}

/**
 * With `MLXK_STRICT_TEST_DELETE=1` (set by the test harness) deletion is refused in any cache without the
 * sentinel, so a test that got the wrong cache path cannot remove a user's models.
 */
export async function assertDeletionAllowed(root: string, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  if (env.MLXK_STRICT_TEST_DELETE !== '1') return
  if (await isTestCache(root)) return
  throw new MlxkError('deletion_failed', `Expected a test cache, but using: ${root}`, {
    hint: `MLXK_STRICT_TEST_DELETE=1 allows deleting only from a cache that contains ${TEST_SENTINEL}`,
  })
}
