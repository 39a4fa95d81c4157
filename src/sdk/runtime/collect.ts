import type {DoneEvent, GenerateEvent, StartEvent, TokenChannel} from './protocol.js'

export interface CollectedGeneration {
  /** Text on the content channel. */
  content: string
  done: DoneEvent
  /**
   * All text in order with the `<think>`/`</think>` markers the worker removed put back at channel switches:
   * what `mlx_lm.generate` returns (protocol §2.4). An empty reasoning block leaves no trace in the stream.
   */
  raw: string
  /** Text on the reasoning channel. */
  reasoning: string
  start: StartEvent
}

/** Drains a `generate` stream into its text, for callers that do not stream (`run --no-stream`, tests). */
export async function collectGeneration(stream: AsyncIterable<GenerateEvent>): Promise<CollectedGeneration> {
  let start: StartEvent | undefined
  let channel: TokenChannel = 'content'
  let content = ''
  let reasoning = ''
  let raw = ''
  for await (const event of stream) {
    switch (event.event) {
      case 'done': {
        if (start === undefined) throw new Error('runtime protocol violation: done before start')
        return {content, done: event, raw, reasoning, start}
      }

      case 'start': {
        start = event
        // The template opened <think> inside the prompt, so the output starts in reasoning without a marker.
        channel = event.reasoning ? 'reasoning' : 'content'
        break
      }

      case 'token': {
        if (event.channel !== channel) raw += event.channel === 'reasoning' ? '<think>' : '</think>'
        channel = event.channel
        raw += event.text
        if (event.channel === 'reasoning') reasoning += event.text
        else content += event.text
        break
      }
    }
  }

  throw new Error('runtime protocol violation: the generation ended without done')
}
