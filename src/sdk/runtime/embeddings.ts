import type {EmbeddingInfo, EmbeddingsEvent} from './protocol.js'

/**
 * The vectors of an `embeddings` event, one per input. The wire carries little-endian float32, which is what
 * Float32Array reads on every platform mlxk runs on (x64, arm64).
 */
export function decodeEmbeddings(event: EmbeddingsEvent): Float32Array[] {
  // A copy: Buffer's pool may hand out a view whose offset is not a multiple of 4.
  const all = new Float32Array(new Uint8Array(Buffer.from(event.data, 'base64')).buffer)
  if (all.length !== event.count * event.dimensions) {
    throw new Error(`embeddings event holds ${all.length} floats, not ${event.count} × ${event.dimensions}`)
  }

  return Array.from({length: event.count}, (_, i) => all.subarray(i * event.dimensions, (i + 1) * event.dimensions))
}

/** One vector as OpenAI's `encoding_format: "base64"` sends it: its little-endian float32 bytes. */
export function vectorToBase64(vector: Float32Array): string {
  return Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength).toString('base64')
}

/**
 * Why a model cannot give vectors of `requested` dimensions, or undefined when it can: its full size always, fewer
 * only where it was trained for it (Matryoshka), and then the runtime renormalises the shortened vectors.
 */
export function dimensionsProblem(requested: number, info: EmbeddingInfo): string | undefined {
  if (requested === info.dimensions) return undefined
  if (requested > info.dimensions) return `the model makes vectors of ${info.dimensions} dimensions`
  if (!info.matryoshka) {
    return `the model was not trained for shortened (Matryoshka) vectors; only ${info.dimensions} is possible`
  }

  return undefined
}
