import type {ChatMessage, DoneEvent, SamplingParams, StartEvent} from 'mlxk/sdk/runtime/protocol'

import {AnswerWriter, type DisplayOptions} from './answer-writer.js'
import type {ModelSession} from './model-session.js'

export interface OneShotRequest {
  /** Render with the chat template (true) or send the text raw (`--no-chat-template`). */
  chatTemplate: boolean
  display: DisplayOptions
  prompt: string
  sampling: SamplingParams
  session: ModelSession
  /** Where human output goes; null for --json (nothing is printed). */
  sink: null | {stream: boolean; write: (text: string) => void}
  system: string | undefined
}

export interface OneShotResult {
  content: string
  done: DoneEvent
  onlyHiddenReasoning: boolean
  reasoning: string
  start: StartEvent
}

/** One prompt, one answer: streamed to the sink as tokens arrive, or buffered and written once (`--no-stream`). */
export async function generateOnce(request: OneShotRequest): Promise<OneShotResult> {
  const {session, sink} = request
  let buffered = ''
  const write = sink === null ? () => {} : sink.stream ? sink.write : (text: string) => (buffered += text)
  const writer = new AnswerWriter(write, request.display)
  let start: StartEvent | undefined
  let content = ''
  let reasoning = ''
  const stream = session.client.generate({
    ...request.sampling,
    ...inputOf(request),
    chat_template: request.chatTemplate,
    model_id: session.modelId,
  })
  for await (const event of stream) {
    switch (event.event) {
      case 'start': {
        start = event
        break
      }

      case 'token': {
        if (event.channel === 'reasoning') reasoning += event.text
        else content += event.text
        writer.push(event.channel, event.text)
        break
      }

      case 'done': {
        if (start === undefined) throw new Error('runtime protocol violation: done before start')
        writer.finish()
        if (sink !== null && !sink.stream) sink.write(buffered)
        return {content, done: event, onlyHiddenReasoning: writer.onlyHiddenReasoning, reasoning, start}
      }
    }
  }

  throw new Error('runtime protocol violation: the generation ended without done')
}

function inputOf(request: OneShotRequest): {messages: ChatMessage[]} | {prompt: string} {
  // Without the template there is no place for a system message; the command refuses that combination.
  if (!request.chatTemplate) return {prompt: request.prompt}
  const messages: ChatMessage[] = []
  if (request.system) messages.push({content: request.system, role: 'system'})
  messages.push({content: request.prompt, role: 'user'})
  return {messages}
}
