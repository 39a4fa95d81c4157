import {Args, Flags, MlxkCommand} from 'mlxk/sdk'
import type {CloneData} from 'mlxk/sdk/clone'

import {renderClone} from '../render.js'

export default class Clone extends MlxkCommand<CloneData> {
  static override args = {
    model: Args.string({
      description: 'Repository id, optionally with @revision (branch, tag or commit).',
      ignoreStdin: true,
      required: true,
    }),
    target_dir: Args.string({
      description:
        'New or empty folder for the workspace. Default: the model name, under MLXK_WORKSPACE_HOME or the current folder.',
      ignoreStdin: true,
    }),
  }
  static override description = `The workspace holds real files (copy-on-write clones where the filesystem supports it, plain copies \
otherwise), never links into the cache, so it can be edited freely. A model already complete in the cache is \
copied from there without touching the network; otherwise it is pulled into the cache first.

The folder gets a .mlxk_workspace.json sentinel recording the source repo, revision, commit and a fingerprint of \
every file, so changes can be detected later. Use the workspace wherever a model name works: \
\`mlxk run ./dir\`, \`mlxk health ./dir\`, \`mlxk push ./dir org/name --private\`.`
  static override examples = [
    '<%= config.bin %> <%= command.id %> mlx-community/Qwen3-4B-4bit ./qwen-edit',
    '<%= config.bin %> <%= command.id %> mlx-community/Qwen3-4B-4bit@main',
    '<%= config.bin %> <%= command.id %> mlx-community/Qwen3-4B-4bit ./qwen-edit --json',
  ]
  static override flags = {
    branch: Flags.string({description: 'Revision to clone (same as @revision; upstream flag).'}),
    'health-check': Flags.boolean({
      allowNo: true,
      default: true,
      description: 'Check the model’s integrity before copying and the workspace after (--no-health-check skips both).',
    }),
    quiet: Flags.boolean({char: 'q', description: 'Print only `clone: <model> → <target>`.'}),
  }
  static override summary = 'Copy a model into an editable workspace folder (pulls it first when not cached).'

  async run(): Promise<CloneData> {
    const {args, flags} = await this.parse(Clone)
    const [{cloneModel}, {cacheRoot}, {createPullProgress}] = await Promise.all([
      import('mlxk/sdk/clone'),
      import('mlxk/sdk/cache'),
      import('mlxk/sdk/progress'),
    ])
    const progress = await createPullProgress({enabled: !this.jsonEnabled() && process.stderr.isTTY === true})
    const spec = flags.branch && !args.model.includes('@') ? `${args.model}@${flags.branch}` : args.model
    const data = await this.interruptible(progress, (signal) =>
      cloneModel({
        healthCheck: flags['health-check'],
        mlxkVersion: this.config.version,
        onPullEvent: (event) => progress.onEvent(event),
        root: cacheRoot(),
        signal,
        spec,
        ...(args.target_dir === undefined ? {} : {target: args.target_dir}),
      }),
    )
    return this.output(data, (d) => renderClone(d, {quiet: flags.quiet}))
  }
}
