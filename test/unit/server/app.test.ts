import {expect} from 'chai'
import {createServer, type Server as HttpServer} from 'node:http'
import type {AddressInfo} from 'node:net'

import {MlxkError} from '../../../src/sdk/errors.js'
import {readSse} from '../../helpers/server.js'
import {FakeRuntime} from './fake-runtime.js'
import {loadServer} from './load.js'

type Loaded = Awaited<ReturnType<typeof loadServer>>

/** The Koa pipeline over a scripted runtime: shapes, statuses and headers, without Python. */
describe('server: Koa app (fake runtime)', () => {
  let s: Loaded
  let http: HttpServer
  let url: string
  let runtime: FakeRuntime
  let log: {error?: string; path: string; status: number}[]
  const MODEL = {context_length: 64, created: 1, id: 'org/tiny', kind: 'cache' as const, path: '/models/tiny'}
  const EMBEDDER = {...MODEL, id: 'org/embed', modelType: 'embedding' as const, path: '/models/embed'}

  before(async () => {
    s = await loadServer()
  })

  beforeEach(async () => {
    runtime = new FakeRuntime()
    log = []
    const metrics = new s.metrics.ServerMetrics()
    const app = s.app.createApp({
      accessLog: (entry) => log.push(entry),
      catalog: {
        list: async () => [MODEL],
        resolve: async (spec: string) => {
          if (spec === MODEL.id) return MODEL
          if (spec === EMBEDDER.id) return EMBEDDER
          throw new MlxkError('model_not_found', `No model found matching '${spec}'`)
        },
      },
      config: {apiKey: 'k', corsOrigins: [], maxBodyBytes: 2048, version: '9.9.9'},
      defaults: {temperature: 0.7, topP: 0.9},
      inflight: new s.inflight.InFlight(),
      manager: new s.manager.ModelManager({keepAliveMs: -1, maxLoaded: 1, maxQueue: 4, metrics, parallel: 1, runtime}),
      metrics,
      runtime,
      validator: new s.schemas.RequestValidator(),
    })
    http = createServer(app.callback())
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
    url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`
  })

  afterEach(async () => {
    http.closeAllConnections()
    await new Promise((resolve) => http.close(resolve))
  })

  const post = (path: string, body: unknown, headers: Record<string, string> = {Authorization: 'Bearer k'}) =>
    fetch(url + path, {body: typeof body === 'string' ? body : JSON.stringify(body), headers, method: 'POST'})
  const chatBody = (extra: Record<string, unknown> = {}) => ({
    messages: [{content: 'hi', role: 'user'}],
    model: MODEL.id,
    ...extra,
  })

  it('answers a chat completion and maps sampling fields onto the runtime', async () => {
    const response = await post(
      '/v1/chat/completions',
      chatBody({max_completion_tokens: 9, seed: 3, stop: 'x', top_p: 0}),
    )
    const body = (await response.json()) as {
      choices: {finish_reason: string; message: {content: string}}[]
      usage: {total_tokens: number}
    }
    expect(response.status).to.equal(200)
    expect(body.choices[0]!.message.content).to.equal('Hello!')
    expect(body.usage.total_tokens).to.equal(12)
    const params = runtime.generated[0]!
    expect(params).to.include({max_tokens: 9, model_id: 'org/tiny', seed: 3, temperature: 0, top_p: 1})
    expect(params.stop).to.deep.equal(['x'])
  })

  it('defaults max_tokens to half the context and reports length when it runs out', async () => {
    runtime.options.reply = 'x'.repeat(40)
    const response = await post('/v1/completions', {model: MODEL.id, prompt: 'p'})
    const body = (await response.json()) as {choices: {finish_reason: string; text: string}[]}
    expect(runtime.generated[0]!.max_tokens).to.equal(32)
    expect(runtime.generated[0]!.temperature).to.equal(0.7)
    expect(body.choices[0]!.finish_reason).to.equal('length')
    expect(body.choices[0]!.text).to.have.length(32)
  })

  it('streams reasoning_content then content, and the think markers verbatim in text completions', async () => {
    runtime.options.reasoning = 'ab'
    runtime.options.reply = 'cd'
    const events = await readSse(await post('/v1/chat/completions', chatBody({stream: true})))
    const deltas = events
      .slice(0, -1)
      .map((e) => (JSON.parse(e) as {choices: {delta: Record<string, string>}[]}).choices[0]!.delta)
    expect(deltas[0]).to.deep.equal({content: '', role: 'assistant'})
    expect(deltas.slice(1, -1)).to.deep.equal([
      {reasoning_content: 'a'},
      {reasoning_content: 'b'},
      {content: 'c'},
      {content: 'd'},
    ])
    const text = await post('/v1/completions', {model: MODEL.id, prompt: 'p'})
    expect(((await text.json()) as {choices: {text: string}[]}).choices[0]!.text).to.equal('ab</think>cd')
  })

  it('maps runtime errors before the first token to HTTP statuses', async () => {
    runtime.options.failBeforeStart = new MlxkError('context_length_exceeded', 'too long', {
      details: {context_length: 64, prompt_tokens: 99},
    })
    const tooLong = await post('/v1/completions', {model: MODEL.id, prompt: 'p'})
    expect(tooLong.status).to.equal(400)
    const body = (await tooLong.json()) as {error: {code: string; message: string; param: string}}
    expect(body.error).to.include({code: 'context_length_exceeded', param: 'prompt'})
    expect(body.error.message).to.include('64')
    runtime.options.failBeforeStart = new MlxkError('worker_exited', 'dead\nstderr tail')
    const dead = await post('/v1/chat/completions', chatBody())
    expect(dead.status).to.equal(503)
    expect(dead.headers.get('retry-after')).to.equal('1')
    expect(((await dead.json()) as {error: {message: string}}).error.message).to.not.include('stderr tail')
  })

  it('ends a stream that fails mid-way with one SSE error event and no [DONE]', async () => {
    runtime.options.failAfterTokens = {count: 2, error: new MlxkError('generation_failed', 'boom')}
    const events = await readSse(await post('/v1/chat/completions', chatBody({stream: true})))
    expect(events).to.not.include('[DONE]')
    expect(JSON.parse(events.at(-1)!)).to.deep.equal({
      error: {code: 'generation_failed', message: 'boom', param: null, type: 'server_error'},
    })
    expect(log.at(-1)).to.include({error: 'generation_failed', status: 200})
  })

  it('embeds one request as one runtime batch, float or base64, and refuses each kind of model for the other', async () => {
    const response = await post('/v1/embeddings', {encoding_format: 'base64', input: ['a', 'bcd'], model: EMBEDDER.id})
    expect(response.status).to.equal(200)
    const body = (await response.json()) as {data: {embedding: string; index: number}[]; usage: {prompt_tokens: number}}
    const floats = body.data.map((d) =>
      Array.from(new Float32Array(new Uint8Array(Buffer.from(d.embedding, 'base64')).buffer)),
    )
    expect(floats).to.deep.equal([
      [0, 1, 0, 0],
      [1, 3, 0, 0],
    ])
    expect(body.usage).to.deep.equal({prompt_tokens: 4, total_tokens: 4})
    const asFloat = (await (await post('/v1/embeddings', {input: 'a', model: EMBEDDER.id})).json()) as {
      data: {embedding: number[]}[]
    }
    expect(asFloat.data[0]!.embedding).to.deep.equal([0, 1, 0, 0])
    const wrong = [
      await post('/v1/embeddings', {input: 'a', model: MODEL.id}),
      await post('/v1/chat/completions', chatBody({model: EMBEDDER.id})),
      await post('/v1/embeddings', {dimensions: 2, input: 'a', model: EMBEDDER.id}),
    ]
    expect(
      await Promise.all(wrong.map(async (r) => [r.status, ((await r.json()) as {error: {code: string}}).error.code])),
    ).to.deep.equal([
      [400, 'wrong_model_kind'],
      [400, 'wrong_model_kind'],
      [400, 'invalid_value'],
    ])
    expect(runtime.generated).to.have.length(0)
  })

  it('puts X-Request-Id and the OpenAI error shape on every error, auth before body', async () => {
    const cases: [Response, number, null | string][] = [
      [await fetch(`${url}/v1/models`), 401, 'invalid_api_key'],
      [await post('/v1/chat/completions', 'x'.repeat(4096), {}), 401, 'invalid_api_key'],
      [await post('/v1/chat/completions', 'x'.repeat(4096)), 413, 'request_too_large'],
      [await post('/v1/chat/completions', '{'), 400, 'invalid_json'],
      [await post('/v1/chat/completions', chatBody({model: 'nope'})), 404, 'model_not_found'],
      [await fetch(`${url}/nowhere`), 404, 'not_found'],
    ]
    for (const [response, status, code] of cases) {
      expect(response.status).to.equal(status)
      expect(response.headers.get('x-request-id')).to.match(/^[0-9a-f-]{36}$/)
      const body = (await response.json()) as {error: Record<string, unknown>}
      expect(Object.keys(body.error).sort()).to.deep.equal(['code', 'message', 'param', 'type'])
      expect(body.error.code).to.equal(code)
    }

    expect((await fetch(`${url}/health`)).status).to.equal(200)
  })
})
