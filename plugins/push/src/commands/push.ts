import {Args, Flags, MlxkCommand, usageError} from 'mlxk/sdk'
import type {PushData} from 'mlxk/sdk/push'

import {renderPush} from '../render.js'

export default class Push extends MlxkCommand<PushData> {
  static override args = {
    local_dir: Args.string({
      description: 'The model folder to publish (e.g. a workspace made by `mlxk clone`).',
      ignoreStdin: true,
      required: true,
    }),
    repo: Args.string({description: 'Target repository, org/name.', ignoreStdin: true, required: true}),
  }
  static override description = `Compares the folder with the branch on the Hub and commits only the difference: new and changed files \
are uploaded, files missing locally are deleted on the Hub (except .gitattributes and paths your ignore rules \
exclude). A push that changes nothing makes no commit. Large files go through LFS; objects the Hub already holds \
are never sent again, so re-running an interrupted push only uploads what is missing.

--private is required: mlxk creates only private repositories (alpha safety). Ignore rules: .git/, .DS_Store, \
__pycache__/, .venv/, editor folders and the workspace sentinel by default, plus a .hfignore file (gitignore syntax) \
in the folder. Authenticates with HF_TOKEN (or the token \`hf auth login\` stored); HF_ENDPOINT selects another Hub.`
  static override examples = [
    '<%= config.bin %> <%= command.id %> ./my-model me/my-model --private --create',
    '<%= config.bin %> <%= command.id %> ./my-model me/my-model --private --dry-run',
    '<%= config.bin %> <%= command.id %> ./my-model me/my-model --private --check-only --json',
    '<%= config.bin %> <%= command.id %> ./my-model me/my-model --private --branch experiment --create --commit "Try new template"',
  ]
  static override flags = {
    branch: Flags.string({default: 'main', description: 'Branch to push to.'}),
    'check-only': Flags.boolean({
      description: 'Check the folder offline (health of the model files); no token, no network.',
      exclusive: ['dry-run'],
    }),
    commit: Flags.string({default: 'mlx-knife push', description: 'Commit message.'}),
    create: Flags.boolean({description: 'Create the repository (private) or the branch when missing.'}),
    'dry-run': Flags.boolean({description: 'Show what would be added, modified and deleted; upload nothing.'}),
    private: Flags.boolean({description: 'Required: confirms the push goes to a private repository.'}),
    verbose: Flags.boolean({char: 'v', description: 'Also print the commit URL, file lists and upload figures.'}),
  }
  static override summary = 'Upload a model folder to a private Hugging Face repository (only what changed).'

  async run(): Promise<PushData> {
    const {args, flags} = await this.parse(Push)
    if (!flags.private) {
      throw usageError('--private is required: mlxk push only publishes to private repositories', {
        hint: `Add --private, e.g. mlxk push ${args.local_dir} ${args.repo} --private`,
      })
    }

    const [{pushWorkspace}, {createPushProgress}] = await Promise.all([
      import('mlxk/sdk/push'),
      import('../progress.js'),
    ])
    const progress = await createPushProgress({enabled: !this.jsonEnabled() && process.stderr.isTTY === true})
    const data = await this.interruptible(progress, (signal) =>
      pushWorkspace({
        branch: flags.branch,
        checkOnly: flags['check-only'],
        commitMessage: flags.commit,
        create: flags.create,
        dir: args.local_dir,
        dryRun: flags['dry-run'],
        onEvent: (event) => progress.onEvent(event),
        repoId: args.repo,
        signal,
      }),
    )
    return this.output(data, (d) => renderPush(d, {verbose: flags.verbose}))
  }
}
