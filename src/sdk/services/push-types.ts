import type {WorkspaceHealth} from '../workspace/health.js'

export const PUSH_DISCLAIMER = 'Alpha feature (upload only). No validation/filters; review results on the Hub.'

export interface ChangeSummary {
  added: number
  deleted: number
  modified: number
}

/** How the files of a commit travelled: LFS objects the Hub already held were not sent again. */
export interface UploadStats {
  bytes_uploaded: number
  lfs_already_on_hub: number
  lfs_files: number
  lfs_uploaded: number
  regular_files: number
}

/** `data` of `mlxk push --json`: mlx-knife's fields, plus the diff lists, upload figures and created_branch. */
export interface PushData {
  added_files?: string[]
  branch: string
  change_summary?: ChangeSummary
  commit_sha: null | string
  commit_url: null | string
  created_branch: boolean
  created_repo: boolean
  deleted_files?: string[]
  disclaimer: string
  dry_run?: true
  /** Upstream left `modified` null (not computed); mlxk computes it, and null means some sizes matched a file the Hub gave no hash for. */
  dry_run_summary?: {added: number; deleted: number; modified: null | number}
  elapsed_s: number
  experimental: true
  hf_logs: string[]
  ignored_files_count: number | null
  local_files_count: null | number
  message: string
  modified_files?: string[]
  /** null for --check-only, which compares with nothing. */
  no_changes: boolean | null
  /** The branch head the comparison was made against; the commit's parent. */
  parent_commit: null | string
  repo_id: string
  repo_url: string
  unverified_files?: string[]
  upload?: UploadStats
  uploaded_files_count: null | number
  workspace_health?: WorkspaceHealth
  would_create_branch?: boolean
  would_create_repo?: boolean
}

export type PushPhase = 'committing' | 'comparing' | 'hashing' | 'scanning' | 'uploading'

export type PushEvent =
  | {bytes: number; files: number; type: 'hash_plan'}
  | {bytes: number; path: string; type: 'upload_bytes'}
  | {bytes: number; type: 'hash_bytes'}
  | {files: Array<{path: string; size: number}>; type: 'upload_plan'}
  | {path: string; skipped: boolean; type: 'upload_done'}
  | {phase: PushPhase; type: 'phase'}

export interface PushOptions {
  branch: string
  checkOnly?: boolean
  commitMessage: string
  create?: boolean
  dir: string
  dryRun?: boolean
  env?: NodeJS.ProcessEnv
  fetch?: typeof fetch
  onEvent?: (event: PushEvent) => void
  repoId: string
  signal?: AbortSignal
}
