import type {ApiError} from '../api-error.js'
import type {ServableModel} from '../models/catalog.js'

/** The only place response shapes are built: OpenAI's, plus `context_length` on models (as upstream). */

export type OpenAiFinishReason = 'length' | 'stop'

export interface OpenAiUsage {
  completion_tokens: number
  prompt_tokens: number
  total_tokens: number
}

export interface ErrorResponse {
  error: {code: null | string; message: string; param: null | string; type: string}
}

export interface ModelResponse {
  context_length: null | number
  created: number
  id: string
  object: 'model'
  owned_by: string
}

export interface ChatMessageOut {
  content: string
  reasoning_content?: string
  role: 'assistant'
}

export interface ChatCompletion {
  choices: {finish_reason: OpenAiFinishReason; index: 0; logprobs: null; message: ChatMessageOut}[]
  created: number
  id: string
  model: string
  object: 'chat.completion'
  system_fingerprint: string
  usage: OpenAiUsage
}

export interface ChatDelta {
  content?: string
  reasoning_content?: string
  role?: 'assistant'
}

export interface ChatChunk {
  choices: {delta: ChatDelta; finish_reason: null | OpenAiFinishReason; index: 0; logprobs: null}[]
  created: number
  id: string
  model: string
  object: 'chat.completion.chunk'
  system_fingerprint: string
  usage?: null | OpenAiUsage
}

export interface TextCompletion {
  choices: {finish_reason: null | OpenAiFinishReason; index: 0; logprobs: null; text: string}[]
  created: number
  id: string
  model: string
  object: 'text_completion'
  system_fingerprint: string
  usage?: null | OpenAiUsage
}

/** Identity of one response: the same id and created on every chunk of a stream. */
export interface ResponseMeta {
  created: number
  id: string
  /** Whether chunks carry `usage: null` (OpenAI does so when include_usage is on). */
  includeUsage: boolean
  model: string
}

export const SYSTEM_FINGERPRINT = 'mlxk'

export function presentError(error: ApiError): ErrorResponse {
  return {error: {code: error.code, message: error.message, param: error.param, type: error.type}}
}

export function presentModel(model: ServableModel): ModelResponse {
  return {
    context_length: model.context_length,
    created: model.created,
    id: model.id,
    object: 'model',
    owned_by: model.kind === 'workspace' ? 'workspace' : (model.id.split('/')[0] ?? 'mlxk'),
  }
}

export function presentUsage(usage: {completion_tokens: number; prompt_tokens: number}): OpenAiUsage {
  return {
    completion_tokens: usage.completion_tokens,
    prompt_tokens: usage.prompt_tokens,
    total_tokens: usage.prompt_tokens + usage.completion_tokens,
  }
}

export function presentChatCompletion(
  meta: ResponseMeta,
  text: {content: string; reasoning: null | string},
  finish: OpenAiFinishReason,
  usage: OpenAiUsage,
): ChatCompletion {
  const message: ChatMessageOut = {content: text.content, role: 'assistant'}
  if (text.reasoning !== null) message.reasoning_content = text.reasoning
  return {
    choices: [{finish_reason: finish, index: 0, logprobs: null, message}],
    created: meta.created,
    id: meta.id,
    model: meta.model,
    object: 'chat.completion',
    system_fingerprint: SYSTEM_FINGERPRINT,
    usage,
  }
}

export function presentChatChunk(
  meta: ResponseMeta,
  delta: ChatDelta,
  finish: null | OpenAiFinishReason = null,
): ChatChunk {
  const chunk: ChatChunk = {
    choices: [{delta, finish_reason: finish, index: 0, logprobs: null}],
    created: meta.created,
    id: meta.id,
    model: meta.model,
    object: 'chat.completion.chunk',
    system_fingerprint: SYSTEM_FINGERPRINT,
  }
  if (meta.includeUsage) chunk.usage = null
  return chunk
}

/** The extra chunk `stream_options.include_usage` asks for: no choices, the usage. */
export function presentChatUsageChunk(meta: ResponseMeta, usage: OpenAiUsage): ChatChunk {
  return {...presentChatChunk(meta, {}), choices: [], usage}
}

export function presentTextCompletion(
  meta: ResponseMeta,
  text: string,
  finish: null | OpenAiFinishReason,
  usage?: OpenAiUsage,
): TextCompletion {
  const out: TextCompletion = {
    choices: [{finish_reason: finish, index: 0, logprobs: null, text}],
    created: meta.created,
    id: meta.id,
    model: meta.model,
    object: 'text_completion',
    system_fingerprint: SYSTEM_FINGERPRINT,
  }
  if (usage) out.usage = usage
  else if (meta.includeUsage) out.usage = null
  return out
}

export function presentTextUsageChunk(meta: ResponseMeta, usage: OpenAiUsage): TextCompletion {
  return {...presentTextCompletion(meta, '', null), choices: [], usage}
}
