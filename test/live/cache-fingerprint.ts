import {lstat, readdir, readlink} from 'node:fs/promises'
import {join, relative} from 'node:path'

/**
 * Every entry of a cache with its type, size, link target and mtime. Live tests take one before and after they
 * read a user's cache: equal fingerprints prove nothing was written, renamed or deleted.
 */
export async function cacheFingerprint(root: string): Promise<string[]> {
  const out: string[] = []
  const walk = async (dir: string): Promise<void> => {
    for (const name of (await readdir(dir)).sort()) {
      const path = join(dir, name)
      const st = await lstat(path)
      const kind = st.isSymbolicLink() ? `-> ${await readlink(path)}` : st.isDirectory() ? 'dir' : `${st.size}B`
      out.push(`${relative(root, path)} ${kind} ${st.mtimeMs}`)
      if (st.isDirectory()) await walk(path)
    }
  }

  await walk(root)
  return out
}
