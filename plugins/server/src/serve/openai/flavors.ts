import type {GenerateParams, GenerationPiece, GenerationText} from 'mlxk/sdk/runtime'

import {
  type OpenAiFinishReason,
  type OpenAiUsage,
  presentChatChunk,
  presentChatCompletion,
  presentChatLogprobs,
  presentChatUsageChunk,
  presentTextCompletion,
  presentToolCallDeltas,
  presentTextLogprobs,
  presentTextUsageChunk,
  type ResponseMeta,
} from './presenters.js'
import {
  type ChatRequest,
  chatParams,
  type CompletionRequest,
  completionParams,
  promptText,
  rejectUnsupportedChat,
  rejectUnsupportedCompletion,
  type SamplingDefaults,
  type SamplingFields,
} from './request.js'
import type {RequestKind} from './schemas.js'

/**
 * The differences between chat and text completions, so one generation route serves both: how a request
 * becomes runtime params, and how output becomes OpenAI objects.
 */
export interface Flavor<B extends SamplingFields> {
  complete(meta: ResponseMeta, body: B, out: GenerationText, finish: OpenAiFinishReason, usage: OpenAiUsage): object
  /** The request field a too-long prompt is blamed on. */
  inputParam: string
  kind: RequestKind
  /** Whether the request offered tools (only chat can). */
  offersTools(body: B): boolean
  params(body: B, modelId: string, contextLength: number, defaults: SamplingDefaults): GenerateParams
  prefix: string
  reject(body: B): void
  /** Chunks sent before the first token (chat: the role). */
  streamHead(meta: ResponseMeta, body: B): object[]
  streamFinal(meta: ResponseMeta, finish: OpenAiFinishReason): object
  /**
   * The chunks for one piece: a token's text (reasoning only exists in chat), or a tool call's deltas (only in
   * chat). `offset`: raw text sent before it.
   */
  streamPiece(meta: ResponseMeta, body: B, piece: GenerationPiece, offset: number): object[]
  usageChunk(meta: ResponseMeta, usage: OpenAiUsage): object
}

export const chatFlavor: Flavor<ChatRequest> = {
  // OpenAI's chat shape has no place for the logprobs of reasoning tokens.
  complete: (meta, body, out, finish, usage) =>
    presentChatCompletion(
      meta,
      out,
      finish,
      usage,
      body.logprobs === true ? presentChatLogprobs(out.contentLogprobs) : null,
    ),
  inputParam: 'messages',
  kind: 'chat',
  offersTools: (body) => (body.tools?.length ?? 0) > 0,
  params: chatParams,
  prefix: 'chatcmpl-',
  reject: rejectUnsupportedChat,
  streamHead: (meta) => [presentChatChunk(meta, {content: '', role: 'assistant'})],
  streamFinal: (meta, finish) => presentChatChunk(meta, {}, finish),
  streamPiece(meta, body, piece) {
    if (piece.toolCall)
      return presentToolCallDeltas(piece.toolCall).map((d) => presentChatChunk(meta, {tool_calls: [d]}))
    if (piece.channel === 'reasoning') return [presentChatChunk(meta, {reasoning_content: piece.text})]
    const logprobs = body.logprobs === true ? presentChatLogprobs(piece.logprobs ?? []) : null
    return [presentChatChunk(meta, {content: piece.text}, null, logprobs)]
  },
  usageChunk: presentChatUsageChunk,
}

export const completionFlavor: Flavor<CompletionRequest> = {
  complete(meta, body, out, finish, usage) {
    const prefix = body.echo ? promptText(body) : ''
    const logprobs = wantsTextLogprobs(body) ? presentTextLogprobs(out.logprobs, prefix.length) : null
    return presentTextCompletion(meta, prefix + out.raw, finish, usage, logprobs)
  },
  inputParam: 'prompt',
  kind: 'completion',
  offersTools: () => false,
  params: completionParams,
  prefix: 'cmpl-',
  reject: rejectUnsupportedCompletion,
  streamHead: (meta, body) => (body.echo ? [presentTextCompletion(meta, promptText(body), null)] : []),
  streamFinal: (meta, finish) => presentTextCompletion(meta, '', finish),
  // OpenAI's text API has no reasoning field: a thinking model's output stays verbatim, markers included.
  streamPiece(meta, body, piece, offset) {
    const start = offset + (body.echo ? promptText(body).length : 0)
    const logprobs = wantsTextLogprobs(body) ? presentTextLogprobs(piece.logprobs ?? [], start) : null
    return [presentTextCompletion(meta, piece.raw, null, undefined, logprobs)]
  },
  usageChunk: presentTextUsageChunk,
}

function wantsTextLogprobs(body: CompletionRequest): boolean {
  return body.logprobs !== undefined && body.logprobs !== null
}
