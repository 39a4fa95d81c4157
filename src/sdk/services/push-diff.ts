import type {RemoteFile} from '../hub/remote-file.js'
import type {LocalFile} from '../workspace/files.js'
import {type FileDigests, hashFile} from '../workspace/hash.js'
import type {SentinelFile} from '../workspace/sentinel.js'

/** What a push would change on the branch. */
export interface PushDiff {
  added: LocalFile[]
  deleted: string[]
  /** Bytes read to decide (only files whose size matches the remote and whose hash was not already known). */
  hashedBytes: number
  modified: LocalFile[]
  unchanged: number
  /** Same size as the remote file, which carries no hash to compare with: uploaded, shown as `~?`. */
  unverified: LocalFile[]
}

export interface DiffInput {
  /** Remote paths that must survive even when absent locally (ignored paths, the Hub's `.gitattributes`). */
  keepRemote: (path: string) => boolean
  local: readonly LocalFile[]
  /** Hashes the workspace sentinel recorded; used when the file's size and mtime still match. */
  known?: ReadonlyMap<string, SentinelFile>
  onHashBytes?: (bytes: number) => void
  /** Called once with what will be hashed, before any hashing. */
  onHashPlan?: (files: number, bytes: number) => void
  remote: readonly RemoteFile[]
}

/**
 * Local workspace against the remote branch. A size difference decides without reading the file; an equal size
 * is settled by the hash the Hub reports: sha256 for an LFS file, the git blob sha1 for a file kept in git. A
 * remote file absent locally is deleted by the push, unless `keepRemote` protects it.
 */
export async function diffWorkspace(input: DiffInput): Promise<PushDiff> {
  const remote = new Map(input.remote.map((f) => [f.path, f]))
  const local = new Set(input.local.map((f) => f.path))
  const diff: PushDiff = {added: [], deleted: [], hashedBytes: 0, modified: [], unchanged: 0, unverified: []}
  const toHash: Array<{file: LocalFile; remote: RemoteFile}> = []
  for (const file of input.local) {
    const other = remote.get(file.path)
    if (!other) diff.added.push(file)
    else if (other.size !== file.size) diff.modified.push(file)
    else if (!other.lfsSha256 && !/^[0-9a-f]{40}$/.test(other.blobId)) diff.unverified.push(file)
    else {
      const known = knownDigest(file, other, input.known?.get(file.path))
      if (known === null) toHash.push({file, remote: other})
      else if (known) diff.unchanged++
      else diff.modified.push(file)
    }
  }

  input.onHashPlan?.(
    toHash.length,
    toHash.reduce((sum, x) => sum + x.file.size, 0),
  )
  for (const {file, remote: other} of toHash) {
    const digests = await hashFile(file.absPath, file.size, input.onHashBytes)
    diff.hashedBytes += file.size
    if (sameContent(digests, other)) diff.unchanged++
    else diff.modified.push(file)
  }

  diff.deleted = input.remote
    .map((f) => f.path)
    .filter((p) => !local.has(p) && !input.keepRemote(p))
    .sort()
  diff.modified.sort((a, b) => (a.path < b.path ? -1 : 1))
  return diff
}

function sameContent(digests: FileDigests, remote: RemoteFile): boolean {
  return remote.lfsSha256 ? digests.sha256 === remote.lfsSha256 : digests.gitSha1 === remote.blobId
}

/** true/false when the sentinel's hash for an unchanged-looking file settles it; null when it must be hashed. */
function knownDigest(file: LocalFile, remote: RemoteFile, entry: SentinelFile | undefined): boolean | null {
  if (!entry || entry.size !== file.size || entry.mtime_ms !== file.mtimeMs) return null
  if (remote.lfsSha256) return entry.sha256 ? entry.sha256 === remote.lfsSha256 : null
  return entry.git_sha1 ? entry.git_sha1 === remote.blobId : null
}
