import {readFile} from 'node:fs/promises'

import {Args} from '@oclif/core'

import {MlxkCommand} from '../../sdk/command.js'
import {autocompleteFiles, type CompletionCommand, fishScript, withModelCompletion} from '../../sdk/completion.js'

export interface CompleteScriptData {
  script: string
  shell: string
}

/**
 * A self-contained completion script, for packagers (the Homebrew formula installs these) and for users who
 * prefer one file to `mlxk autocomplete`'s setup lines. bash and zsh come from @oclif/plugin-autocomplete with
 * model names added; fish, which that plugin lacks, is generated here from the same command list.
 */
export default class CompleteScript extends MlxkCommand<CompleteScriptData> {
  static override args = {
    shell: Args.string({description: 'The shell.', options: ['bash', 'fish', 'zsh'], required: true}),
  }
  static override examples = [
    '<%= config.bin %> <%= command.id %> bash > /etc/bash_completion.d/mlxk',
    '<%= config.bin %> <%= command.id %> zsh > "${fpath[1]}/_mlxk"',
    '<%= config.bin %> <%= command.id %> fish > ~/.config/fish/completions/mlxk.fish',
  ]
  static override hidden = true
  static override summary = 'Print a shell completion script (bash, zsh or fish) that includes model names.'

  async run(): Promise<CompleteScriptData> {
    const {args} = await this.parse(CompleteScript)
    const shell = args.shell as 'bash' | 'fish' | 'zsh'
    const {bin} = this.config
    let script: string
    if (shell === 'fish') {
      script = fishScript(this.commandList(), bin)
    } else {
      // The plugin writes its scripts into the autocomplete cache; `autocomplete:create` is its hidden generator.
      await this.config.runCommand('autocomplete:create')
      const generated = await readFile(autocompleteFiles(this.config.cacheDir, bin)[shell], 'utf8')
      script = withModelCompletion(shell, generated, bin)
    }

    return this.output({script, shell}, (d) => d.script)
  }

  private commandList(): CompletionCommand[] {
    const commands: CompletionCommand[] = []
    for (const command of this.config.commands) {
      if (command.hidden) continue
      const flags = Object.entries(command.flags ?? {})
        .filter(([, f]) => !f.hidden)
        .map(([name, f]) => ({
          ...(f.char ? {char: f.char} : {}),
          ...(f.summary || f.description ? {description: (f.summary ?? f.description)!} : {}),
          name,
        }))
      // Summaries may hold help templates (`Display help for <%= config.bin %>.`), which only help renders.
      const summary = (command.summary ?? command.description?.split('\n', 1)[0] ?? '').replaceAll(
        '<%= config.bin %>',
        this.config.bin,
      )
      for (const id of [command.id, ...command.aliases]) commands.push({flags, id: id.replaceAll(':', ' '), summary})
    }

    return commands
  }
}
