import type {ToolCall, ToolCallPiece, TokenLogprob, Usage} from 'mlxk/sdk/runtime'

import type {ApiError} from '../api-error.js'
import type {ServableModel} from '../models/catalog.js'

/** The only place response shapes are built: OpenAI's, plus `context_length` on models (as upstream). */

export type OpenAiFinishReason = 'length' | 'stop' | 'tool_calls'

export interface OpenAiUsage {
  completion_tokens: number
  prompt_tokens: number
  /** As OpenAI and mlx_lm.server report it: prompt tokens served from the prompt cache. */
  prompt_tokens_details: {cached_tokens: number}
  total_tokens: number
}

export interface ErrorResponse {
  error: {code: null | string; message: string; param: null | string; type: string}
}

export interface ModelResponse {
  /** mlxk's addition, as `mlxk list` says: `tools` when the model takes tools, `reasoning`, `chat`, … */
  capabilities: string[]
  context_length: null | number
  created: number
  id: string
  /** mlxk's addition: `chat`, `base` or `embedding`, as `mlxk list` says (null when unknown). */
  model_type: null | string
  object: 'model'
  owned_by: string
}

export interface ChatMessageOut {
  /** Null when the answer is only calls. */
  content: null | string
  reasoning_content?: string
  role: 'assistant'
  tool_calls?: ToolCall[]
}

/** A piece of a streamed call: `id`, `type` and `name` in its first delta, then its arguments in pieces. */
export interface ToolCallDelta {
  function: {arguments: string; name?: string}
  id?: string
  index: number
  type?: 'function'
}

/** One token in OpenAI's chat logprobs (`choices[].logprobs.content[]`). */
export interface ChatTokenLogprob {
  bytes: number[]
  logprob: number
  token: string
  top_logprobs: {bytes: number[]; logprob: number; token: string}[]
}

export interface ChatLogprobs {
  content: ChatTokenLogprob[]
  refusal: null
}

/** The legacy completions shape: parallel arrays, `top_logprobs` as token → logprob maps. */
export interface TextLogprobs {
  text_offset: number[]
  token_logprobs: number[]
  tokens: string[]
  top_logprobs: Record<string, number>[]
}

export interface ChatCompletion {
  choices: {finish_reason: OpenAiFinishReason; index: 0; logprobs: ChatLogprobs | null; message: ChatMessageOut}[]
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
  tool_calls?: ToolCallDelta[]
}

export interface ChatChunk {
  choices: {delta: ChatDelta; finish_reason: null | OpenAiFinishReason; index: 0; logprobs: ChatLogprobs | null}[]
  created: number
  id: string
  model: string
  object: 'chat.completion.chunk'
  system_fingerprint: string
  usage?: null | OpenAiUsage
}

export interface TextCompletion {
  choices: {finish_reason: null | OpenAiFinishReason; index: 0; logprobs: null | TextLogprobs; text: string}[]
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
    capabilities: model.capabilities ?? [],
    context_length: model.context_length,
    created: model.created,
    id: model.id,
    model_type: model.modelType ?? null,
    object: 'model',
    owned_by: model.kind === 'workspace' ? 'workspace' : (model.id.split('/')[0] ?? 'mlxk'),
  }
}

export function presentUsage(usage: Usage): OpenAiUsage {
  return {
    completion_tokens: usage.completion_tokens,
    prompt_tokens: usage.prompt_tokens,
    prompt_tokens_details: {cached_tokens: usage.cached_tokens},
    total_tokens: usage.prompt_tokens + usage.completion_tokens,
  }
}

const utf8 = new TextEncoder()

/** Runtime logprob entries in OpenAI's chat shape; `bytes` are the UTF-8 of the decoded token text. */
export function presentChatLogprobs(entries: TokenLogprob[]): ChatLogprobs {
  return {
    content: entries.map((e) => ({
      bytes: [...utf8.encode(e.token)],
      logprob: e.logprob,
      token: e.token,
      top_logprobs: e.top_logprobs.map((t) => ({bytes: [...utf8.encode(t.token)], logprob: t.logprob, token: t.token})),
    })),
    refusal: null,
  }
}

/**
 * Runtime logprob entries in the legacy completions shape. `text_offset` counts UTF-16 code units from the start
 * of the returned text (`start`: where this piece begins), following the decoded token texts.
 */
export function presentTextLogprobs(entries: TokenLogprob[], start = 0): TextLogprobs {
  const out: TextLogprobs = {text_offset: [], token_logprobs: [], tokens: [], top_logprobs: []}
  let offset = start
  for (const e of entries) {
    out.tokens.push(e.token)
    out.token_logprobs.push(e.logprob)
    out.text_offset.push(offset)
    out.top_logprobs.push(Object.fromEntries(e.top_logprobs.map((t) => [t.token, t.logprob])))
    offset += e.token.length
  }

  return out
}

export function presentChatCompletion(
  meta: ResponseMeta,
  text: {content: string; reasoning: null | string; toolCalls: ToolCall[]},
  finish: OpenAiFinishReason,
  usage: OpenAiUsage,
  logprobs: ChatLogprobs | null = null,
): ChatCompletion {
  const calls = text.toolCalls.length > 0
  // Beside calls, blank text (the newlines around them) is no answer.
  const message: ChatMessageOut = {
    content: calls && text.content.trim() === '' ? null : text.content,
    role: 'assistant',
  }
  if (calls) message.tool_calls = text.toolCalls
  if (text.reasoning !== null) message.reasoning_content = text.reasoning
  return {
    choices: [{finish_reason: finish, index: 0, logprobs, message}],
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
  logprobs: ChatLogprobs | null = null,
): ChatChunk {
  const chunk: ChatChunk = {
    choices: [{delta, finish_reason: finish, index: 0, logprobs}],
    created: meta.created,
    id: meta.id,
    model: meta.model,
    object: 'chat.completion.chunk',
    system_fingerprint: SYSTEM_FINGERPRINT,
  }
  if (meta.includeUsage) chunk.usage = null
  return chunk
}

/** Characters of a call's arguments per streamed delta. */
export const ARGUMENTS_PIECE = 16

/**
 * A call as stream deltas, the way OpenAI streams one: `id`, `type` and `name` with empty arguments first, then the
 * arguments in pieces (never splitting a surrogate pair). The runtime reports a call once it has closed and parsed,
 * so the pieces follow each other at once.
 */
export function presentToolCallDeltas(piece: ToolCallPiece): ToolCallDelta[] {
  const {call, index} = piece
  const deltas: ToolCallDelta[] = [
    {function: {arguments: '', name: call.function.name}, id: call.id, index, type: 'function'},
  ]
  const args = call.function.arguments
  for (let start = 0; start < args.length;) {
    let end = Math.min(start + ARGUMENTS_PIECE, args.length)
    if (end < args.length && /[\uD800-\uDBFF]/.test(args[end - 1]!)) end--
    deltas.push({function: {arguments: args.slice(start, end)}, index})
    start = end
  }

  return deltas
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
  logprobs: null | TextLogprobs = null,
): TextCompletion {
  const out: TextCompletion = {
    choices: [{finish_reason: finish, index: 0, logprobs, text}],
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
