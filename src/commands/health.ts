import {Args} from '@oclif/core'

import {cacheRoot} from '../sdk/cache/locate.js'
import {MlxkCommand} from '../sdk/command.js'
import {ExitCode} from '../sdk/errors.js'
import {renderHealth} from '../sdk/render/health.js'
import {checkHealth, type HealthData} from '../sdk/services/health.js'

export default class Health extends MlxkCommand<HealthData> {
  static override args = {
    model: Args.string({
      ignoreStdin: true,
      description: 'Check only this model (name, short name, name@revision, or a model folder such as ./my-model).',
    }),
  }
  static override description = `The report itself succeeds (status "success"), but the exit code is ${ExitCode.unhealthy} when any checked model is unhealthy, so scripts can gate on it.`
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> Qwen3 --json']
  static override summary = 'Check the integrity of cached models.'

  async run(): Promise<HealthData> {
    const {args} = await this.parse(Health)
    const data = await checkHealth({...(args.model === undefined ? {} : {pattern: args.model}), root: cacheRoot()})
    if (data.summary.unhealthy_count > 0) process.exitCode = ExitCode.unhealthy
    return this.output(data, (d) => renderHealth(d))
  }
}
