import {SAMPLING_DEFAULTS, type SamplingParams} from 'mlxk/sdk/runtime'

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
    temperature: flags.temperature ?? SAMPLING_DEFAULTS.temperature,
    top_p: flags['top-p'] ?? SAMPLING_DEFAULTS.top_p,
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
