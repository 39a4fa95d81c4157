import {listModelDirs, scanModelDir} from '../cache/scan.js'
import type {ModelObject} from '../model/model-object.js'
import {describeModel} from './describe-model.js'
import {type Filter, matchesFilter, type SortSpec, sortModels} from './list-filter.js'
import {mapLimit} from '../cache/order.js'
import {supportedModelTypes} from './supported.js'

export interface ListOptions {
  filters?: Filter[]
  limit?: number
  /**
   * The human view without --all: keep MLX models only, before sort and limit, so `--limit 5` shows five of
   * them. A `framework` filter has chosen the frameworks already and lifts this.
   */
  mlxOnly?: boolean
  /** Case-insensitive substring of the full name, as upstream's `list [pattern]`. */
  pattern?: string
  root: string
  sort?: SortSpec
}

export interface ListData {
  count: number
  models: ModelObject[]
  /** Where the runnable model types came from: the installed runtime's last report, or mlxk's shipped list. */
  runtime_types_source: 'runtime' | 'shipped'
  /** With `mlxOnly`: the models that matched but were left out for not being MLX. */
  hidden_non_mlx?: number
}

const MLX_ONLY: Filter = {field: 'framework', operator: '=', raw: 'framework=mlx', value: 'mlx'}

export async function listModels(options: ListOptions): Promise<ListData> {
  const supported = supportedModelTypes()
  const pattern = options.pattern?.toLowerCase()
  const dirs = listModelDirs(options.root).filter((d) => !pattern || d.name.toLowerCase().includes(pattern))
  // Each model is scanned just before it is described, not all up front, so only the few in flight are held.
  const described = await mapLimit(dirs, 16, async (d) => {
    const cached = scanModelDir(options.root, d)
    return cached ? (await describeModel(cached, {supported})).object : null
  })
  const filters = options.filters ?? []
  const matched = described.filter((m): m is ModelObject => m !== null && filters.every((f) => matchesFilter(m, f)))
  const mlxOnly = options.mlxOnly === true && !filters.some((f) => f.field === 'framework')
  let models = mlxOnly ? matched.filter((m) => matchesFilter(m, MLX_ONLY)) : matched
  const hidden = matched.length - models.length
  models = sortModels(models, options.sort ?? {descending: false, key: 'name'})
  if (options.limit !== undefined) models = models.slice(0, options.limit)
  return {
    count: models.length,
    models,
    runtime_types_source: supported.source,
    ...(options.mlxOnly ? {hidden_non_mlx: hidden} : {}),
  }
}
