import type {CloneData} from 'mlxk/sdk/clone'
import {formatSize} from 'mlxk/sdk/render'

/** Upstream's `clone: <model> → <target> (✓ health) — <message>`; `--quiet` keeps only `clone: <model> → <target>`. */
export function renderClone(data: CloneData, options: {quiet?: boolean} = {}): string {
  const head = `clone: ${data.model} → ${data.target_dir}`
  if (options.quiet) return head
  const health =
    data.health === undefined ? '' : data.health === 'healthy' ? ' (✓ health)' : ` (✗ health: ${data.health_reason})`
  const detail = `  ${data.files_count} files, ${formatSize(data.bytes)} (${data.copy_method ?? 'copy'}) from ${data.source === 'hub' ? 'the Hub (pulled into the cache)' : 'the cache'}, commit ${data.commit?.slice(0, 7) ?? '-'}`
  return `${head}${health} — ${data.message}\n${detail}`
}
