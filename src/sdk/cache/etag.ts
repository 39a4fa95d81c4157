import {createHash} from 'node:crypto'
import {createReadStream} from 'node:fs'
import {stat} from 'node:fs/promises'

/** Files the Hub stores in LFS (named by sha256 in the cache); everything else is named by its git blob sha1. */
const LFS_PATTERN = /\.(safetensors|bin|gguf|pt|pth|ckpt|h5|msgpack|onnx|npz|model|tiktoken)$/i

export function isLfsPath(path: string): boolean {
  return LFS_PATTERN.test(path)
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer)
  return hash.digest('hex')
}

/** git's blob id: sha1 over "blob <size>\0" + content, which is the ETag the Hub gives non-LFS files. */
export async function gitBlobSha1File(path: string): Promise<string> {
  const {size} = await stat(path)
  const hash = createHash('sha1')
  hash.update(`blob ${size}\0`)
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer)
  return hash.digest('hex')
}

/** The blob name the cache uses for a file at `path` with these bytes. */
export async function cacheEtag(path: string, relativePath: string): Promise<string> {
  return isLfsPath(relativePath) ? sha256File(path) : gitBlobSha1File(path)
}
