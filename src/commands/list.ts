import {Args, Flags} from '@oclif/core'

import {cacheRoot} from '../sdk/cache/locate.js'
import {MlxkCommand} from '../sdk/command.js'
import {renderList} from '../sdk/render/list.js'
import {parseFilter, parseSort} from '../sdk/services/list-filter.js'
import {type ListData, listModels} from '../sdk/services/list.js'

export default class List extends MlxkCommand<ListData> {
  static override aliases = ['ls']
  static override args = {
    pattern: Args.string({
      ignoreStdin: true,
      description: 'Show only models whose name contains this text (case-insensitive).',
    }),
  }
  static override description =
    'Human output shows MLX models unless --all is given; --json always lists every model, as mlx-knife does. ' +
    '--filter, --sort, --limit and the pattern apply to both.'
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> qwen --health',
    '<%= config.bin %> <%= command.id %> --all --filter "size>1GB" --sort size --limit 5',
    '<%= config.bin %> <%= command.id %> --json',
  ]
  static override flags = {
    all: Flags.boolean({description: 'Show models of every framework (PyTorch, GGUF, ...), not only MLX.'}),
    filter: Flags.string({
      description:
        'Keep models where FIELD OP VALUE holds (repeatable): size>1GB, framework=mlx, type=chat, health=unhealthy, runtime=true, name~qwen.',
      multiple: true,
    }),
    health: Flags.boolean({description: 'Add a health column.'}),
    limit: Flags.integer({description: 'Show at most this many models.', min: 0}),
    sort: Flags.string({description: 'Sort by name, size, modified, framework, type or health; append :asc or :desc.'}),
    verbose: Flags.boolean({description: 'Full names, the framework column, and health details.'}),
  }
  static override summary = 'List the models in the cache.'

  async run(): Promise<ListData> {
    const {args, flags} = await this.parse(List)
    const data = await listModels({
      filters: (flags.filter ?? []).map((f) => parseFilter(f)),
      ...(flags.limit === undefined ? {} : {limit: flags.limit}),
      mlxOnly: !flags.all && !this.jsonEnabled(),
      ...(args.pattern === undefined ? {} : {pattern: args.pattern}),
      root: cacheRoot(),
      ...(flags.sort === undefined ? {} : {sort: parseSort(flags.sort)}),
    })
    return this.output(data, (d) => renderList(d, {all: flags.all, health: flags.health, verbose: flags.verbose}))
  }
}
