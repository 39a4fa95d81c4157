import type {RmData} from '../services/rm.js'
import {formatSize} from './format.js'

export function renderRm(data: RmData): string {
  const p = data.plan
  const detail = `${p.targets.length} path(s), ${formatSize(p.freed_bytes)}${p.whole_model ? '' : `, ${p.kept_blobs} shared blob(s) kept`}`
  if (data.action === 'dry_run') {
    return [`rm: ${data.model} — dry run: would delete ${detail}`, ...p.targets.map((t) => `  ${t}`)].join('\n')
  }

  return `rm: ${data.model} — ${data.action}: ${data.message} (${detail})`
}
