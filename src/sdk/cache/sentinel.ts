import {lstat, writeFile} from 'node:fs/promises'
import {join} from 'node:path'

import {MlxkError} from '../errors.js'

/** A file that marks a cache as made by tests. Upstream keyed its guard on `/var/folders/` instead (quirk #16). */
export const TEST_SENTINEL = '.mlxk-test-cache'

export async function markTestCache(root: string): Promise<void> {
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
