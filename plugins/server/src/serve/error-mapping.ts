import {isMlxkError} from 'mlxk/sdk'

import {ApiError, internal, isApiError, modelNotFound, unavailable} from './api-error.js'
import {ShutdownAbortError} from './in-flight.js'

/** Runtime-side failures that a retry can fix: the supervisor starts a fresh worker on the next request. */
const RUNTIME_GONE = new Set(['runtime_closed', 'runtime_missing', 'runtime_start_failed', 'worker_exited'])

/** Model problems the client can act on by picking another model. */
const MODEL_REFUSED = new Set([
  'model_not_runnable',
  'model_unhealthy',
  'unsafe_model',
  // A distributed group cannot split this model over its ranks (docs/distributed.md).
  'unshardable_model',
  'unsupported_model_type',
  // An embedding model asked to generate, or a text model asked to embed.
  'wrong_model_kind',
])

/**
 * Maps whatever a handler threw onto the API's error vocabulary. SDK errors keep their stable `type` as the
 * OpenAI `code`, so a client sees the same identifiers the CLI's JSON envelope uses.
 */
export function toApiError(error: unknown, context: {model?: string; inputParam?: string} = {}): ApiError {
  if (isApiError(error)) return error
  if (error instanceof ShutdownAbortError) {
    return unavailable(
      'The server is shutting down; retry against another instance or later',
      'server_shutting_down',
      5,
    )
  }

  if (!isMlxkError(error)) return internal(error instanceof Error ? error.message : String(error))
  const {type} = error
  if (type === 'model_not_found' || type === 'workspace_not_found' || type === 'hash_not_found') {
    return modelNotFound(context.model ?? '', error.message)
  }

  if (type === 'ambiguous_match') {
    return new ApiError(400, `${error.message}; use the full name`, {code: type, param: 'model'})
  }

  if (MODEL_REFUSED.has(type)) return new ApiError(400, error.message, {code: type, param: 'model'})
  if (type === 'context_length_exceeded') {
    return new ApiError(400, contextMessage(error.details), {code: type, param: context.inputParam ?? 'messages'})
  }

  // The schemas check the request first; what only the runtime can check (a logit_bias token id beyond the
  // vocabulary) comes back as its bad_request.
  if (type === 'bad_request') return new ApiError(400, error.message, {code: 'invalid_value'})
  // A schema the constrained decoder cannot enforce is refused, never served unconstrained.
  if (type === 'unsupported_schema') {
    return new ApiError(400, error.message, {code: 'unsupported_parameter', param: schemaParam(error.details)})
  }

  if (type === 'invalid_schema' || type === 'invalid_grammar') {
    return new ApiError(400, error.message, {code: 'invalid_value', param: schemaParam(error.details)})
  }

  // Tools are never dropped silently: a template that cannot render them refuses them.
  if (type === 'tools_not_supported') {
    return new ApiError(400, `Model '${context.model ?? ''}' does not support tool calling: ${error.message}`, {
      code: type,
      param: 'tools',
    })
  }

  if (type === 'tool_choice_not_supported') {
    return new ApiError(400, error.message, {code: 'unsupported_parameter', param: 'tool_choice'})
  }

  if (RUNTIME_GONE.has(type)) {
    // The worker's stderr tail is for the operator's log, not for API clients.
    return unavailable(`The model runtime is unavailable (${type}); retry the request`, type, 1)
  }

  if (type === 'model_load_failed') return internal(`The model failed to load: ${firstLine(error.message)}`, type)
  return internal(firstLine(error.message), type)
}

function contextMessage(details: Record<string, unknown>): string {
  const context = typeof details.context_length === 'number' ? details.context_length : undefined
  const prompt = typeof details.prompt_tokens === 'number' ? details.prompt_tokens : undefined
  if (context === undefined || prompt === undefined) return "The prompt does not fit in the model's context"
  return `This model's maximum context length is ${context} tokens, but the prompt has ${prompt} tokens`
}

/** Which request field a schema error is about: a forced call's tool (by index), else the response format. */
function schemaParam(details: Record<string, unknown>): string {
  const tool = details.tool_index
  return typeof tool === 'number' ? `tools[${tool}].function.parameters` : 'response_format'
}

function firstLine(text: string): string {
  return text.split('\n', 1)[0] ?? text
}
