import {constants} from 'node:fs'
import {copyFile as fsCopyFile, mkdir} from 'node:fs/promises'
import {dirname, join} from 'node:path'

export type CopyMethod = 'copy' | 'reflink'
export type CopyFileFn = (src: string, dest: string, mode?: number) => Promise<void>

/**
 * Copy-on-write first (FICLONE on Linux, clonefile on APFS): instant and sharing the cache's disk blocks until the
 * file is edited. Where the filesystem cannot (ext4, a copy across volumes), `COPYFILE_FICLONE_FORCE` fails and
 * the bytes are copied. Either way the result is a real file, never a link into the cache.
 */
export async function copyOne(src: string, dest: string, copy: CopyFileFn = fsCopyFile): Promise<CopyMethod> {
  await mkdir(dirname(dest), {recursive: true})
  try {
    await copy(src, dest, constants.COPYFILE_FICLONE_FORCE | constants.COPYFILE_EXCL)
    return 'reflink'
  } catch (error) {
    if (!cannotClone(error)) throw error
  }

  await copy(src, dest, constants.COPYFILE_EXCL)
  return 'copy'
}

/** The errors a filesystem or kernel gives when it cannot clone; anything else (ENOSPC, EACCES) is real. */
function cannotClone(error: unknown): boolean {
  const code = (error as {code?: unknown})?.code
  return ['ENOTSUP', 'EOPNOTSUPP', 'EXDEV', 'EINVAL', 'ENOSYS', 'ENOTTY', 'EPERM', 'EBADF'].includes(String(code))
}

/** `reflink`, `copy`, or `mixed` when some files could be cloned and others not. */
export function summarizeMethods(methods: readonly CopyMethod[]): 'copy' | 'mixed' | 'reflink' | null {
  const set = new Set(methods)
  if (set.size === 0) return null
  return set.size > 1 ? 'mixed' : (methods[0] as CopyMethod)
}

export function stagingPath(target: string): string {
  const name = target.split('/').filter(Boolean).at(-1) ?? 'workspace'
  return join(dirname(target), `.${name}.mlxk-clone-${process.pid}-${Math.random().toString(16).slice(2, 8)}`)
}
