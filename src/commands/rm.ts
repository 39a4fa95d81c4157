import {Args, Flags} from '@oclif/core'
import {createInterface} from 'node:readline/promises'

import {cacheRoot} from '../sdk/cache/locate.js'
import {MlxkCommand} from '../sdk/command.js'
import {MlxkError} from '../sdk/errors.js'
import {formatSize} from '../sdk/render/format.js'
import {renderRm} from '../sdk/render/rm.js'
import {executeRemoval, prepareRemoval, type RmData} from '../sdk/services/rm.js'

export default class Rm extends MlxkCommand<RmData> {
  static override args = {
    model: Args.string({
      ignoreStdin: true,
      description: 'Model name, or name@revision to delete only that revision.',
      required: true,
    }),
  }
  static override description =
    'Without --force it asks on a terminal and refuses otherwise (--json, pipes, scripts). ' +
    'name@revision deletes that revision and only the blobs no other revision uses.'
  static override examples = [
    '<%= config.bin %> <%= command.id %> mlx-community/Qwen3-4B-4bit',
    '<%= config.bin %> <%= command.id %> Qwen3@e96 --dry-run',
    '<%= config.bin %> <%= command.id %> mlx-community/Qwen3-4B-4bit --force --json',
  ]
  static override flags = {
    'dry-run': Flags.boolean({description: 'Show what would be deleted; delete nothing.'}),
    force: Flags.boolean({char: 'f', description: 'Delete without asking, even while a download holds the lock.'}),
  }
  static override summary = 'Delete a model, or one revision of it, from the cache.'

  async run(): Promise<RmData> {
    const {args, flags} = await this.parse(Rm)
    const root = cacheRoot()
    const prepared = await prepareRemoval({force: flags.force, root, spec: args.model})
    if (flags['dry-run']) {
      return this.output({...prepared.data, action: 'dry_run', message: `Dry run: ${prepared.data.message}`}, (d) =>
        renderRm(d),
      )
    }

    if (!flags.force) {
      const interactive = !this.jsonEnabled() && process.stdin.isTTY === true && process.stderr.isTTY === true
      if (!interactive) {
        throw new MlxkError('confirmation_required', `${prepared.data.message}: confirmation required`, {
          data: {...prepared.data},
          hint: 'Re-run with --force to delete without a prompt (or --dry-run to see what would go).',
        })
      }

      if (!(await confirm(`${prepared.data.message} (${formatSize(prepared.data.plan.freed_bytes)})? [y/N] `))) {
        throw new MlxkError('cancelled', 'Nothing deleted', {data: {...prepared.data}})
      }
    }

    return this.output(await executeRemoval(root, prepared), (d) => renderRm(d))
  }
}

async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({input: process.stdin, output: process.stderr})
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim())
  } finally {
    rl.close()
  }
}
