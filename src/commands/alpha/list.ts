import {MlxkCommand} from '../../sdk/command.js'
import {alphaConfigPath} from '../../sdk/alpha.js'
import {type GatedPlugin, gatedPlugins} from '../../sdk/alpha-plugins.js'
import {formatTable} from '../../sdk/render/format.js'

export interface AlphaListData {
  config_path: string
  plugins: GatedPlugin[]
}

export default class AlphaList extends MlxkCommand<AlphaListData> {
  static override description =
    'MLXK_ALPHA (e.g. `run,server` or `all`) wins when set; then MLXK2_ENABLE_ALPHA_FEATURES=1 enables all; then what `mlxk alpha enable` saved.'
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json']
  static override summary = 'Show which alpha plugins are enabled, and why.'

  async run(): Promise<AlphaListData> {
    await this.parse(AlphaList)
    const data = {config_path: alphaConfigPath(), plugins: gatedPlugins(this.config)}
    return this.output(data, (d) =>
      formatTable(
        ['Plugin', 'State', 'Enabled', 'Because', 'Commands'],
        d.plugins.map((p) => [p.key, p.state, p.enabled ? 'yes' : 'no', p.source, p.commands.join(', ')]),
      ),
    )
  }
}
