import {createHash} from 'node:crypto'
import {readdir} from 'node:fs/promises'
import {join, relative} from 'node:path'

import {cacheEtag} from './etag.js'
import {publishSnapshot} from './publish.js'

/**
 * Places a local model folder into the cache as `repoId` at a commit derived from its content, exactly as a
 * download of it would lay it out. Used for the demo cache and by tests; the same publish step as `pull`.
 */
export async function importFolder(options: {
  folder: string
  repoId: string
  root: string
}): Promise<{commit: string; snapshotDir: string}> {
  const paths = (await walk(options.folder)).sort()
  const files = await Promise.all(
    paths.map(async (abs) => {
      const path = relative(options.folder, abs).split('\\').join('/')
      return {etag: await cacheEtag(abs, path), path, source: abs}
    }),
  )
  const commit = createHash('sha1')
    .update(files.map((f) => `${f.path}\0${f.etag}`).join('\n'))
    .digest('hex')
  const {snapshotDir} = await publishSnapshot({
    commit,
    files,
    refs: ['main'],
    repoId: options.repoId,
    root: options.root,
  })
  return {commit, snapshotDir}
}

async function walk(dir: string): Promise<string[]> {
  const out: string[] = []
  for (const entry of await readdir(dir, {withFileTypes: true})) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) out.push(...(await walk(path)))
    else if (entry.isFile()) out.push(path)
  }

  return out
}
