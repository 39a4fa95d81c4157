import {lstat, realpath, rm} from 'node:fs/promises'
import {basename, dirname, isAbsolute, join, posix, sep} from 'node:path'

import {MlxkError} from '../errors.js'
import {assertDeletionAllowed} from './sentinel.js'

function unsafe(root: string, target: string, why: string): MlxkError {
  return new MlxkError('unsafe_path', `Refusing to delete ${JSON.stringify(target)} in ${root}: ${why}`, {
    details: {path: target},
    hint: 'Nothing was deleted. Check the cache for symlinks that point outside it.',
  })
}

async function isRealDirectory(path: string): Promise<boolean | null> {
  try {
    const info = await lstat(path)
    return info.isDirectory() && !info.isSymbolicLink()
  } catch {
    return null
  }
}

/**
 * Where `target` (relative to the cache root) really is, if deleting it is allowed: it must lie strictly inside
 * `<root>/<dirName>` or `<root>/.locks/<dirName>` (or be one of those two directories), once every directory on
 * the way is resolved. The last component is never followed: a link is removed as a link. A model or locks
 * directory that is itself a symlink is refused, since removing through it would reach outside the cache.
 * Null when the target's directory does not exist, so there is nothing to delete.
 */
export async function resolveDeletable(root: string, dirName: string, target: string): Promise<null | string> {
  await assertDeletionAllowed(root)
  if (!dirName.startsWith('models--') || dirName.includes('/') || dirName.includes('\\') || dirName.includes('\0')) {
    throw unsafe(root, target, 'not a model directory name')
  }

  const normal = posix.normalize(target)
  if (
    target.includes('\0') ||
    target.includes('\\') ||
    isAbsolute(target) ||
    normal !== target ||
    normal.startsWith('..')
  ) {
    throw unsafe(root, target, 'not a clean path relative to the cache')
  }

  const underLocks = normal === `.locks/${dirName}` || normal.startsWith(`.locks/${dirName}/`)
  if (!underLocks && normal !== dirName && !normal.startsWith(`${dirName}/`)) {
    throw unsafe(root, target, `it is not inside ${dirName} or its locks directory`)
  }

  const realRoot = await realpath(root).catch(() => null)
  if (realRoot === null) throw unsafe(root, target, 'the cache root does not exist')
  const area = underLocks ? join(realRoot, '.locks', dirName) : join(realRoot, dirName)
  for (const dir of underLocks ? [join(realRoot, '.locks'), area] : [area]) {
    if ((await isRealDirectory(dir)) === false) throw unsafe(root, target, `${dir} is not a real directory`)
  }

  const absolute = join(realRoot, target)
  const parent = await realpath(dirname(absolute)).catch(() => null)
  if (parent === null) return null
  const resolved = join(parent, basename(absolute))
  if (resolved !== area && !resolved.startsWith(area + sep)) {
    throw unsafe(root, target, `it resolves to ${resolved}, outside ${dirName}`)
  }

  return resolved
}

/**
 * The only function that deletes anything from the cache. It re-checks the path right before removing it;
 * `rm` never follows links inside a directory it removes. Returns false when the target was already gone.
 */
export async function removeInsideModel(root: string, dirName: string, target: string): Promise<boolean> {
  const resolved = await resolveDeletable(root, dirName, target)
  if (resolved === null) return false
  const exists = await lstat(resolved).then(
    () => true,
    () => false,
  )
  if (!exists) return false
  await rm(resolved, {force: true, recursive: true})
  return true
}
