import type {ErrorBody} from './errors.js'

/** The one JSON shape every command prints with `--json` (upstream mlx-knife's envelope, unchanged). */
export interface Envelope<T = unknown> {
  command: null | string
  data: null | T
  error: ErrorBody | null
  status: 'error' | 'success'
}

export function successEnvelope<T>(command: null | string, data: T): Envelope<T> {
  return {status: 'success', command, data, error: null}
}

export function errorEnvelope(
  command: null | string,
  error: ErrorBody,
  data: null | Record<string, unknown> = null,
): Envelope {
  return {status: 'error', command, data, error}
}

/** Pretty JSON with 2-space indent, as upstream prints it; one object per invocation. */
export function formatEnvelope(envelope: Envelope): string {
  return JSON.stringify(envelope, null, 2) + '\n'
}

/**
 * A long-running command's envelope (a server's "listening" report): one compact line, because the command keeps
 * running after it and the tools that start it read stdout line by line, not until exit.
 */
export function formatEnvelopeLine(envelope: Envelope): string {
  return JSON.stringify(envelope) + '\n'
}
