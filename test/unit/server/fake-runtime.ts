import {setTimeout as delay} from 'node:timers/promises'

import type {
  EmbeddingsEvent,
  EmbedParams,
  GenerateEvent,
  GenerateParams,
  LoadedEvent,
  PromptCacheSettings,
} from '../../../src/sdk/runtime/index.js'
import type {RuntimePort} from '../../../plugins/server/lib/serve/runtime-port.js'

export interface FakeRuntimeOptions {
  /** Thrown by generate before `start` (e.g. an MlxkError context_length_exceeded). */
  failBeforeStart?: Error
  /** Thrown after this many tokens. */
  failAfterTokens?: {count: number; error: Error}
  loadDelayMs?: number
  /** The `prompt_cache` of `loaded`. */
  promptCache?: PromptCacheSettings
  reasoning?: string
  reply?: string
  tokenDelayMs?: number
}

/** What an embedding model loaded through the fake says of itself: 4 dimensions, no Matryoshka. */
const FAKE_EMBEDDING = {
  dimensions: 4,
  family: 'encoder',
  matryoshka: false,
  max_length: 64,
  normalize: false,
  pooling: 'mean',
} as const

/** A scripted runtime: answers every prompt with `reply`, one character per token, honouring cancellation. */
export class FakeRuntime implements RuntimePort {
  readonly generated: GenerateParams[] = []
  readonly loads: string[] = []
  readonly unloads: string[] = []
  options: FakeRuntimeOptions
  readonly pid = 4242
  readonly restarts = 0

  constructor(options: FakeRuntimeOptions = {}) {
    this.options = options
  }

  async close(): Promise<void> {}

  /** Vectors of 4 float32 values: the input's index, then its length in characters, then 0, 0. */
  async embed(params: EmbedParams): Promise<EmbeddingsEvent> {
    const values = new Float32Array(params.input.flatMap((text, i) => [i, text.length, 0, 0]))
    return {
      count: params.input.length,
      data: Buffer.from(values.buffer).toString('base64'),
      dimensions: 4,
      event: 'embeddings',
      id: 'x',
      model_id: params.model_id,
      timing: {total_s: 0},
      token_counts: params.input.map((text) => text.length),
      truncated: [],
      usage: {prompt_tokens: params.input.reduce((sum, text) => sum + text.length, 0)},
    }
  }

  async *generate(params: GenerateParams, options: {signal?: AbortSignal}): AsyncGenerator<GenerateEvent> {
    this.generated.push(params)
    const o = this.options
    if (o.failBeforeStart) throw o.failBeforeStart
    const id = String(this.generated.length)
    const reasoning = [...(o.reasoning ?? '')]
    const chars = [...(o.reply ?? 'Hello!')]
    const budget = params.max_tokens ?? 1000
    yield {
      clamped: false,
      context_length: 64,
      event: 'start',
      id,
      max_tokens: budget,
      prompt_tokens: 5,
      reasoning: reasoning.length > 0,
      requested_max_tokens: params.max_tokens ?? null,
    }
    const tokens = [
      ...reasoning.map((text) => ({channel: 'reasoning' as const, text})),
      ...chars.map((text) => ({channel: 'content' as const, text})),
    ]
    let sent = 0
    for (const token of tokens) {
      if (options.signal?.aborted) return yield this.#done(id, 'cancelled', sent)
      if (sent === budget) return yield this.#done(id, 'length', sent)
      if (o.failAfterTokens && sent === o.failAfterTokens.count) throw o.failAfterTokens.error
      await delay(o.tokenDelayMs ?? 0)
      sent += 1
      yield {channel: token.channel, event: 'token', id, text: token.text}
    }

    yield this.#done(id, 'stop', sent + 1)
  }

  kill(): void {}

  async load(params: {kind?: string; modelId: string; modelPath: string}): Promise<LoadedEvent> {
    this.loads.push(params.modelId)
    await delay(this.options.loadDelayMs ?? 0)
    return {
      already_loaded: false,
      context_length: 64,
      eos_token_ids: [0],
      event: 'loaded',
      id: 'x',
      is_reasoning: (this.options.reasoning ?? '') !== '',
      load_time_s: 0,
      memory_bytes: 1,
      model_id: params.modelId,
      model_path: params.modelPath,
      model_type: 'qwen2',
      ...(params.kind === 'embedding' ? {embedding: FAKE_EMBEDDING, kind: 'embedding' as const} : {}),
      ...(this.options.promptCache ? {prompt_cache: this.options.promptCache} : {}),
    }
  }

  async unload(modelId: string): Promise<unknown> {
    this.unloads.push(modelId)
    return {}
  }

  #done(id: string, finish: 'cancelled' | 'length' | 'stop', completion: number): GenerateEvent {
    return {
      event: 'done',
      finish_reason: finish,
      id,
      stop: null,
      timing: {tokens_per_s: 100, total_s: 0.1, ttft_s: 0.01},
      usage: {cached_tokens: 0, completion_tokens: completion, prompt_tokens: 5},
    }
  }
}
