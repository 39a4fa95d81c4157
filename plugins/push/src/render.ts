import type {PushData} from 'mlxk/sdk/push'
import {formatSize} from 'mlxk/sdk/render'

/**
 * mlx-knife's one-liner, `push (experimental): <repo>@<branch> — …` (dry-run plan, `no changes`, or
 * `commit <sha7> (+A ~M -D)`), with `--verbose` adding the planning hints, the commit URL and the file lists.
 */
export function renderPush(data: PushData, options: {verbose?: boolean} = {}): string {
  const head = `push (experimental): ${data.repo_id}@${data.branch} — `
  const lines = [head + summary(data, options.verbose ?? false)]
  if (data.workspace_health) {
    for (const a of data.workspace_health.anomalies) lines.push(`  ${a.severity}: ${a.message}`)
  }

  if (options.verbose && data.dry_run) {
    for (const p of data.added_files ?? []) lines.push(`  + ${p}`)
    for (const p of data.modified_files ?? []) lines.push(`  ~ ${p}${data.unverified_files?.includes(p) ? ' (?)' : ''}`)
    for (const p of data.deleted_files ?? []) lines.push(`  - ${p}`)
  }

  if (options.verbose && data.upload) {
    const u = data.upload
    lines.push(
      `  ${formatSize(u.bytes_uploaded)} sent; LFS: ${u.lfs_uploaded} uploaded, ${u.lfs_already_on_hub} already on the Hub`,
    )
  }

  return lines.join('\n')
}

function summary(data: PushData, verbose: boolean): string {
  if (data.workspace_health) {
    const h = data.workspace_health
    const state = h.healthy ? 'healthy' : `unhealthy: ${h.health.reason}`
    return `check-only: ${state} (${h.files_count} files, ${formatSize(h.total_bytes)})`
  }

  if (data.dry_run) {
    const s = data.dry_run_summary
    const hints = [
      data.would_create_repo ? 'create repo' : null,
      data.would_create_branch ? 'create branch' : null,
    ].filter(Boolean)
    const plan =
      !s || data.no_changes ? 'dry-run: no changes' : `dry-run: +${s.added} ~${s.modified ?? '?'} -${s.deleted}`
    return plan + (verbose && hints.length > 0 ? ` (${hints.join(', ')})` : '')
  }

  if (data.no_changes) {
    const note = verbose && !/no changes/i.test(data.message) ? ` (${data.message})` : ''
    return `no changes${note}`
  }

  if (data.commit_sha) {
    const c = data.change_summary
    const counts = c ? ` (+${c.added} ~${c.modified} -${c.deleted})` : ''
    return `commit ${data.commit_sha.slice(0, 7)}${counts}` + (verbose && data.commit_url ? ` ${data.commit_url}` : '')
  }

  return data.message || 'done'
}
