import {Args} from '@oclif/core'

import {type AlphaToggleData, toggleAlpha} from '../../sdk/alpha-plugins.js'
import {MlxkCommand} from '../../sdk/command.js'
import {renderAlphaToggle} from '../../sdk/render/alpha.js'

export default class AlphaEnable extends MlxkCommand<AlphaToggleData> {
  static override args = {
    plugins: Args.string({description: 'Plugin keys (run, server, push, clone) or "all".', required: true}),
  }
  static override examples = [
    '<%= config.bin %> <%= command.id %> run',
    '<%= config.bin %> <%= command.id %> server push',
  ]
  static override strict = false
  static override summary = 'Enable alpha plugins persistently (saved in the config dir).'

  async run(): Promise<AlphaToggleData> {
    const {argv} = await this.parse(AlphaEnable)
    return this.output(toggleAlpha(this.config, argv as string[], true), (d) => renderAlphaToggle(d, true))
  }
}
