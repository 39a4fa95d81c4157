import type {Hook} from '@oclif/core'

import {errorEnvelope, formatEnvelope} from '../sdk/envelope.js'
import {ExitCode} from '../sdk/errors.js'
import {readRemovedBundled} from '../sdk/bundled-plugins.js'

/**
 * With space-separated topics oclif reports `mlxk run x hi` as "command run:x:hi not found". Name the command the
 * user typed instead, keep upstream's `CommandError` envelope under `--json`, and say how to get a removed bundled
 * plugin back.
 */
const hook: Hook<'command_not_found'> = async function (options) {
  const segments = options.id.split(':')
  let length = 1
  while (length < segments.length && options.config.findTopic(segments.slice(0, length).join(':'))) length++
  const name = segments.slice(0, length).join(' ')
  const removed = readRemovedBundled().find((p) => p.endsWith(`plugin-${segments[0]}`))
  const message = `Unknown command '${name}'`
  const hint = removed
    ? `The ${removed} plugin was uninstalled; \`${options.config.bin} plugins install ${removed}\` restores it.`
    : `Run \`${options.config.bin} --help\` to see the commands.`
  if ((options.argv ?? []).includes('--json') || process.argv.includes('--json')) {
    process.stdout.write(formatEnvelope(errorEnvelope(null, {hint, message, type: 'CommandError'})))
  } else {
    process.stderr.write(`${options.config.bin}: Error: ${message}\n  Hint: ${hint}\n`)
  }

  this.exit(ExitCode.usage)
}

export default hook
