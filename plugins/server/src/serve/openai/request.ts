import type {ChatMessage, Constraint, GenerateParams, SamplingParams, ToolCall, ToolChoice} from 'mlxk/sdk/runtime'

import {badRequest, unsupported} from '../api-error.js'
import {rejectUnsupportedTools, runtimeMessage, toolParams} from './tools.js'

/** The request fields mlxk reads, as the schemas in `schemas/openai/` have already checked them. */
export interface SamplingFields {
  frequency_penalty?: null | number
  logit_bias?: null | Record<string, number>
  max_tokens?: null | number
  min_p?: null | number
  model: string
  n?: null | number
  presence_penalty?: null | number
  repetition_penalty?: null | number
  /** Chat's field; also read on /v1/completions, as vLLM and llama-server do. */
  response_format?: null | ResponseFormat
  seed?: null | number
  stop?: null | string | string[]
  stream?: boolean | null
  stream_options?: null | {include_usage?: boolean | null}
  temperature?: null | number
  top_k?: null | number
  top_p?: null | number
}

export interface ResponseFormat {
  json_schema?: {
    description?: null | string
    name: string
    schema?: boolean | Record<string, unknown>
    strict?: boolean | null
  }
  type: string
}

export interface ContentPart {
  text?: string
  type: string
}

export interface ChatRequestMessage {
  content?: ContentPart[] | null | string
  name?: string
  role: 'assistant' | 'developer' | 'function' | 'system' | 'tool' | 'user'
  tool_call_id?: string
  tool_calls?: null | ToolCall[]
}

/** A `tools` entry as the schema admits it; only `function` tools are served. */
export interface RequestTool {
  function?: {description?: string; name: string; parameters?: Record<string, unknown>; strict?: boolean | null}
  type: string
}

export interface ChatRequest extends SamplingFields {
  audio?: null | object
  functions?: null | unknown[]
  logprobs?: boolean | null
  max_completion_tokens?: null | number
  messages: ChatRequestMessage[]
  modalities?: null | string[]
  parallel_tool_calls?: boolean | null
  tool_choice?: null | ToolChoice
  tools?: null | RequestTool[]
  top_logprobs?: null | number
}

export interface CompletionRequest extends SamplingFields {
  best_of?: null | number
  echo?: boolean | null
  logprobs?: null | number
  prompt: string | unknown[]
  suffix?: null | string
}

/** Server-wide defaults for what a request leaves out. */
export interface SamplingDefaults {
  /** `--max-tokens`; unset: half the model's context (upstream's guard against one request holding the model). */
  maxTokens?: number | undefined
  temperature: number
  topP: number
}

/**
 * Rejects what would change the output and is not implemented (decisions.md, Server). Explicit defaults
 * (`n: 1`, `tools: []`) pass: they ask for nothing different.
 */
export function rejectUnsupportedCommon(body: SamplingFields): void {
  if ((body.n ?? 1) !== 1) throw unsupported('n', 'Only n=1 is supported: the server generates one choice per request')
  const format = body.response_format?.type
  if (format !== undefined && !RESPONSE_FORMATS.has(format)) {
    throw unsupported(
      'response_format',
      `response_format '${format}' is not supported; use text, json_object or json_schema`,
    )
  }

  // A stop string could cut the JSON short and leave an answer that no longer parses.
  if (constraintOf(body) !== undefined && stopStrings(body).length > 0) {
    throw unsupported('stop', 'stop cannot be combined with a JSON response_format: a stop string could cut the JSON')
  }
}

const RESPONSE_FORMATS: ReadonlySet<string> = new Set(['json_object', 'json_schema', 'text'])

/**
 * What the runtime's constrained decoding must enforce. `strict: false` still constrains: an answer that does
 * not match is never what a client asking for a schema wants. A json_schema without `schema` is any object.
 */
export function constraintOf(body: SamplingFields): Constraint | undefined {
  const format = body.response_format
  if (format?.type === 'json_object') return {type: 'json_object'}
  if (format?.type !== 'json_schema') return undefined
  const schema = format.json_schema?.schema
  if (schema === undefined || schema === true) return {type: 'json_object'}
  // `false` accepts nothing; the runtime says so as invalid_schema rather than the server guessing.
  return {schema: schema === false ? {not: {}} : schema, type: 'json_schema'}
}

export function rejectUnsupportedChat(body: ChatRequest): void {
  rejectUnsupportedCommon(body)
  if (body.functions && body.functions.length > 0) {
    throw unsupported('functions', 'The legacy functions field is not supported; send them as tools')
  }

  rejectUnsupportedTools(body, stopStrings(body))

  if ((body.top_logprobs ?? 0) > 0 && body.logprobs !== true) {
    throw badRequest('top_logprobs needs logprobs: true', 'top_logprobs')
  }

  if (body.modalities?.some((m) => m !== 'text')) throw unsupported('modalities', 'Only text output is supported')
  if (body.audio) throw unsupported('audio', 'Audio output is not supported')
  for (const [i, message] of body.messages.entries()) {
    if (message.role === 'function') {
      throw unsupported(`messages[${i}].role`, "The legacy 'function' role is not supported; use 'tool'")
    }

    if (Array.isArray(message.content)) {
      for (const [j, part] of message.content.entries()) {
        if (part.type !== 'text') {
          throw unsupported(
            `messages[${i}].content[${j}]`,
            `Content parts of type '${part.type}' are not supported; only text`,
          )
        }
      }
    }
  }
}

export function rejectUnsupportedCompletion(body: CompletionRequest): void {
  rejectUnsupportedCommon(body)
  if ((body.best_of ?? 1) !== 1) throw unsupported('best_of', 'Only best_of=1 is supported')
  if (body.suffix) throw unsupported('suffix', 'suffix (insertion) is not supported')
  if (body.echo && body.logprobs !== undefined && body.logprobs !== null) {
    throw unsupported('logprobs', 'logprobs with echo (logprobs of the prompt tokens) are not supported')
  }
  if (Array.isArray(body.prompt)) {
    if (body.prompt.length !== 1 || typeof body.prompt[0] !== 'string') {
      throw unsupported(
        'prompt',
        'prompt must be one string (or a list holding one string); batches and token ids are not supported',
      )
    }
  }
}

function stopStrings(body: SamplingFields): string[] {
  return (typeof body.stop === 'string' ? [body.stop] : (body.stop ?? [])).filter((s) => s !== '')
}

/** The prompt text of a completion request whose prompt passed `rejectUnsupportedCompletion`. */
export function promptText(body: CompletionRequest): string {
  return typeof body.prompt === 'string' ? body.prompt : String(body.prompt[0])
}

export function chatMessages(body: ChatRequest): ChatMessage[] {
  return body.messages.map((m) => runtimeMessage(m))
}

/**
 * Sampling for the runtime. An explicit max_tokens is honoured (the runtime clamps it to what fits); without
 * one the server caps at half the context, so a single request cannot hold the model for its whole context.
 */
export function samplingParams(
  body: SamplingFields & {max_completion_tokens?: null | number},
  contextLength: number,
  defaults: SamplingDefaults,
): SamplingParams {
  const requested = body.max_completion_tokens ?? body.max_tokens ?? defaults.maxTokens
  const temperature = body.temperature ?? defaults.temperature
  const topP = body.top_p ?? defaults.topP
  const params: SamplingParams = {
    max_tokens: requested ?? Math.max(1, Math.floor(contextLength / 2)),
    // top_p 0 keeps only the most likely token: greedy, which the runtime spells temperature 0.
    temperature: topP === 0 ? 0 : temperature,
    top_p: topP === 0 ? 1 : topP,
  }
  if (body.top_k !== undefined && body.top_k !== null) params.top_k = body.top_k
  if (body.min_p !== undefined && body.min_p !== null) params.min_p = body.min_p
  if (body.repetition_penalty !== undefined && body.repetition_penalty !== null) {
    params.repetition_penalty = body.repetition_penalty
  }

  for (const key of ['presence_penalty', 'frequency_penalty'] as const) {
    const value = body[key]
    if (value !== undefined && value !== null && value !== 0) params[key] = value
  }

  if (body.logit_bias && Object.keys(body.logit_bias).length > 0) params.logit_bias = body.logit_bias
  if (body.seed !== undefined && body.seed !== null) params.seed = body.seed
  const stop = stopStrings(body)
  if (stop.length > 0) params.stop = stop
  const constraint = constraintOf(body)
  if (constraint) params.constraint = constraint
  return params
}

export function chatParams(
  body: ChatRequest,
  modelId: string,
  contextLength: number,
  defaults: SamplingDefaults,
): GenerateParams {
  const params: GenerateParams = {
    ...samplingParams(body, contextLength, defaults),
    ...toolParams(body),
    messages: chatMessages(body),
    model_id: modelId,
  }
  if (body.logprobs === true) {
    params.logprobs = true
    params.top_logprobs = body.top_logprobs ?? 0
  }

  return params
}

export function completionParams(
  body: CompletionRequest,
  modelId: string,
  contextLength: number,
  defaults: SamplingDefaults,
): GenerateParams {
  const params: GenerateParams = {
    ...samplingParams(body, contextLength, defaults),
    model_id: modelId,
    prompt: promptText(body),
  }
  // Legacy completions: `logprobs: N` asks for the sampled token's logprob plus the N most likely.
  if (body.logprobs !== undefined && body.logprobs !== null) {
    params.logprobs = true
    params.top_logprobs = body.logprobs
  }

  return params
}
