import {Args} from '@oclif/core'

import {MlxkCommand} from '../../sdk/command.js'
import {type AlphaToggleData, toggleAlpha} from '../../sdk/alpha-plugins.js'
import {renderAlphaToggle} from '../../sdk/render/alpha.js'

export default class AlphaDisable extends MlxkCommand<AlphaToggleData> {
  static override args = {
    plugins: Args.string({description: 'Plugin keys (run, server, push, clone) or "all".', required: true}),
  }
  static override examples = ['<%= config.bin %> <%= command.id %> run', '<%= config.bin %> <%= command.id %> all']
  static override strict = false
  static override summary = 'Disable alpha plugins that `mlxk alpha enable` turned on.'

  async run(): Promise<AlphaToggleData> {
    const {argv} = await this.parse(AlphaDisable)
    return this.output(toggleAlpha(this.config, argv as string[], false), (d) => renderAlphaToggle(d, false))
  }
}
