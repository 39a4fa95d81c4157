/** One file of a commit on the Hub, as the tree listing describes it. */
export interface RemoteFile {
  /** git blob sha1 (for LFS files: of the pointer). */
  blobId: string
  /** sha256 of the content for LFS/Xet files, which names the blob in the cache; null for files kept in git. */
  lfsSha256: null | string
  path: string
  size: number
  xetHash: null | string
}

/** The cache's blob name: sha256 for LFS files, git blob sha1 otherwise (Python's etag rule). */
export function blobName(file: RemoteFile): string {
  return file.lfsSha256 ?? file.blobId
}

/** What a pull downloads: one repo at one commit. */
export interface RemoteSnapshot {
  commit: string
  files: RemoteFile[]
  gated: 'auto' | 'manual' | false
  private: boolean
  repoId: string
}
