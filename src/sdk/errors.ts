/**
 * One error taxonomy for every command and plugin. `type` codes are stable API: scripts match on them.
 * Names that upstream mlx-knife already emits keep upstream's spelling so existing scripts keep working.
 */
export const ExitCode = {
  /** The command did what was asked. */
  ok: 0,
  /** The command failed (status "error" in the envelope). */
  error: 1,
  /** Bad usage: unknown flag, missing argument, invalid value. */
  usage: 2,
  /** `health` completed and found at least one unhealthy model (status stays "success"). */
  unhealthy: 3,
  /** A gated (alpha) command was refused because it is not enabled. */
  disabled: 4,
  /** Interrupted by SIGINT. */
  interrupted: 130,
} as const

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode]

export interface MlxkErrorOptions {
  cause?: unknown
  /** Partial `data` for the envelope, when the command has some to report despite the error. */
  data?: Record<string, unknown>
  /** Extra fields merged into the envelope's `error` object (e.g. `matches`, `available_hashes`). */
  details?: Record<string, unknown>
  exitCode?: ExitCodeValue
  /** What the user can do about it; shown under the message and sent as `error.hint`. */
  hint?: string
}

/** A user-actionable failure with a stable `type`. Anything else that reaches the base command is a bug. */
export class MlxkError extends Error {
  readonly data: Record<string, unknown> | undefined
  readonly details: Record<string, unknown>
  readonly exitCode: ExitCodeValue
  readonly hint: string | undefined
  readonly type: string

  constructor(type: string, message: string, options: MlxkErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : {cause: options.cause})
    this.name = 'MlxkError'
    this.type = type
    this.hint = options.hint
    this.details = options.details ?? {}
    this.data = options.data
    this.exitCode = options.exitCode ?? ExitCode.error
  }
}

/** Bad usage (exit 2): what oclif's own parse errors become, for a command or flag parser that finds it later. */
export function usageError(message: string, options: Omit<MlxkErrorOptions, 'exitCode'> = {}): MlxkError {
  return new MlxkError('CommandError', message, {...options, exitCode: ExitCode.usage})
}

export function isMlxkError(value: unknown): value is MlxkError {
  return value instanceof MlxkError || (value instanceof Error && value.name === 'MlxkError' && 'type' in value)
}

/** The shape of `error` in the JSON envelope. */
export interface ErrorBody {
  [extra: string]: unknown
  hint?: string
  message: string
  type: string
}

export function toErrorBody(error: MlxkError): ErrorBody {
  const body: ErrorBody = {...error.details, message: error.message, type: error.type}
  if (error.hint !== undefined) body.hint = error.hint
  return body
}
