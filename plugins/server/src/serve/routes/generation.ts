import {randomUUID} from 'node:crypto'

import {isMlxkError} from 'mlxk/sdk'
import type {DoneEvent, GenerateEvent, StartEvent, TokenChannel} from 'mlxk/sdk/runtime/index'

import {type ApiError, unavailable} from '../api-error.js'
import type {AppContext, AppDeps} from '../context.js'
import {toApiError} from '../error-mapping.js'
import {ClientGoneError, ShutdownAbortError} from '../in-flight.js'
import type {ServableModel} from '../models/catalog.js'
import {type Lease, OverloadedError} from '../models/manager.js'
import type {Collected, Flavor, Piece} from '../openai/flavors.js'
import {type OpenAiFinishReason, presentError, presentUsage, type ResponseMeta} from '../openai/presenters.js'
import type {SamplingFields} from '../openai/request.js'
import {SseStream} from '../sse.js'

/**
 * POST /v1/chat/completions and /v1/completions: validate, resolve the model, wait for a slot, generate, and
 * answer as one JSON object or as an SSE stream. Everything before the first token can still fail with a proper
 * HTTP status, because the stream's headers go out only once the runtime has started the generation.
 */
export async function handleGeneration<B extends SamplingFields>(
  ctx: AppContext,
  deps: AppDeps,
  flavor: Flavor<B>,
): Promise<void> {
  deps.validator.check(flavor.kind, ctx.state.body)
  const body = ctx.state.body as B
  flavor.reject(body)
  if (deps.inflight.draining) throw unavailable('The server is shutting down', 'server_shutting_down', 5)
  const model = await deps.catalog.resolve(body.model).catch((error: unknown) => {
    throw toApiError(error, {model: body.model})
  })

  const {controller, done} = deps.inflight.begin()
  // A client that leaves (mid-stream or while queued) cancels its generation and frees its slot at once.
  const onClose = () => {
    if (!ctx.res.writableFinished) controller.abort(new ClientGoneError())
  }

  ctx.res.once('close', onClose)
  try {
    await generate(ctx, deps, flavor, body, model, controller.signal)
  } finally {
    ctx.res.off('close', onClose)
    done()
  }
}

async function generate<B extends SamplingFields>(
  ctx: AppContext,
  deps: AppDeps,
  flavor: Flavor<B>,
  body: B,
  model: ServableModel,
  signal: AbortSignal,
): Promise<void> {
  const errorContext = {inputParam: flavor.inputParam, model: body.model}
  let lease: Lease | undefined
  let started: Started | undefined
  try {
    // One retry when the runtime lost the model (a restart whose reload failed): load it again, then go on.
    for (let attempt = 0; started === undefined; attempt++) {
      lease = await acquire(deps, model, signal)
      const params = flavor.params(body, lease.modelId, lease.info.context_length, deps.defaults)
      try {
        started = await start(deps.runtime.generate(params, {signal}))
      } catch (error) {
        if (attempt > 0 || !isMlxkError(error) || error.type !== 'model_not_loaded') throw error
        deps.manager.forget(lease.modelId)
        lease.release()
        lease = undefined
      }
    }

    const meta: ResponseMeta = {
      created: Math.floor(Date.now() / 1000),
      id: flavor.prefix + randomUUID().replaceAll('-', ''),
      includeUsage: body.stream === true && body.stream_options?.include_usage === true,
      model: lease!.modelId,
    }
    const reasoningModel = lease!.info.is_reasoning
    if (body.stream) await streamOut(ctx, deps, flavor, body, meta, started, signal)
    else await respondOnce(ctx, deps, flavor, body, meta, started, reasoningModel, signal)
  } catch (error) {
    if (signal.aborted) throw abortError(ctx, signal)
    throw toApiError(error, errorContext)
  } finally {
    // Normally a no-op (the generation ended); after an early exit it cancels the generation on the worker.
    await started?.events.return?.(undefined)
    lease?.release()
  }
}

async function acquire(deps: AppDeps, model: ServableModel, signal: AbortSignal): Promise<Lease> {
  try {
    return await deps.manager.acquire(model, signal)
  } catch (error) {
    if (error instanceof OverloadedError) throw unavailable(error.message, 'queue_full', error.retryAfterS)
    throw error
  }
}

interface Started {
  events: AsyncIterator<GenerateEvent>
  start: StartEvent
}

/** Waits for the runtime's `start`: errors before it (context too long, unknown model) are still HTTP errors. */
async function start(stream: AsyncIterable<GenerateEvent>): Promise<Started> {
  const events = stream[Symbol.asyncIterator]()
  const first = await events.next()
  if (first.done || first.value.event !== 'start') throw new Error('runtime protocol violation: no start event')
  return {events, start: first.value}
}

/** Walks the token events, putting back the `<think>` markers the runtime removed (for raw text). */
async function* pieces(started: Started): AsyncGenerator<Piece, DoneEvent, undefined> {
  let channel: TokenChannel = started.start.reasoning ? 'reasoning' : 'content'
  for (;;) {
    const next = await started.events.next()
    if (next.done) throw new Error('runtime protocol violation: the generation ended without done')
    const event = next.value
    if (event.event === 'done') return event
    if (event.event !== 'token') continue
    const marker = event.channel === channel ? '' : event.channel === 'reasoning' ? '<think>' : '</think>'
    channel = event.channel
    const piece: Piece = {channel: event.channel, raw: marker + event.text, text: event.text}
    if (event.logprobs) piece.logprobs = event.logprobs
    yield piece
  }
}

async function respondOnce<B extends SamplingFields>(
  ctx: AppContext,
  deps: AppDeps,
  flavor: Flavor<B>,
  body: B,
  meta: ResponseMeta,
  started: Started,
  reasoningModel: boolean,
  signal: AbortSignal,
): Promise<void> {
  const out: Collected = {content: '', logprobs: [], raw: '', reasoning: reasoningModel ? '' : null}
  const walk = pieces(started)
  let firstAt: number | undefined
  for (;;) {
    const next = await walk.next()
    if (next.done) {
      const done = next.value
      const finish = finishReason(done, signal)
      record(deps, ctx, meta.model, done, firstAt)
      ctx.body = flavor.complete(meta, body, out, finish, presentUsage(done.usage))
      return
    }

    firstAt ??= Date.now()
    const piece = next.value
    out.raw += piece.raw
    // Chat reports logprobs of the content only (OpenAI's shape has no place for reasoning tokens).
    const reasoning = piece.channel === 'reasoning' && out.reasoning !== null
    if (piece.logprobs && (flavor.kind === 'completion' || !reasoning)) out.logprobs.push(...piece.logprobs)
    if (reasoning) out.reasoning += piece.text
    else out.content += piece.text
  }
}

async function streamOut<B extends SamplingFields>(
  ctx: AppContext,
  deps: AppDeps,
  flavor: Flavor<B>,
  body: B,
  meta: ResponseMeta,
  started: Started,
  signal: AbortSignal,
): Promise<void> {
  // From here on Koa must not touch the response: it is a stream we own until `end()`.
  ctx.respond = false
  const sse = new SseStream(ctx.res)
  sse.begin()
  let firstAt: number | undefined
  try {
    for (const chunk of flavor.streamHead(meta, body)) await sse.send(chunk)
    const walk = pieces(started)
    let offset = 0
    for (;;) {
      const next = await walk.next()
      if (next.done) {
        const done = next.value
        const finish = finishReason(done, signal)
        record(deps, ctx, meta.model, done, firstAt)
        await sse.send(flavor.streamFinal(meta, finish))
        if (meta.includeUsage) await sse.send(flavor.usageChunk(meta, presentUsage(done.usage)))
        await sse.send('[DONE]')
        return
      }

      firstAt ??= Date.now()
      await sse.send(flavor.streamToken(meta, body, next.value, offset))
      offset += next.value.raw.length
    }
  } catch (error) {
    // Headers are out: the failure travels as one SSE error event, then the stream ends (no [DONE]).
    const apiError = signal.aborted ? abortError(ctx, signal) : toApiError(error, {inputParam: flavor.inputParam})
    ctx.state.errorCode = apiError.code ?? apiError.type
    deps.metrics.errors.inc({code: ctx.state.errorCode})
    await sse.send(presentError(apiError))
  } finally {
    sse.end()
  }
}

/** A generation the runtime reports as cancelled was cut short by us: say why, as an error. */
function finishReason(done: DoneEvent, signal: AbortSignal): OpenAiFinishReason {
  if (done.finish_reason === 'cancelled') {
    throw signal.aborted ? signal.reason : new Error('the runtime cancelled the generation')
  }

  return done.finish_reason
}

function abortError(ctx: AppContext, signal: AbortSignal): ApiError {
  if (signal.reason instanceof ShutdownAbortError) {
    return unavailable('The server is shutting down; the generation was stopped', 'server_shutting_down', 5)
  }

  // Nobody is listening any more; the access log still shows what happened.
  ctx.state.errorCode = 'client_closed'
  return unavailable('The client closed the connection', 'client_closed')
}

function record(deps: AppDeps, ctx: AppContext, model: string, done: DoneEvent, firstAt: number | undefined): void {
  const {metrics} = deps
  metrics.generations.inc({finish_reason: done.finish_reason, model})
  metrics.promptTokens.inc({model}, done.usage.prompt_tokens)
  metrics.completionTokens.inc({model}, done.usage.completion_tokens)
  if (firstAt !== undefined) metrics.ttft.observe({model}, (firstAt - ctx.state.startedAt) / 1000)
  if (done.timing.tokens_per_s > 0) metrics.tokensPerSecond.observe({model}, done.timing.tokens_per_s)
}
