import {MlxkCommand} from '../sdk/command.js'
import {JSON_API_SPEC_VERSION} from '../sdk/spec.js'

export interface VersionData {
  cli_version: string
  json_api_spec_version: string
  node_version: string
  platform: string
}

export default class Version extends MlxkCommand<VersionData> {
  static override description = 'Also available as `mlxk --version`.'
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json']
  static override summary = 'Print the mlxk version.'

  async run(): Promise<VersionData> {
    await this.parse(Version)
    const data: VersionData = {
      cli_version: this.config.version,
      json_api_spec_version: JSON_API_SPEC_VERSION,
      node_version: process.versions.node,
      platform: `${process.platform}-${process.arch}`,
    }
    return this.output(data, (d) => `${this.config.bin} ${d.cli_version}`)
  }
}
