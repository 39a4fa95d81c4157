import {MlxkError} from '../errors.js'
import type {ModelObject} from '../model/model-object.js'

export type SortKey = 'framework' | 'health' | 'modified' | 'name' | 'size' | 'type'
export interface SortSpec {
  descending: boolean
  key: SortKey
}

type Operator = '!=' | '<' | '<=' | '=' | '>' | '>=' | '~'
export interface Filter {
  field: string
  operator: Operator
  raw: string
  value: string
}

const FIELDS: Record<string, (m: ModelObject) => boolean | null | number | string> = {
  context: (m) => m.context_length,
  framework: (m) => m.framework,
  health: (m) => m.health,
  modified: (m) => m.last_modified,
  name: (m) => m.name,
  quantization: (m) => m.quantization_label,
  runtime: (m) => m.runtime_compatible,
  size: (m) => m.size_bytes,
  type: (m) => m.model_type,
}

const SIZE_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  gb: 1e9,
  gib: 2 ** 30,
  kb: 1e3,
  kib: 2 ** 10,
  mb: 1e6,
  mib: 2 ** 20,
  tb: 1e12,
  tib: 2 ** 40,
}

/** `size>1GB`, `framework=mlx`, `name~qwen`, `runtime=true`: one condition per `--filter`, all must hold. */
export function parseFilter(text: string): Filter {
  const match = /^([a-z_]+)\s*(>=|<=|!=|=|>|<|~)\s*(.+)$/i.exec(text.trim())
  if (!match) {
    throw new MlxkError('invalid_filter', `Invalid filter '${text}'`, {
      hint: `Write FIELD OP VALUE, e.g. size>1GB or framework=mlx. Fields: ${Object.keys(FIELDS).join(', ')}; operators: = != > >= < <= ~`,
    })
  }

  const [, field = '', operator = '=', value = ''] = match
  const key = field.toLowerCase()
  if (!(key in FIELDS)) {
    throw new MlxkError('invalid_filter', `Unknown filter field '${field}'`, {
      hint: `Fields: ${Object.keys(FIELDS).join(', ')}`,
    })
  }

  if (key === 'size') parseSize(value)
  return {field: key, operator: operator as Operator, raw: text, value: value.trim()}
}

export function parseSize(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(text.trim())
  const unit = SIZE_UNITS[match?.[2]?.toLowerCase() ?? 'x']
  if (!match || unit === undefined) {
    throw new MlxkError('invalid_filter', `Invalid size '${text}'`, {
      hint: 'Use a number with an optional unit: 500MB, 1.5GB, 2GiB',
    })
  }

  return Number(match[1]) * unit
}

export function matchesFilter(model: ModelObject, filter: Filter): boolean {
  const actual = FIELDS[filter.field]?.(model) ?? null
  if (actual === null) return filter.operator === '!='
  if (typeof actual === 'number') {
    const expected = filter.field === 'size' ? parseSize(filter.value) : Number(filter.value)
    return compare(actual, expected, filter.operator)
  }

  const left = String(actual).toLowerCase()
  const right = filter.value.toLowerCase()
  if (filter.operator === '~') return left.includes(right)
  return compare(left, right, filter.operator)
}

function compare<V extends number | string>(a: V, b: V, operator: Operator): boolean {
  switch (operator) {
    case '!=': {
      return a !== b
    }

    case '<': {
      return a < b
    }

    case '<=': {
      return a <= b
    }

    case '>': {
      return a > b
    }

    case '>=': {
      return a >= b
    }

    default: {
      return a === b
    }
  }
}

const DEFAULT_DESCENDING: Record<SortKey, boolean> = {
  framework: false,
  health: false,
  modified: true,
  name: false,
  size: true,
  type: false,
}

/** `size` (largest first), `modified` (newest first), `name`; `:asc`/`:desc` overrides the direction. */
export function parseSort(text: string): SortSpec {
  const [key = '', direction] = text.toLowerCase().split(':')
  if (!(key in DEFAULT_DESCENDING)) {
    throw new MlxkError('invalid_sort', `Unknown sort key '${text}'`, {
      hint: `Sort by one of: ${Object.keys(DEFAULT_DESCENDING).join(', ')}`,
    })
  }

  if (direction !== undefined && direction !== 'asc' && direction !== 'desc') {
    throw new MlxkError('invalid_sort', `Unknown sort direction '${direction}'`, {hint: 'Use :asc or :desc'})
  }

  const sortKey = key as SortKey
  return {descending: direction === undefined ? DEFAULT_DESCENDING[sortKey] : direction === 'desc', key: sortKey}
}

export function sortModels(models: ModelObject[], sort: SortSpec): ModelObject[] {
  const value = (m: ModelObject): number | string =>
    sort.key === 'size'
      ? m.size_bytes
      : sort.key === 'modified'
        ? m.last_modified
        : sort.key === 'framework'
          ? m.framework
          : sort.key === 'health'
            ? m.health
            : sort.key === 'type'
              ? m.model_type
              : m.name
  return [...models].sort((x, y) => {
    const a = value(x)
    const b = value(y)
    const order = a < b ? -1 : a > b ? 1 : x.name < y.name ? -1 : x.name > y.name ? 1 : 0
    return sort.descending ? -order : order
  })
}
