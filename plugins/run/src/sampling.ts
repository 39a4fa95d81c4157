import type {SamplingParams} from 'mlxk/sdk/runtime/protocol'

/** mlx-knife's defaults, kept so answers feel the same to its users (docs/run.md). */
export const DEFAULT_TEMPERATURE = 0.7
export const DEFAULT_TOP_P = 0.9

/** The sampling flags as parsed. */
export interface SamplingFlags {
  'chat-template': boolean
  'frequency-penalty'?: number
  'max-tokens'?: number
  'min-p'?: number
  'presence-penalty'?: number
  'repetition-penalty'?: number
  seed?: number
  stop?: string[]
  temperature?: number
  'top-k'?: number
  'top-p'?: number
}

/** Flags → runtime protocol fields; unset optional flags are left out so the worker's own defaults apply. */
export function samplingParams(flags: SamplingFlags): SamplingParams {
  const params: SamplingParams = {
    temperature: flags.temperature ?? DEFAULT_TEMPERATURE,
    top_p: flags['top-p'] ?? DEFAULT_TOP_P,
  }
  if (flags['max-tokens'] !== undefined) params.max_tokens = flags['max-tokens']
  if (flags['frequency-penalty'] !== undefined) params.frequency_penalty = flags['frequency-penalty']
  if (flags['min-p'] !== undefined) params.min_p = flags['min-p']
  if (flags['presence-penalty'] !== undefined) params.presence_penalty = flags['presence-penalty']
  if (flags['repetition-penalty'] !== undefined) params.repetition_penalty = flags['repetition-penalty']
  if (flags.seed !== undefined) params.seed = flags.seed
  if (flags['top-k'] !== undefined) params.top_k = flags['top-k']
  const stop = (flags.stop ?? []).filter((s) => s !== '')
  if (stop.length > 0) params.stop = stop
  return params
}
