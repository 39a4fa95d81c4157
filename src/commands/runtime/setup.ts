import {MlxkCommand} from '../../sdk/command.js'
import {type RuntimeSetupData, setupRuntime} from '../../sdk/services/runtime-setup.js'

export default class RuntimeSetup extends MlxkCommand<RuntimeSetupData> {
  static override description =
    'Creates the venv with the pinned mlx and mlx-lm (from PyPI), or repairs it. A second run only checks. ' +
    'A checkout uses python-runtime/.venv; an installed mlxk uses a venv per runtime version in its data dir.'
  static override examples = ['<%= config.bin %> <%= command.id %>']
  static override summary = 'Create or repair the Python MLX runtime.'

  async run(): Promise<RuntimeSetupData> {
    await this.parse(RuntimeSetup)
    const data = await setupRuntime({quiet: this.jsonEnabled()})
    return this.output(data, (d) => `Runtime ready: ${d.venv}`)
  }
}
