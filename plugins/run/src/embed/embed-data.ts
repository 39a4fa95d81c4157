import type {EmbeddingsEvent} from 'mlxk/sdk/runtime'

/** `data` of `mlxk embed --json` (schemas/embed.schema.json). */
export interface EmbedData {
  count: number
  dimensions: number
  /** One vector per input, in input order. */
  embeddings: number[][]
  /** The model argument as given. */
  model: string
  /** Whether the vectors are unit length (the model normalises, or `--dimensions` shortened them). */
  normalized: boolean
  /** Tokens of each input after truncation, special tokens included. */
  token_counts: number[]
  /** Indices of the inputs cut to the model's maximum length. */
  truncated: number[]
  usage: {prompt_tokens: number}
}

/** Folds one batch's answer into the running result; vectors are kept only when `vectors` is given (--json). */
export function addBatch(data: EmbedData, event: EmbeddingsEvent, vectors?: Float32Array[]): void {
  const offset = data.count
  data.count += event.count
  data.dimensions = event.dimensions
  if (vectors) data.embeddings.push(...vectors.map((v) => Array.from(v)))
  data.token_counts.push(...event.token_counts)
  data.truncated.push(...event.truncated.map((i) => i + offset))
  data.usage.prompt_tokens += event.usage.prompt_tokens
}

/** A vector as one line: a JSON array whose numbers read back as exactly the same float32 values. */
export function vectorLine(vector: Float32Array): string {
  return JSON.stringify(Array.from(vector)) + '\n'
}
