import type {ModelObject} from '../model/model-object.js'
import type {ListData} from '../services/list.js'
import {formatRelativeTime, formatSize, formatTable, shortHash} from './format.js'

export interface ListView {
  all: boolean
  health: boolean
  verbose: boolean
}

/** Human `list`. The service has chosen the models (MLX only without --all); this only lays them out. */
export function renderList(data: ListData, view: ListView, now: Date = new Date()): string {
  const {models} = data
  const headers = ['Name', 'Hash', 'Size', 'Modified']
  if (view.all || view.verbose) headers.push('Framework')
  headers.push('Type')
  if (view.health) headers.push(...(view.verbose ? ['Integrity', 'Runtime', 'Reason'] : ['Health']))
  const rows = models.map((m) => {
    const row = [
      displayName(m.name, view.verbose),
      shortHash(m.hash),
      formatSize(m.size_bytes),
      formatRelativeTime(m.last_modified, now),
    ]
    if (view.all || view.verbose) row.push(m.framework)
    row.push(m.model_type)
    if (view.health) row.push(...(view.verbose ? verboseHealth(m) : [healthCell(m)]))
    return row
  })
  const table = formatTable(headers, rows)
  const hidden = data.hidden_non_mlx ?? 0
  return hidden > 0 && models.length === 0
    ? `${table}\n(${hidden} non-MLX model${hidden === 1 ? '' : 's'} hidden; use --all)`
    : table
}

function displayName(name: string, verbose: boolean): string {
  return verbose ? name : name.replace(/^mlx-community\//, '')
}

function healthCell(m: ModelObject): string {
  if (m.health !== 'healthy') return 'unhealthy'
  return m.runtime_compatible ? 'healthy' : 'healthy*'
}

function verboseHealth(m: ModelObject): string[] {
  const runtime = m.health === 'healthy' ? (m.runtime_compatible ? 'yes' : 'no') : '-'
  const reason = m.reason ?? '-'
  return [m.health, runtime, reason.length > 60 ? reason.slice(0, 57) + '...' : reason]
}
