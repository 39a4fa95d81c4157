import type {SamplingParams} from './protocol.js'

/**
 * mlx-knife's sampling defaults, so answers feel the same to its users: `run`'s flags and the server's requests
 * that leave them out both start here (docs/run.md, docs/server.md).
 */
export const SAMPLING_DEFAULTS: Readonly<Required<Pick<SamplingParams, 'temperature' | 'top_p'>>> = {
  temperature: 0.7,
  top_p: 0.9,
}
