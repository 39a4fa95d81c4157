import {Args} from '@oclif/core'

import {cacheRoot} from '../../sdk/cache/locate.js'
import {MlxkCommand} from '../../sdk/command.js'
import {modelNames} from '../../sdk/completion.js'

export interface CompleteModelsData {
  models: string[]
}

/** Called by the shell completion scripts at every <TAB> after show/run/rm, so it reads directory names only. */
export default class CompleteModels extends MlxkCommand<CompleteModelsData> {
  static override args = {
    prefix: Args.string({description: 'Print only names that start with this text.'}),
  }
  static override hidden = true
  static override summary = 'Print the names of the cached models, one per line (for shell completion).'

  async run(): Promise<CompleteModelsData> {
    const {args} = await this.parse(CompleteModels)
    const all = await modelNames(cacheRoot())
    const models = args.prefix === undefined ? all : all.filter((name) => name.startsWith(args.prefix!))
    return this.output({models}, (d) => d.models.join('\n'))
  }
}
