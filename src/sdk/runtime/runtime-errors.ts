import {MlxkError} from '../errors.js'
import {RUNTIME_SETUP_HINT} from './locate.js'
import type {WorkerError} from './protocol.js'
import {describeExit, type WorkerExit} from './worker-process.js'

const HINTS: Partial<Record<string, string>> = {
  context_length_exceeded: 'Shorten the prompt or use a model with a longer context',
  unsafe_model: 'mlxk never runs code shipped with a model; use a model that needs no custom code',
}

/** A worker `error` event as an MlxkError: the worker's type, its extra fields in `details`. */
export function fromWorkerError(error: WorkerError): MlxkError {
  const {message, type, ...details} = error
  const hint = HINTS[type]
  return new MlxkError(type, message, hint === undefined ? {details} : {details, hint})
}

/** The last lines of the worker's output, indented, to append to a message. */
function outputBlock(output: string, lines = 12): string {
  if (output === '') return ''
  return (
    '\n' +
    output
      .split('\n')
      .slice(-lines)
      .map((line) => `  ${line}`)
      .join('\n')
  )
}

function exitDetails(exit: undefined | WorkerExit, output: string, pid: number | undefined): Record<string, unknown> {
  return {exit_code: exit?.exitCode ?? null, pid: pid ?? null, signal: exit?.signal ?? null, stderr_tail: output}
}

/** Every request open when the worker died fails with this (client-side type, protocol §1). */
export function workerExitedError(exit: undefined | WorkerExit, output: string, pid: number | undefined): MlxkError {
  return new MlxkError(
    'worker_exited',
    `The MLX runtime worker exited unexpectedly (${describeExit(exit)})${outputBlock(output)}`,
    {details: exitDetails(exit, output, pid), hint: 'Retry: the runtime is restarted on the next request'},
  )
}

export function workerStartFailedError(
  reason: string,
  exit: undefined | WorkerExit,
  output: string,
  pid: number | undefined,
): MlxkError {
  return new MlxkError(
    'runtime_start_failed',
    `The Python MLX runtime failed to start: ${reason}${outputBlock(output)}`,
    {
      details: exitDetails(exit, output, pid),
      hint: RUNTIME_SETUP_HINT,
    },
  )
}

export function runtimeClosedError(): MlxkError {
  return new MlxkError('runtime_closed', 'The MLX runtime client was closed')
}
