import {Command, Errors, Flags} from '@oclif/core'

import {alphaKey, alphaRefusal, alphaStatus} from './alpha.js'
import {type Envelope, errorEnvelope, formatEnvelope, successEnvelope} from './envelope.js'
import {isMlxkError, MlxkError, toErrorBody, usageError} from './errors.js'
import {createLogger, type Logger} from './log.js'
import {redact} from './redact.js'

/**
 * Base of every mlxk command, core or plugin. It owns the envelope: commands return their data object,
 * and this class prints it as JSON (`--json`) or hands it to the command's renderer. Errors take the same
 * path: a typed MlxkError becomes the envelope's `error` (JSON) or `mlxk <cmd>: Error: …` on stderr (human),
 * with the exit code from the one table in errors.ts.
 */
export abstract class MlxkCommand<T extends object> extends Command {
  static override baseFlags = {
    'log-json': Flags.boolean({
      description: 'Write log lines to stderr as JSON.',
      helpGroup: 'GLOBAL',
    }),
  }
  static override enableJsonFlag = true

  protected logger: Logger = createLogger()

  /** The command name as it appears in the envelope (`list`, `alpha enable`; aliases report their command). */
  protected get commandName(): string {
    return (this.id ?? this.ctor.id ?? 'mlxk').replaceAll(':', ' ')
  }

  override async catch(error: Error & {exitCode?: number}): Promise<void> {
    // Whatever fails before argv is parsed (a failed custom flag parser included) is a usage error.
    const mlxkError = !this.parsed && !isMlxkError(error) ? usageError(error.message) : toMlxkError(error)
    process.exitCode = mlxkError.exitCode
    if (this.jsonEnabled()) {
      this.logJson(errorEnvelope(this.commandName, toErrorBody(mlxkError), mlxkError.data ?? null))
      return
    }

    const lines = [`mlxk ${this.commandName}: Error: ${redact(mlxkError.message)}`]
    if (mlxkError.hint) lines.push(`  Hint: ${redact(mlxkError.hint)}`)
    if (mlxkError.type === 'InternalError' && error.stack) this.logger.debug(redact(error.stack))
    process.stderr.write(lines.join('\n') + '\n')
  }

  override async init(): Promise<void> {
    await super.init()
    this.enforceAlphaGate()
    const logJson = this.argv.includes('--log-json') || process.env.MLXK_LOG_JSON === '1'
    this.logger = createLogger({json: logJson})
  }

  /**
   * A plugin whose package.json says `oclif.state: "alpha"` runs only when the user enabled it (see alpha.ts).
   * Checked here rather than in a hook so the refusal travels through catch() and the JSON envelope.
   */
  protected enforceAlphaGate(): void {
    const plugin = this.ctor.plugin ?? this.config.plugins.get(this.ctor.pluginName ?? '')
    if (!plugin || plugin.isRoot) return
    const state = this.ctor.state ?? plugin.pjson.oclif?.state
    if (state !== 'alpha') return
    const key = alphaKey(plugin.name)
    if (!alphaStatus(key).enabled) throw alphaRefusal(key, this.commandName)
  }

  /**
   * Runs a long operation with a progress display: SIGINT/SIGTERM abort it through the signal, so it can keep
   * what it has (partial downloads, uploaded objects) and end with `interrupted`; the display stops either way.
   */
  protected async interruptible<R>(
    progress: {stop(ok: boolean): Promise<void>},
    work: (signal: AbortSignal) => Promise<R>,
  ): Promise<R> {
    const controller = new AbortController()
    const onSignal = () => controller.abort()
    process.once('SIGINT', onSignal)
    process.once('SIGTERM', onSignal)
    let ok = false
    try {
      const result = await work(controller.signal)
      ok = true
      return result
    } finally {
      await progress.stop(ok)
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
    }
  }

  override logJson(json: unknown): void {
    process.stdout.write(formatEnvelope(json as Envelope))
  }

  override toSuccessJson(result: T): Envelope<T> {
    return successEnvelope(this.commandName, result)
  }

  /** Human output: derived from the same data object the JSON path prints, never computed separately. */
  protected output(data: T, render: (data: T) => string): T {
    if (!this.jsonEnabled()) {
      const text = render(data)
      if (text.length > 0) process.stdout.write(text.endsWith('\n') ? text : text + '\n')
    }

    return data
  }
}

/** Every thrown value becomes an MlxkError: usage errors keep oclif's exit 2, anything unknown is a bug. */
export function toMlxkError(error: unknown): MlxkError {
  if (isMlxkError(error)) return error
  if (
    error instanceof Errors.ExitError ||
    error instanceof Errors.CLIError ||
    (error instanceof Error && 'oclif' in error)
  ) {
    return usageError(error.message)
  }

  const message = error instanceof Error ? error.message : String(error)
  return new MlxkError('InternalError', message, {
    cause: error,
    hint: 'This is a bug in mlxk. Re-run with MLXK_LOG_LEVEL=debug for details and report it.',
  })
}
