import type {PullData} from '../services/pull.js'
import {formatSize} from './format.js'

/** Upstream's one-liner, `pull: <model> — <message>`, with the transfer figures after it. */
export function renderPull(data: PullData): string {
  const lines = [`pull: ${data.model ?? 'None'} — ${data.message}`]
  if (data.download_status === 'success') {
    const speed = data.elapsed_s > 0 ? ` (${formatSize(data.bytes_downloaded / data.elapsed_s)}/s)` : ''
    lines.push(
      `  ${formatSize(data.bytes_downloaded)} downloaded, ${formatSize(data.bytes_reused)} reused, in ${data.elapsed_s.toFixed(1)}s${speed}`,
    )
  }

  if (data.download_status === 'dry_run') {
    for (const file of data.files)
      lines.push(`  ${file.status === 'planned' ? '+' : '='} ${file.path}  ${formatSize(file.size)}`)
  }

  if (data.preflight_warning) lines.push(`  warning: ${data.preflight_warning}`)
  return lines.join('\n')
}
