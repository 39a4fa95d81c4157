import type {DoneEvent, GenerateEvent, StartEvent, TokenChannel, TokenLogprob, ToolCall} from './protocol.js'

/** A call the model made, in the order of the generation's calls (`index` 0, 1, …). */
export interface ToolCallPiece {
  call: ToolCall
  index: number
}

/**
 * One token or tool-call event as its readers need it, so that every consumer (run, chat, the server's stream and
 * non-stream answers) learns of tool calls in one place: a call is a piece with `toolCall`, empty `text` and the
 * call's generated text as `raw`; its text is never part of any piece's `text`.
 */
export interface GenerationPiece {
  channel: TokenChannel
  /** The runtime's entries for the tokens this event carries (only when the request asked for logprobs). */
  logprobs?: TokenLogprob[]
  /**
   * The text with the `<think>`/`</think>` marker the worker removed put back in front at a channel switch:
   * concatenated, the raw pieces are what `mlx_lm.generate` returns (protocol §2.4).
   */
  raw: string
  text: string
  toolCall?: ToolCallPiece
}

/** OpenAI's finish reasons: a turn that ended by itself after calls ends with `tool_calls`. */
export type AnswerFinishReason = 'length' | 'stop' | 'tool_calls'

/**
 * The one reader of a `generate` stream: it waits for `start` (so that errors before it, such as a prompt too
 * long for the context, still reach the caller before anything was shown or sent), then yields pieces, then holds
 * the `done` event (finish_reason, stop, usage, timing). The protocol's ordering rules are checked here only.
 */
export class GenerationReader implements AsyncIterable<GenerationPiece> {
  readonly start: StartEvent
  #channel: TokenChannel
  #done: DoneEvent | undefined
  readonly #events: AsyncIterator<GenerateEvent>

  private constructor(events: AsyncIterator<GenerateEvent>, start: StartEvent) {
    this.#events = events
    this.start = start
    // The template opened <think> inside the prompt, so the output starts in reasoning without a marker.
    this.#channel = start.reasoning ? 'reasoning' : 'content'
  }

  /** The final event; only after the pieces were read to the end. */
  get done(): DoneEvent {
    if (this.#done === undefined) throw new Error('the generation has not finished yet')
    return this.#done
  }

  static async open(stream: AsyncIterable<GenerateEvent>): Promise<GenerationReader> {
    const events = stream[Symbol.asyncIterator]()
    const first = await events.next()
    if (first.done || first.value.event !== 'start') {
      await events.return?.(undefined)
      throw new Error('runtime protocol violation: the generation did not begin with start')
    }

    return new GenerationReader(events, first.value)
  }

  /**
   * Leaving the loop early (break, throw) cancels the generation on the worker, as ending the underlying
   * stream does; reading to the end leaves `done` set.
   */
  async *[Symbol.asyncIterator](): AsyncGenerator<GenerationPiece, void, undefined> {
    try {
      for (;;) {
        const next = await this.#events.next()
        if (next.done) throw new Error('runtime protocol violation: the generation ended without done')
        const event = next.value
        if (event.event === 'done') {
          this.#done = event
          return
        }

        if (event.event === 'start') throw new Error('runtime protocol violation: a second start')
        if (event.event === 'tool_call') {
          yield {
            ...this.#piece('content', '', event.logprobs, event.text),
            toolCall: {call: event.call, index: event.index},
          }
          continue
        }

        yield this.#piece(event.channel, event.text, event.logprobs)
      }
    } finally {
      if (this.#done === undefined) await this.close()
    }
  }

  /** Stops an unfinished generation (a no-op once it is done). */
  async close(): Promise<void> {
    await this.#events.return?.(undefined)
  }

  #piece(channel: TokenChannel, text: string, logprobs: TokenLogprob[] | undefined, raw = text): GenerationPiece {
    const marker = channel === this.#channel ? '' : channel === 'reasoning' ? '<think>' : '</think>'
    this.#channel = channel
    const piece: GenerationPiece = {channel, raw: marker + raw, text}
    if (logprobs) piece.logprobs = logprobs
    return piece
  }
}

/**
 * A generation's text as it accumulates. `keepReasoning: false` is for a model without reasoning: whatever it
 * marks as reasoning stays part of the content, and `reasoning` stays null.
 */
export class GenerationText {
  content = ''
  /** Logprob entries of every token, in order. */
  readonly logprobs: TokenLogprob[] = []
  /** Logprob entries of the tokens that went to `content`. */
  readonly contentLogprobs: TokenLogprob[] = []
  raw = ''
  reasoning: null | string
  /** The calls, in order. */
  readonly toolCalls: ToolCall[] = []

  constructor(keepReasoning = true) {
    this.reasoning = keepReasoning ? '' : null
  }

  add(piece: GenerationPiece): void {
    this.raw += piece.raw
    if (piece.toolCall) this.toolCalls.push(piece.toolCall.call)
    const toReasoning = piece.channel === 'reasoning' && this.reasoning !== null
    if (toReasoning) this.reasoning += piece.text
    else this.content += piece.text
    if (piece.logprobs) {
      this.logprobs.push(...piece.logprobs)
      if (!toReasoning) this.contentLogprobs.push(...piece.logprobs)
    }
  }
}

/**
 * A finished generation's reason as OpenAI names it: a turn the model ended after calling tools is `tool_calls`;
 * one cut by the budget stays `length`.
 */
export function answerFinishReason(reason: 'length' | 'stop', toolCalls: number): AnswerFinishReason {
  return reason === 'stop' && toolCalls > 0 ? 'tool_calls' : reason
}

export interface CollectedGeneration {
  content: string
  done: DoneEvent
  /** All text in order with the markers put back (see GenerationPiece.raw). */
  raw: string
  reasoning: string
  start: StartEvent
  toolCalls: ToolCall[]
}

/** Drains a `generate` stream into its text, for callers that do not stream. */
export async function collectGeneration(stream: AsyncIterable<GenerateEvent>): Promise<CollectedGeneration> {
  const reader = await GenerationReader.open(stream)
  const text = new GenerationText()
  for await (const piece of reader) text.add(piece)
  return {
    content: text.content,
    done: reader.done,
    raw: text.raw,
    reasoning: text.reasoning ?? '',
    start: reader.start,
    toolCalls: text.toolCalls,
  }
}
