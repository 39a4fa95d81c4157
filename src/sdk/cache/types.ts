/** One file of a snapshot, as a reader of the HF cache sees it. */
export interface SnapshotFile {
  /** Absolute path of the entry inside the snapshot directory (may be a symlink). */
  absPath: string
  /** Blob file name (etag) when the entry is a symlink into `blobs/`, else null (plain file). */
  blob: string | null
  /** True when the entry is a symlink whose target does not exist. */
  dangling: boolean
  /** POSIX path relative to the snapshot root, e.g. `model.safetensors` or `sub/x.json`. */
  path: string
  /** Size in bytes of the resolved file (0 when dangling). */
  size: number
}

/** One `snapshots/<commit>` directory. */
export interface Snapshot {
  /** Directory name: normally the 40-hex commit sha. */
  commit: string
  /** Absolute path of the snapshot directory. */
  dir: string
  /** mtime of the snapshot directory, in ms since the epoch. */
  mtimeMs: number
  /** Names of the refs (`main`, tags, branches) that point at this commit. */
  refs: string[]
}

/** A leftover partial download in `blobs/`: `<etag>.incomplete` or `<etag>.<8 hex>.incomplete`. */
export interface IncompleteBlob {
  etag: string
  name: string
  size: number
}

/** One `models--org--name` directory of the cache. */
export interface CachedModel {
  /** Absolute path of the model directory. */
  dir: string
  /** Directory name, e.g. `models--org--name`. */
  dirName: string
  /** Bytes that all blobs and plain snapshot files occupy on disk, each blob counted once. */
  diskBytes: number
  incompleteBlobs: IncompleteBlob[]
  /** HF id, e.g. `org/name` (mechanical conversion of the directory name). */
  name: string
  /** Ref name → commit sha, from `refs/` (nested refs such as `refs/pr/1` keep their path). */
  refs: Record<string, string>
  /** Snapshots sorted by commit name. */
  snapshots: Snapshot[]
}

/** Result of resolving a user's model spec against the cache. */
export type Resolution =
  | {kind: 'ambiguous'; matches: string[]; spec: string}
  | {
      kind: 'found'
      exact: boolean
      model: CachedModel
      revision: null | string
      snapshot: null | Snapshot
      spec: string
    }
  | {kind: 'not_found'; revision: null | string; spec: string}
  | {kind: 'revision_not_found'; available: string[]; model: CachedModel; revision: string; spec: string}

/** One file that `trees/<commit>.json` (written by huggingface_hub ≥ 2.x) says the snapshot should contain. */
export interface ExpectedFile {
  /** git blob sha1 as the Hub reports it (for LFS files: the sha1 of the pointer). */
  blobId: string
  /** sha256 of the content for LFS files (the cache's blob name), else null. */
  lfsSha256: null | string
  /** POSIX path relative to the snapshot root. */
  path: string
  /** Size in bytes of the file's content. */
  size: number
}
