import {Args, Flags} from '@oclif/core'

import {cacheRoot} from '../sdk/cache/locate.js'
import {MlxkCommand} from '../sdk/command.js'
import {createPullProgress} from '../sdk/progress/pull-progress.js'
import {renderPull} from '../sdk/render/pull.js'
import {type PullData, pullModel} from '../sdk/services/pull.js'

export default class Pull extends MlxkCommand<PullData> {
  static override args = {
    model: Args.string({
      description: 'Repository id, optionally with @revision (branch, tag or commit).',
      required: true,
    }),
  }
  static override description =
    'Checks access first and writes nothing if the model is missing, gated or private. Files are verified ' +
    '(size and hash) before they enter the cache; an interrupted pull resumes where it stopped when run again. ' +
    'Authenticates with HF_TOKEN (or the token `hf auth login` stored); HF_ENDPOINT selects another Hub.'
  static override examples = [
    '<%= config.bin %> <%= command.id %> mlx-community/Llama-3.2-1B-Instruct-4bit',
    '<%= config.bin %> <%= command.id %> mlx-community/Qwen3-4B-4bit@main --include "*.json" --include "*.safetensors"',
    '<%= config.bin %> <%= command.id %> mlx-community/Qwen3-4B-4bit --dry-run --json',
  ]
  static override flags = {
    'dry-run': Flags.boolean({description: 'Show what would be downloaded; write nothing.'}),
    exclude: Flags.string({description: 'Skip files matching this glob (repeatable).', multiple: true}),
    'force-resume': Flags.boolean({
      description: 'Accepted for mlx-knife compatibility: pull always resumes an interrupted download.',
      hidden: true,
    }),
    include: Flags.string({description: 'Download only files matching this glob (repeatable).', multiple: true}),
  }
  static override summary = 'Download a model from the Hugging Face Hub into the cache.'

  async run(): Promise<PullData> {
    const {args, flags} = await this.parse(Pull)
    const progress = await createPullProgress({enabled: !this.jsonEnabled() && process.stderr.isTTY === true})
    const data = await this.interruptible(progress, (signal) =>
      pullModel({
        dryRun: flags['dry-run'],
        ...(flags.exclude ? {exclude: flags.exclude} : {}),
        ...(flags.include ? {include: flags.include} : {}),
        onEvent: (event) => progress.onEvent(event),
        root: cacheRoot(),
        signal,
        spec: args.model,
      }),
    )
    return this.output(data, renderPull)
  }
}
