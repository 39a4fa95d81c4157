import {MlxkCommand} from '../../sdk/command.js'
import {type DoctorData, diagnoseRuntime} from '../../sdk/services/runtime-doctor.js'

export default class RuntimeDoctor extends MlxkCommand<DoctorData> {
  static override examples = ['<%= config.bin %> <%= command.id %>']
  static override summary = 'Diagnose the Python MLX runtime and print the exact fix for each problem.'

  async run(): Promise<DoctorData> {
    await this.parse(RuntimeDoctor)
    const data = await diagnoseRuntime()
    if (!data.ok) process.exitCode = 1
    return this.output(data, (d) =>
      d.checks
        .map((c) => `${c.ok ? 'ok  ' : 'FAIL'} ${c.name.padEnd(8)} ${c.detail}${c.fix ? `\n      fix: ${c.fix}` : ''}`)
        .join('\n'),
    )
  }
}
