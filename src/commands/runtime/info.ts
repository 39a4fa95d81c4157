import {MlxkCommand} from '../../sdk/command.js'

export interface RuntimeInfoData {
  device: string
  mlx_lm_version: string
  mlx_version: string
  protocol: number
  python: string
  python_version: string
  runtime_version: string
  source: string
  supported_model_types: string[]
}

export default class RuntimeInfo extends MlxkCommand<RuntimeInfoData> {
  static override description =
    'Starts the worker once, and caches what it reports so `mlxk list` knows the runnable model types without Python.'
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json']
  static override summary = 'Show the runtime: mlx and mlx-lm versions, device, supported model types.'

  async run(): Promise<RuntimeInfoData> {
    await this.parse(RuntimeInfo)
    const {RuntimeClient, locateRuntime} = await import('../../sdk/runtime/index.js')
    const location = locateRuntime()
    const client = await RuntimeClient.start({python: location.python})
    try {
      const info = await client.info()
      const data: RuntimeInfoData = {
        device: info.device,
        mlx_lm_version: info.mlx_lm_version,
        mlx_version: info.mlx_version,
        protocol: info.protocol,
        python: location.python,
        python_version: info.python,
        runtime_version: info.runtime_version,
        source: location.source,
        supported_model_types: info.supported_model_types,
      }
      return this.output(data, (d) =>
        [
          `runtime  ${d.runtime_version} (${d.source}: ${d.python})`,
          `python   ${d.python_version}`,
          `mlx      ${d.mlx_version}`,
          `mlx-lm   ${d.mlx_lm_version}`,
          `device   ${d.device}`,
          `models   ${d.supported_model_types.length} model types`,
        ].join('\n'),
      )
    } finally {
      await client.close()
    }
  }
}
