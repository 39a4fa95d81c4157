import {Args, Flags} from '@oclif/core'

import {cacheRoot} from '../sdk/cache/locate.js'
import {MlxkCommand} from '../sdk/command.js'
import {renderShow} from '../sdk/render/show.js'
import {type ShowData, showModel} from '../sdk/services/show.js'

export default class Show extends MlxkCommand<ShowData> {
  static override args = {
    model: Args.string({ignoreStdin: true, description: 'Model name, short name or name@revision.', required: true}),
  }
  static override examples = [
    '<%= config.bin %> <%= command.id %> mlx-community/Qwen3-4B-4bit',
    '<%= config.bin %> <%= command.id %> Qwen3@e96 --files',
    '<%= config.bin %> <%= command.id %> Qwen3 --config --json',
  ]
  static override flags = {
    config: Flags.boolean({description: 'Include the parsed config.json.'}),
    files: Flags.boolean({description: 'List the snapshot files with their type and size.'}),
  }
  static override summary = 'Show one model: metadata, health, files and config.'

  async run(): Promise<ShowData> {
    const {args, flags} = await this.parse(Show)
    const data = await showModel({config: flags.config, files: flags.files, root: cacheRoot(), spec: args.model})
    return this.output(data, (d) => renderShow(d))
  }
}
