import type {GenerateParams, TokenChannel, TokenLogprob} from 'mlxk/sdk/runtime/index'

import {
  type OpenAiFinishReason,
  type OpenAiUsage,
  presentChatChunk,
  presentChatCompletion,
  presentChatLogprobs,
  presentChatUsageChunk,
  presentTextCompletion,
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

/** What a generation produced, for the non-streamed response. */
export interface Collected {
  content: string
  /** Logprob entries of content-channel tokens (chat) or of all tokens (text completions), when asked for. */
  logprobs: TokenLogprob[]
  /** All text with the `<think>` markers the runtime removed put back: what a raw text completion returns. */
  raw: string
  /** Null for a model without reasoning. */
  reasoning: null | string
}

/** One token event's text, also with its markers put back (`raw`). */
export interface Piece {
  channel: TokenChannel
  /** The runtime's entries for the tokens this event carries (only when the request asked for logprobs). */
  logprobs?: TokenLogprob[]
  raw: string
  text: string
}

/**
 * The differences between chat and text completions, so one generation route serves both: how a request
 * becomes runtime params, and how output becomes OpenAI objects.
 */
export interface Flavor<B extends SamplingFields> {
  complete(meta: ResponseMeta, body: B, out: Collected, finish: OpenAiFinishReason, usage: OpenAiUsage): object
  /** The request field a too-long prompt is blamed on. */
  inputParam: string
  kind: RequestKind
  params(body: B, modelId: string, contextLength: number, defaults: SamplingDefaults): GenerateParams
  prefix: string
  reject(body: B): void
  /** Chunks sent before the first token (chat: the role). */
  streamHead(meta: ResponseMeta, body: B): object[]
  streamFinal(meta: ResponseMeta, finish: OpenAiFinishReason): object
  /** The chunk for one token event; reasoning text only exists in chat. `offset`: raw text sent before it. */
  streamToken(meta: ResponseMeta, body: B, piece: Piece, offset: number): object
  usageChunk(meta: ResponseMeta, usage: OpenAiUsage): object
}

export const chatFlavor: Flavor<ChatRequest> = {
  complete: (meta, body, out, finish, usage) =>
    presentChatCompletion(meta, out, finish, usage, body.logprobs === true ? presentChatLogprobs(out.logprobs) : null),
  inputParam: 'messages',
  kind: 'chat',
  params: chatParams,
  prefix: 'chatcmpl-',
  reject: rejectUnsupportedChat,
  streamHead: (meta) => [presentChatChunk(meta, {content: '', role: 'assistant'})],
  streamFinal: (meta, finish) => presentChatChunk(meta, {}, finish),
  streamToken(meta, body, piece) {
    if (piece.channel === 'reasoning') return presentChatChunk(meta, {reasoning_content: piece.text})
    const logprobs = body.logprobs === true ? presentChatLogprobs(piece.logprobs ?? []) : null
    return presentChatChunk(meta, {content: piece.text}, null, logprobs)
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
  params: completionParams,
  prefix: 'cmpl-',
  reject: rejectUnsupportedCompletion,
  streamHead: (meta, body) => (body.echo ? [presentTextCompletion(meta, promptText(body), null)] : []),
  streamFinal: (meta, finish) => presentTextCompletion(meta, '', finish),
  // OpenAI's text API has no reasoning field: a thinking model's output stays verbatim, markers included.
  streamToken(meta, body, piece, offset) {
    const start = offset + (body.echo ? promptText(body).length : 0)
    const logprobs = wantsTextLogprobs(body) ? presentTextLogprobs(piece.logprobs ?? [], start) : null
    return presentTextCompletion(meta, piece.raw, null, undefined, logprobs)
  },
  usageChunk: presentTextUsageChunk,
}

function wantsTextLogprobs(body: CompletionRequest): boolean {
  return body.logprobs !== undefined && body.logprobs !== null
}
