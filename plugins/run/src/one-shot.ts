import type {ChatMessage, SamplingParams, ToolParams} from 'mlxk/sdk/runtime'
import {answerFinishReason, GenerationReader, GenerationText} from 'mlxk/sdk/runtime'
import type {RunTarget} from 'mlxk/sdk/services'

import {AnswerWriter, type DisplayOptions} from './answer-writer.js'
import type {ModelSession} from './model-session.js'
import type {RunData} from './run-data.js'
import {formatGenerationLine} from './stats.js'
import {formatToolCall} from './tools.js'

export interface OneShotRequest {
  /** Render with the chat template (true) or send the text raw (`--no-chat-template`). */
  chatTemplate: boolean
  display: DisplayOptions
  prompt: string
  sampling: SamplingParams
  session: ModelSession
  /** Where human output goes; null for --json (nothing is printed). */
  sink: null | {stream: boolean; write: (text: string) => void}
  /** The model as the user typed it (upstream's `model` field). */
  spec: string
  system: string | undefined
  target: RunTarget
  /** `--tools`: the tools the model may call, and `--tool-choice`. */
  tools?: ToolParams | undefined
  /** `--verbose`: timing line on stderr. */
  verbose: boolean
}

/**
 * One prompt, one answer: streamed to the sink as tokens arrive, or buffered and written once (`--no-stream`),
 * and returned as `run --json`'s data.
 */
export async function answerOnce(request: OneShotRequest): Promise<RunData> {
  const {session, sink} = request
  let buffered = ''
  const write = sink === null ? () => {} : sink.stream ? sink.write : (text: string) => (buffered += text)
  const writer = new AnswerWriter(write, request.display)
  const reader = await GenerationReader.open(
    session.client.generate({
      ...request.sampling,
      ...request.tools,
      ...inputOf(request),
      chat_template: request.chatTemplate,
      model_id: session.modelId,
    }),
  )
  const text = new GenerationText()
  for await (const piece of reader) {
    text.add(piece)
    writer.push(piece.channel, piece.text)
  }

  writer.finish()
  for (const call of text.toolCalls) write(formatToolCall(call) + '\n')
  if (sink !== null && !sink.stream) sink.write(buffered)
  const {done, start} = reader
  if (request.verbose) process.stderr.write(formatGenerationLine(start, done) + '\n')
  if (sink !== null && writer.onlyHiddenReasoning && text.toolCalls.length === 0) {
    process.stderr.write('[mlxk] The model produced only reasoning, which is hidden; add --show-reasoning to see it.\n')
  }

  const reasoning = (text.reasoning ?? '').trim()
  const {client, loaded} = session
  const data: RunData = {
    distributed: client.topology ? {sharding: loaded.sharding ?? null, topology: client.topology} : null,
    finish_reason:
      done.finish_reason === 'cancelled' ? 'cancelled' : answerFinishReason(done.finish_reason, text.toolCalls.length),
    generation_time_s: done.timing.total_s,
    model: request.spec,
    prompt: request.prompt,
    reasoning: reasoning === '' ? null : reasoning,
    resolved: {commit: request.target.commit, kind: request.target.kind, name: request.target.name},
    response: text.content.trim(),
    timing: {load_time_s: loaded.load_time_s, tokens_per_s: done.timing.tokens_per_s, ttft_s: done.timing.ttft_s},
    tokens_generated: done.usage.completion_tokens,
    usage: {completion_tokens: done.usage.completion_tokens, prompt_tokens: done.usage.prompt_tokens},
  }
  if (request.tools) data.tool_calls = text.toolCalls
  return data
}

function inputOf(request: OneShotRequest): {messages: ChatMessage[]} | {prompt: string} {
  // Without the template there is no place for a system message; the command refuses that combination.
  if (!request.chatTemplate) return {prompt: request.prompt}
  const messages: ChatMessage[] = []
  if (request.system) messages.push({content: request.system, role: 'system'})
  messages.push({content: request.prompt, role: 'user'})
  return {messages}
}
