import {dimensionsProblem, type EmbeddingInfo, vectorToBase64} from 'mlxk/sdk/runtime'

import {type ApiError, badRequest, unsupported} from '../api-error.js'
import type {ServableModel} from '../models/catalog.js'

/** The POST /v1/embeddings fields mlxk reads, as schemas/openai/embeddings.request.schema.json checked them. */
export interface EmbeddingsRequest {
  dimensions?: null | number
  encoding_format?: 'base64' | 'float' | null
  input: unknown[] | string
  model: string
  user?: null | string
}

export interface EmbeddingObject {
  /** float32 values, or their little-endian bytes in base64. */
  embedding: number[] | string
  index: number
  object: 'embedding'
}

export interface EmbeddingsResponse {
  data: EmbeddingObject[]
  model: string
  object: 'list'
  usage: {prompt_tokens: number; total_tokens: number}
}

/** The texts to embed; token-id input (arrays of integers) is OpenAI's too, but mlxk embeds text only. */
export function inputTexts(body: EmbeddingsRequest): string[] {
  const items = typeof body.input === 'string' ? [body.input] : body.input
  return items.map((item, i) => {
    const param = typeof body.input === 'string' ? 'input' : `input[${i}]`
    if (typeof item === 'number' || Array.isArray(item)) {
      throw unsupported('input', 'Token-id input is not supported: send the text to embed')
    }

    if (typeof item !== 'string') throw badRequest(`${param}: must be a string`, param, 'invalid_type')
    if (item === '') throw badRequest(`${param}: must not be empty`, param)
    return item
  })
}

/** `dimensions` as the model allows it: its full size always, fewer only where it was trained for Matryoshka. */
export function checkDimensions(requested: null | number | undefined, info: EmbeddingInfo, model: string): void {
  const problem = requested === null || requested === undefined ? undefined : dimensionsProblem(requested, info)
  if (problem) throw badRequest(`dimensions: '${model}': ${problem}`, 'dimensions')
}

/** A request for the other kind of model: say which kind this one is. */
export function wrongModelKind(model: ServableModel, want: 'embed' | 'generate'): ApiError | undefined {
  const embeds = model.modelType === 'embedding'
  if (embeds === (want === 'embed')) return undefined
  const message = embeds
    ? `'${model.id}' is an embedding model: it makes vectors, not text; use POST /v1/embeddings`
    : `'${model.id}' is a ${model.modelType ?? 'text'} model: it generates text, not embeddings; use an embedding model`
  return badRequest(message, 'model', 'wrong_model_kind')
}

export function presentEmbeddings(
  vectors: Float32Array[],
  format: 'base64' | 'float',
  model: string,
  promptTokens: number,
): EmbeddingsResponse {
  return {
    data: vectors.map((vector, index) => ({
      embedding: format === 'base64' ? vectorToBase64(vector) : Array.from(vector),
      index,
      object: 'embedding',
    })),
    model,
    object: 'list',
    usage: {prompt_tokens: promptTokens, total_tokens: promptTokens},
  }
}
