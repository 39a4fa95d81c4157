import {lstat, mkdir, mkdtemp, readdir, readlink, stat, symlink, truncate, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {basename, dirname, join, relative, resolve} from 'node:path'

import type {IncompleteBlob, SnapshotFile} from '../../../src/sdk/cache/types.js'

/**
 * Content of one snapshot entry: text/JSON/bytes written as a plain file, `{size}` a sparse file of that many
 * bytes, `{link}` a symlink into a sibling `blobs/` dir holding the content, `{dangling: true}` a symlink whose
 * blob is absent.
 */
export type Entry = Buffer | string | {dangling: true} | {json: unknown} | {link: Buffer | string} | {size: number}

export interface TempSnapshot {
  dir: string
  files: SnapshotFile[]
}

let counter = 0

/** A snapshot dir laid out like the HF cache's (`models--x/snapshots/<sha>`), scanned into SnapshotFile[]. */
export async function makeSnapshot(entries: Record<string, Entry>): Promise<TempSnapshot> {
  const root = await mkdtemp(join(process.env.MLXK_TEST_SANDBOX ?? tmpdir(), 'snap-'))
  const dir = join(root, 'snapshots', '0123456789abcdef0123456789abcdef01234567')
  const blobs = join(root, 'blobs')
  await mkdir(dir, {recursive: true})
  await mkdir(blobs, {recursive: true})
  for (const [path, entry] of Object.entries(entries)) {
    const target = join(dir, path)
    await mkdir(dirname(target), {recursive: true})
    if (typeof entry === 'string' || Buffer.isBuffer(entry)) await writeFile(target, entry)
    else if ('json' in entry) await writeFile(target, JSON.stringify(entry.json))
    else if ('size' in entry) {
      await writeFile(target, '')
      await truncate(target, entry.size)
    } else {
      const blob = join(blobs, `blob${++counter}`)
      if ('link' in entry) await writeFile(blob, entry.link)
      await symlink(relative(dirname(target), blob), target)
    }
  }

  return {dir, files: await scan(dir)}
}

/** SnapshotFile[] for every file under `dir`, as the cache scanner would list a snapshot. */
export async function scan(dir: string, prefix = ''): Promise<SnapshotFile[]> {
  const out: SnapshotFile[] = []
  for (const name of (await readdir(join(dir, prefix))).sort()) {
    const rel = prefix ? `${prefix}/${name}` : name
    const absPath = join(dir, rel)
    const info = await lstat(absPath)
    if (info.isDirectory()) {
      out.push(...(await scan(dir, rel)))
      continue
    }

    if (info.isSymbolicLink()) {
      const target = resolve(dirname(absPath), await readlink(absPath))
      const resolved = await stat(target).catch(() => null)
      out.push({absPath, blob: basename(target), dangling: resolved === null, path: rel, size: resolved?.size ?? 0})
    } else {
      out.push({absPath, blob: null, dangling: false, path: rel, size: info.size})
    }
  }

  return out
}

export function incomplete(...sizes: number[]): IncompleteBlob[] {
  return sizes.map((size, i) => ({etag: `etag${i}`, name: `etag${i}.incomplete`, size}))
}

/** A config that passes every gate for an mlx-lm model. */
export const LLAMA_CONFIG = {architectures: ['LlamaForCausalLM'], max_position_embeddings: 4096, model_type: 'llama'}
