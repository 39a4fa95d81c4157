import {Args, Command, Flags} from '@oclif/core'

import {bundledPluginNames, isUserInstalled, removeBundled, runPluginsCommand} from '../../sdk/plugin-commands.js'

/**
 * @oclif/plugin-plugins refuses to uninstall core plugins; mlxk's bundled plugins (run, server, push, clone)
 * are core plugins that users may still remove. Everything else goes to the original command.
 */
export default class PluginsUninstall extends Command {
  static override aliases = ['plugins:unlink', 'plugins:remove']
  static override args = {plugin: Args.string({description: 'Plugin to uninstall.'})}
  static override examples = ['<%= config.bin %> <%= command.id %> @mlxk/plugin-run']
  static override flags = {help: Flags.help({char: 'h'}), verbose: Flags.boolean({char: 'v'})}
  static override strict = false
  static override summary = 'Remove a plugin from the CLI (bundled plugins included).'

  async run(): Promise<void> {
    const {argv, flags} = await this.parse(PluginsUninstall)
    const bundled = bundledPluginNames(this.config)
    const rest: string[] = []
    for (const name of argv as string[]) {
      if (bundled.includes(name) && !isUserInstalled(this.config, name)) {
        removeBundled(name)
        this.log(
          `Uninstalled ${name} (bundled with ${this.config.bin}; \`${this.config.bin} plugins install ${name}\` restores it)`,
        )
      } else {
        rest.push(name)
      }
    }

    if (rest.length > 0)
      await runPluginsCommand(this.config, 'plugins:uninstall', [...rest, ...(flags.verbose ? ['--verbose'] : [])])
  }
}
