import {createHash} from 'node:crypto'
import {createReadStream} from 'node:fs'

export interface FileDigests {
  /** git blob sha1 (`blob <size>\0<content>`): what the Hub reports as `oid` for a file kept in git. */
  gitSha1: string
  /** sha256 of the content: what names an LFS object. */
  sha256: string
}

/**
 * Both digests in one read, so deciding whether a file changed never reads it twice, whichever kind the Hub
 * stores it as. `onBytes` reports progress for the hashing display.
 */
export async function hashFile(path: string, size: number, onBytes?: (bytes: number) => void): Promise<FileDigests> {
  const sha1 = createHash('sha1').update(`blob ${size}\0`)
  const sha256 = createHash('sha256')
  for await (const chunk of createReadStream(path, {highWaterMark: 1 << 20})) {
    const buffer = chunk as Buffer
    sha1.update(buffer)
    sha256.update(buffer)
    onBytes?.(buffer.length)
  }

  return {gitSha1: sha1.digest('hex'), sha256: sha256.digest('hex')}
}
