import type {HealthData} from '../services/health.js'

export function renderHealth(data: HealthData): string {
  const {summary} = data
  const lines = [
    `Summary: total ${summary.total}, healthy ${summary.healthy_count}, unhealthy ${summary.unhealthy_count}`,
  ]
  for (const e of data.healthy) {
    const runtime = e.runtime_compatible ? '' : ` (not runnable: ${e.runtime_reason ?? 'unknown'})`
    const partial = e.partial_download
      ? ` [${e.partial_download.count} partial download file(s) left; resume with \`mlxk pull ${e.name}\`]`
      : ''
    lines.push(`healthy   ${e.name} — ${e.reason}${runtime}${partial}`)
  }

  for (const e of data.unhealthy) lines.push(`unhealthy ${e.name} — ${e.reason}`)
  return lines.join('\n')
}
