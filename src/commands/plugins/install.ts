import {Args, Command, Flags} from '@oclif/core'

import {bundledPluginNames, restoreBundled, runPluginsCommand} from '../../sdk/plugin-commands.js'

/** Like @oclif/plugin-plugins' install, except that naming a bundled plugin the user removed restores it offline. */
export default class PluginsInstall extends Command {
  static override aliases = ['plugins:add']
  static override args = {
    plugin: Args.string({description: 'Plugin to install: a name, a path, a tarball or a git URL.', required: true}),
  }
  static override examples = [
    '<%= config.bin %> <%= command.id %> @mlxk/plugin-run',
    '<%= config.bin %> <%= command.id %> file:./mlxk-plugin-run-0.1.0.tgz',
  ]
  static override flags = {
    force: Flags.boolean({char: 'f', description: 'Force npm to fetch remote resources even if a local copy exists.'}),
    help: Flags.help({char: 'h'}),
    jit: Flags.boolean({hidden: true}),
    silent: Flags.boolean({char: 's'}),
    verbose: Flags.boolean({char: 'v'}),
  }
  static override strict = false
  static override summary = 'Install a plugin (or restore a bundled one).'

  async run(): Promise<void> {
    const {argv} = await this.parse(PluginsInstall)
    const bundled = bundledPluginNames(this.config)
    const names = argv as string[]
    const rest = names.filter((name) => !(bundled.includes(name) && restoreBundled(name) && this.restored(name)))
    if (rest.length > 0)
      await runPluginsCommand(
        this.config,
        'plugins:install',
        this.argv.filter((a) => !names.includes(a) || rest.includes(a)),
      )
  }

  private restored(name: string): true {
    this.log(`Restored ${name} (bundled with ${this.config.bin})`)
    return true
  }
}
