import {randomUUID} from 'node:crypto'

import {isMlxkError} from 'mlxk/sdk'
import {
  answerFinishReason,
  type DoneEvent,
  type GenerationPiece,
  GenerationReader,
  GenerationText,
} from 'mlxk/sdk/runtime'

import {type ApiError, unavailable} from '../api-error.js'
import type {AppDeps} from '../context.js'
import {toApiError} from '../error-mapping.js'
import {ShutdownAbortError} from '../in-flight.js'
import type {ValidatedContext} from '../middleware/validate.js'
import type {ServableModel} from '../models/catalog.js'
import {type Lease, OverloadedError} from '../models/manager.js'
import {CallStream} from '../openai/call-stream.js'
import type {Flavor} from '../openai/flavors.js'
import {type OpenAiFinishReason, presentError, presentUsage, type ResponseMeta} from '../openai/presenters.js'
import type {SamplingFields} from '../openai/request.js'
import {SseStream} from '../sse.js'
import {onModel} from './model-request.js'

/** Everything one request's answer is built from, once the runtime has started the generation. */
interface Generation<B extends SamplingFields> {
  ctx: ValidatedContext<B>
  deps: AppDeps
  flavor: Flavor<B>
  /** The lease's model: whether its reasoning is kept apart from the content. */
  keepReasoning: boolean
  meta: ResponseMeta
  reader: GenerationReader
  signal: AbortSignal
}

/**
 * POST /v1/chat/completions and /v1/completions (after validation): resolve the model, wait for a slot,
 * generate, and answer as one JSON object or as an SSE stream. Everything before the first token can still fail
 * with a proper HTTP status, because the stream's headers go out only once the runtime has started the generation.
 */
export function generationRoute<B extends SamplingFields>(
  deps: AppDeps,
  flavor: Flavor<B>,
): (ctx: ValidatedContext<B>) => Promise<void> {
  return async (ctx) => {
    await onModel(ctx, deps, ctx.state.input.model, 'generate', (model, signal) =>
      generate(ctx, deps, flavor, model, signal),
    )
  }
}

async function generate<B extends SamplingFields>(
  ctx: ValidatedContext<B>,
  deps: AppDeps,
  flavor: Flavor<B>,
  model: ServableModel,
  signal: AbortSignal,
): Promise<void> {
  const body = ctx.state.input
  let lease: Lease | undefined
  let reader: GenerationReader | undefined
  try {
    // One retry when the runtime lost the model (a restart whose reload failed): load it again, then go on.
    for (let attempt = 0; reader === undefined; attempt++) {
      lease = await acquire(deps, model, signal)
      const params = flavor.params(body, lease.modelId, lease.info.context_length, deps.defaults)
      try {
        reader = await GenerationReader.open(deps.runtime.generate(params, {signal}))
      } catch (error) {
        if (attempt > 0 || !isMlxkError(error) || error.type !== 'model_not_loaded') throw error
        deps.manager.forget(lease.modelId)
        lease.release()
        lease = undefined
      }
    }

    const generation: Generation<B> = {
      ctx,
      deps,
      flavor,
      keepReasoning: lease!.info.is_reasoning,
      meta: {
        created: Math.floor(Date.now() / 1000),
        id: flavor.prefix + randomUUID().replaceAll('-', ''),
        includeUsage: body.stream === true && body.stream_options?.include_usage === true,
        model: lease!.modelId,
      },
      reader,
      signal,
    }
    await (body.stream ? streamOut(generation) : respondOnce(generation))
  } catch (error) {
    if (signal.aborted) throw abortError(ctx, signal)
    throw toApiError(error, {inputParam: flavor.inputParam, model: body.model})
  } finally {
    // Normally a no-op (the generation ended); after an early exit it cancels the generation on the worker.
    await reader?.close()
    lease?.release()
  }
}

/** A slot on `model`, or 503 + Retry-After when its line is full; the embeddings route waits the same way. */
export async function acquire(deps: AppDeps, model: ServableModel, signal: AbortSignal): Promise<Lease> {
  try {
    return await deps.manager.acquire(model, signal)
  } catch (error) {
    if (error instanceof OverloadedError) throw unavailable(error.message, 'queue_full', error.retryAfterS)
    throw error
  }
}

async function respondOnce<B extends SamplingFields>(g: Generation<B>): Promise<void> {
  const text = new GenerationText(g.keepReasoning)
  let firstAt: number | undefined
  for await (const piece of g.reader) {
    firstAt ??= Date.now()
    text.add(piece)
  }

  const {done} = g.reader
  const finish = finishReason(done, g.signal, text.toolCalls.length)
  record(g, done, firstAt)
  g.ctx.body = g.flavor.complete(g.meta, g.ctx.state.input, text, finish, presentUsage(done.usage))
}

async function streamOut<B extends SamplingFields>(g: Generation<B>): Promise<void> {
  const {ctx, flavor, meta} = g
  const body = ctx.state.input
  // From here on Koa must not touch the response: it is a stream we own until `end()`.
  ctx.respond = false
  const sse = new SseStream(ctx.res)
  sse.begin()
  let firstAt: number | undefined
  try {
    for (const chunk of flavor.streamHead(meta, body)) await sse.send(chunk)
    let offset = 0
    const order = new CallStream(flavor.offersTools(body))
    const send = async (pieces: GenerationPiece[]) => {
      for (const piece of pieces) {
        for (const chunk of flavor.streamPiece(meta, body, piece, offset)) await sse.send(chunk)
        offset += piece.raw.length
      }
    }

    for await (const piece of g.reader) {
      firstAt ??= Date.now()
      await send(order.push(piece))
    }

    await send(order.end())
    const {done} = g.reader
    const finish = finishReason(done, g.signal, order.calls)
    record(g, done, firstAt)
    await sse.send(flavor.streamFinal(meta, finish))
    if (meta.includeUsage) await sse.send(flavor.usageChunk(meta, presentUsage(done.usage)))
    await sse.send('[DONE]')
  } catch (error) {
    // Headers are out: the failure travels as one SSE error event, then the stream ends (no [DONE]).
    const apiError = g.signal.aborted ? abortError(ctx, g.signal) : toApiError(error, {inputParam: flavor.inputParam})
    ctx.state.errorCode = apiError.code ?? apiError.type
    g.deps.metrics.errors.inc({code: ctx.state.errorCode})
    await sse.send(presentError(apiError))
  } finally {
    sse.end()
  }
}

/** OpenAI's reason. A generation the runtime reports as cancelled was cut short by us: say why, as an error. */
function finishReason(done: DoneEvent, signal: AbortSignal, calls: number): OpenAiFinishReason {
  if (done.finish_reason === 'cancelled') {
    throw signal.aborted ? signal.reason : new Error('the runtime cancelled the generation')
  }

  return answerFinishReason(done.finish_reason, calls)
}

function abortError(ctx: ValidatedContext<SamplingFields>, signal: AbortSignal): ApiError {
  if (signal.reason instanceof ShutdownAbortError) {
    return unavailable('The server is shutting down; the generation was stopped', 'server_shutting_down', 5)
  }

  // Nobody is listening any more; the access log still shows what happened.
  ctx.state.errorCode = 'client_closed'
  return unavailable('The client closed the connection', 'client_closed')
}

function record<B extends SamplingFields>(g: Generation<B>, done: DoneEvent, firstAt: number | undefined): void {
  const {metrics} = g.deps
  const {model} = g.meta
  metrics.generations.inc({finish_reason: done.finish_reason, model})
  metrics.promptTokens.inc({model}, done.usage.prompt_tokens)
  metrics.completionTokens.inc({model}, done.usage.completion_tokens)
  if (done.prompt_cache) {
    const cached = done.usage.cached_tokens
    if (cached > 0) metrics.promptCacheHits.inc({model})
    else metrics.promptCacheMisses.inc({model})
    metrics.promptCacheTokens.inc({model}, cached)
    metrics.promptCacheEvictions.inc({model}, done.prompt_cache.evicted)
    g.deps.manager.notePromptCache(model, done.prompt_cache)
  }
  if (firstAt !== undefined) metrics.ttft.observe({model}, (firstAt - g.ctx.state.startedAt) / 1000)
  if (done.timing.tokens_per_s > 0) metrics.tokensPerSecond.observe({model}, done.timing.tokens_per_s)
}
