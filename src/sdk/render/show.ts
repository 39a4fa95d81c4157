import type {ShowData} from '../services/show.js'
import {formatRelativeTime, formatSize} from './format.js'

export function renderShow(data: ShowData, now: Date = new Date()): string {
  const m = data.model
  const health =
    m.health !== 'healthy' ? 'unhealthy' : m.runtime_compatible ? 'healthy' : 'healthy (files OK, runtime incompatible)'
  const lines = [
    `Model: ${m.name}${m.hash ? '@' + m.hash.slice(0, 7) : ''}`,
    `Framework: ${m.framework}`,
    `Type: ${m.model_type}`,
    ...(m.quantization_label ? [`Quantization: ${m.quantization_label}`] : []),
    `Size: ${formatSize(m.size_bytes)}`,
    `Modified: ${formatRelativeTime(m.last_modified, now)}`,
    `Health: ${health}`,
  ]
  if (m.reason) lines.push(`Reason: ${m.reason}`)
  if (m.partial_download)
    lines.push(
      `Partial download: ${m.partial_download.count} file(s), ${formatSize(m.partial_download.bytes)} (resume with \`mlxk pull ${m.name}\`)`,
    )
  if (data.files) {
    lines.push('', 'Files:')
    for (const f of data.files) lines.push(`  - ${f.path} (${f.type}, ${f.size})`)
  }

  if (data.config !== undefined) {
    lines.push('', 'Config:')
    lines.push(
      data.config ? JSON.stringify(data.config, null, 2).replaceAll(/^/gm, '  ') : '  (config.json missing or invalid)',
    )
  }

  if (data.metadata && !data.files && data.config === undefined) {
    lines.push('', 'Metadata:')
    // Quantization is in the header already, for every view.
    for (const [key, value] of Object.entries(data.metadata))
      if (value !== null && key !== 'quantization') lines.push(`  ${key}: ${value}`)
  }

  return lines.join('\n')
}
