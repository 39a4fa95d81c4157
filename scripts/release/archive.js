// Writes `<name>.tar.gz` from a staged tree and hashes it. Entries are sorted, owned by 0:0 and stamped with
// one fixed mtime, and gzip gets no timestamp, so the same tree gives the same bytes (and the same sha256).
import {spawn} from 'node:child_process'
import {createHash} from 'node:crypto'
import {createReadStream, createWriteStream} from 'node:fs'
import {pipeline} from 'node:stream/promises'
import {createGzip} from 'node:zlib'

/**
 * `sources`: [{dir, paths}] archived in order, each path relative to its dir (tar -C dir paths...). The staged
 * tree is one source; the linux Node binary is a second one laid over it, so it is never copied into the stage.
 */
export async function writeTarball(out, sources, {mtime}) {
  const args = ['--create', '--file=-', '--sort=name', '--owner=0', '--group=0', '--numeric-owner', `--mtime=@${mtime}`]
  for (const {dir, paths} of sources) args.push('-C', dir, ...paths)
  const tar = spawn('tar', args, {stdio: ['ignore', 'pipe', 'inherit']})
  const exited = new Promise((resolve, reject) => {
    tar.on('error', reject)
    tar.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`tar exited with ${code}`))))
  })
  await pipeline(tar.stdout, createGzip({level: 9}), createWriteStream(out))
  await exited
  return sha256File(out)
}

export async function sha256File(path) {
  const hash = createHash('sha256')
  await pipeline(createReadStream(path), hash)
  return hash.digest('hex')
}
