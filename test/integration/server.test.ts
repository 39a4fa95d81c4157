import {expect} from 'chai'
import {mkdirSync, symlinkSync} from 'node:fs'
import {join} from 'node:path'
import OpenAI from 'openai'

import {tempCacheRoot} from '../helpers/fixture-cache.js'
import {testModelExpectation, testModelPath} from '../helpers/runtime.js'
import {
  buildServerCache,
  getJson,
  postJson,
  readSse,
  type RunningServer,
  startServer,
  testModelId,
} from '../helpers/server.js'

/**
 * One real server (built CLI, real runtime, tiny test models) shared by the API behaviour tests: the official
 * `openai` SDK as client for the happy paths, raw HTTP for the error cases.
 */
describe('mlxk server: OpenAI API over the real runtime', function () {
  this.timeout(120_000)
  let server: RunningServer
  let client: OpenAI
  const BPE = testModelId('tiny-qwen2-bpe')
  const THINK = testModelId('tiny-qwen2-think')
  const SPM = testModelId('tiny-llama-spm')
  const bpe = testModelExpectation('tiny-qwen2-bpe')
  const think = testModelExpectation('tiny-qwen2-think')
  const spm = testModelExpectation('tiny-llama-spm')
  type ErrorBody = {error: {code: null | string; message: string; param: null | string; type: string}}

  // A workspace given with --workspace (id: the path as given) and one found under MLXK_WORKSPACE_HOME.
  const WORKSPACE = testModelPath('tiny-qwen2-bpe-4bit')
  const workspaceHome = join(tempCacheRoot(), 'workspaces')
  const HOME_WORKSPACE = join(workspaceHome, 'spm-copy')

  before(async () => {
    const hubCache = await buildServerCache()
    mkdirSync(workspaceHome, {recursive: true})
    symlinkSync(testModelPath('tiny-llama-spm'), HOME_WORKSPACE)
    server = await startServer({
      args: ['--max-loaded', '3', '--max-body', '64kb', '--workspace', WORKSPACE],
      env: {MLXK_WORKSPACE_HOME: workspaceHome},
      hubCache,
    })
    client = new OpenAI({apiKey: 'not-needed', baseURL: `${server.url}/v1`, maxRetries: 0})
  })

  after(async () => {
    const code = await server?.stop()
    expect(code).to.equal(0)
  })

  const chat = (body: Record<string, unknown>, headers?: Record<string, string>) =>
    postJson(`${server.url}/v1/chat/completions`, {model: BPE, temperature: 0, ...body}, headers)

  async function expectError(
    response: Response,
    status: number,
    code: null | string,
    param?: null | string,
  ): Promise<ErrorBody> {
    const body = (await response.json()) as ErrorBody
    expect(response.status, JSON.stringify(body)).to.equal(status)
    expect(Object.keys(body.error).sort()).to.deep.equal(['code', 'message', 'param', 'type'])
    expect(body.error.code).to.equal(code)
    if (param !== undefined) expect(body.error.param).to.equal(param)
    expect(response.headers.get('x-request-id')).to.be.a('string').and.have.length.above(0)
    return body
  }

  describe('models', () => {
    it('lists the healthy runnable cache models and workspaces with context_length', async () => {
      const page = await client.models.list()
      const ids = page.data.map((m) => m.id).sort()
      expect(ids).to.deep.equal([SPM, BPE, THINK, WORKSPACE, HOME_WORKSPACE].sort())
      for (const model of page.data) {
        expect(model.object).to.equal('model')
        expect((model as unknown as {context_length: number}).context_length).to.equal(256)
      }
    })

    it('retrieves one model by id, slash encoded or not, and 404s an unknown one', async () => {
      expect((await client.models.retrieve(BPE)).id).to.equal(BPE)
      const raw = await getJson<{id: string}>(`${server.url}/v1/models/${BPE}`)
      expect(raw.body.id).to.equal(BPE)
      await expectError(await fetch(`${server.url}/v1/models/nobody/nothing`), 404, 'model_not_found', 'model')
    })

    it('serves workspace models by their path id', async () => {
      const c = bpe.cases[0]!
      for (const model of [WORKSPACE, HOME_WORKSPACE]) {
        const completion = await client.chat.completions.create({messages: c.messages as never, model, temperature: 0})
        expect(completion.choices[0]!.message.content).to.equal(c.text)
        expect(completion.model).to.equal(model)
      }
    })
  })

  describe('chat completions', () => {
    it('answers every expected greedy case of the BPE model (SDK, not streamed), with usage', async () => {
      for (const c of bpe.cases) {
        const completion = await client.chat.completions.create({
          messages: c.messages as never,
          model: BPE,
          temperature: 0,
        })
        expect(completion.object).to.equal('chat.completion')
        expect(completion.model).to.equal(BPE)
        expect(completion.choices[0]!.message.content).to.equal(c.text)
        expect(completion.choices[0]!.finish_reason).to.equal('stop')
        const usage = completion.usage!
        expect(usage.prompt_tokens).to.be.greaterThan(0)
        expect(usage.completion_tokens).to.be.greaterThan(0)
        expect(usage.total_tokens).to.equal(usage.prompt_tokens + usage.completion_tokens)
      }
    })

    it('streams the same text as the batch answer, role first, usage chunk when asked (SDK)', async () => {
      const c = bpe.cases[2]!
      const stream = await client.chat.completions.create({
        messages: c.messages as never,
        model: BPE,
        stream: true,
        stream_options: {include_usage: true},
        temperature: 0,
      })
      const chunks = []
      for await (const chunk of stream) chunks.push(chunk)
      expect(chunks[0]!.choices[0]!.delta.role).to.equal('assistant')
      const text = chunks.map((ch) => ch.choices[0]?.delta.content ?? '').join('')
      expect(text).to.equal(c.text)
      for (const ch of chunks)
        for (const choice of ch.choices) expect(choice.delta.content ?? '').not.to.include('\uFFFD')
      const final = chunks.findLast((ch) => ch.choices.length > 0)!
      expect(final.choices[0]!.finish_reason).to.equal('stop')
      const usage = chunks.at(-1)!
      expect(usage.choices).to.deep.equal([])
      expect(usage.usage!.completion_tokens).to.be.greaterThan(0)
      expect(new Set(chunks.map((ch) => ch.id)).size).to.equal(1)
    })

    it('sends SSE lines ending in data: [DONE] with no usage chunk unless asked (raw HTTP)', async () => {
      const response = await chat({messages: bpe.cases[0]!.messages, stream: true})
      expect(response.status).to.equal(200)
      expect(response.headers.get('content-type')).to.match(/^text\/event-stream/)
      expect(response.headers.get('x-request-id')).to.be.a('string').and.have.length.above(0)
      const events = await readSse(response)
      expect(events.at(-1)).to.equal('[DONE]')
      const chunks = events.slice(0, -1).map((e) => JSON.parse(e) as {choices: unknown[]; usage?: unknown})
      expect(chunks.every((c) => c.choices.length === 1 && c.usage === undefined)).to.equal(true)
    })

    it('answers the SentencePiece model too', async () => {
      const c = spm.cases[1]!
      const completion = await client.chat.completions.create({
        messages: c.messages as never,
        model: SPM,
        temperature: 0,
      })
      expect(completion.choices[0]!.message.content).to.equal(c.text)
    })

    it('honours stop strings (streamed and not): text before the earliest stop, finish_reason stop', async () => {
      const stopCase = bpe.stop_case!
      const once = await client.chat.completions.create({
        messages: stopCase.messages as never,
        model: BPE,
        stop: stopCase.stop,
        temperature: 0,
      })
      expect(once.choices[0]!.message.content).to.equal(stopCase.text)
      expect(once.choices[0]!.finish_reason).to.equal('stop')
      const stream = await client.chat.completions.create({
        messages: stopCase.messages as never,
        model: BPE,
        stop: stopCase.stop,
        stream: true,
        temperature: 0,
      })
      let text = ''
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? ''
      expect(text).to.equal(stopCase.text)
    })

    it('reports finish_reason length when max_tokens (or max_completion_tokens) cuts the answer', async () => {
      const c = bpe.cases[0]!
      const cut = await client.chat.completions.create({
        max_tokens: 3,
        messages: c.messages as never,
        model: BPE,
        temperature: 0,
      })
      expect(cut.choices[0]!.finish_reason).to.equal('length')
      expect(cut.usage!.completion_tokens).to.equal(3)
      expect(c.text.startsWith(cut.choices[0]!.message.content!)).to.equal(true)
      const cut2 = await client.chat.completions.create({
        max_completion_tokens: 2,
        messages: c.messages as never,
        model: BPE,
        temperature: 0,
      })
      expect(cut2.usage!.completion_tokens).to.equal(2)
    })

    it('puts a reasoning model’s thinking in reasoning_content, streamed and not', async () => {
      for (const c of think.cases) {
        const once = await client.chat.completions.create({messages: c.messages as never, model: THINK, temperature: 0})
        const message = once.choices[0]!.message as {content: string; reasoning_content?: string}
        expect(message.reasoning_content).to.equal(c.reasoning)
        expect(message.content).to.equal(c.content)
      }

      const c = think.cases[0]!
      const stream = await client.chat.completions.create({
        messages: c.messages as never,
        model: THINK,
        stream: true,
        temperature: 0,
      })
      let reasoning = ''
      let content = ''
      for await (const chunk of stream) {
        const delta = chunk.choices[0]?.delta as undefined | {content?: string; reasoning_content?: string}
        reasoning += delta?.reasoning_content ?? ''
        content += delta?.content ?? ''
      }

      expect(reasoning).to.equal(c.reasoning)
      expect(content).to.equal(c.content)
    })

    it('accepts explicit defaults and text content parts', async () => {
      const c = bpe.cases[0]!
      const response = await chat({
        frequency_penalty: 0,
        logprobs: false,
        messages: [{content: [{text: c.messages[0]!.content, type: 'text'}], role: 'user'}],
        n: 1,
        presence_penalty: 0,
        response_format: {type: 'text'},
        tool_choice: 'none',
        tools: [],
        unknown_vendor_field: {ignored: true},
      })
      const body = (await response.json()) as {choices: {message: {content: string}}[]}
      expect(response.status, JSON.stringify(body)).to.equal(200)
      expect(body.choices[0]!.message.content).to.equal(c.text)
    })
  })

  describe('text completions', () => {
    it('streams the same text as the batch answer and reports length (SDK)', async () => {
      const prompt = '<|im_start|>user\nWhat is the capital of France?<|im_end|>\n<|im_start|>assistant\n'
      const once = await client.completions.create({max_tokens: 40, model: BPE, prompt, temperature: 0})
      expect(once.object).to.equal('text_completion')
      expect(once.choices[0]!.text).to.equal(bpe.cases[0]!.text)
      expect(once.choices[0]!.finish_reason).to.equal('stop')
      const stream = await client.completions.create({max_tokens: 40, model: BPE, prompt, stream: true, temperature: 0})
      let text = ''
      for await (const chunk of stream) text += chunk.choices[0]?.text ?? ''
      expect(text).to.equal(once.choices[0]!.text)
      const cut = await client.completions.create({max_tokens: 2, model: BPE, prompt: [prompt], temperature: 0})
      expect(cut.choices[0]!.finish_reason).to.equal('length')
      expect(cut.usage!.completion_tokens).to.equal(2)
    })

    it('echoes the prompt when asked', async () => {
      const response = await postJson(`${server.url}/v1/completions`, {
        echo: true,
        max_tokens: 2,
        model: BPE,
        prompt: 'Hi',
        temperature: 0,
      })
      const body = (await response.json()) as {choices: {text: string}[]}
      expect(body.choices[0]!.text.startsWith('Hi')).to.equal(true)
    })
  })

  describe('errors (raw HTTP, OpenAI error shape)', () => {
    it('400 for malformed JSON', async () => {
      const response = await postJson(`${server.url}/v1/chat/completions`, '{"model": "x", ')
      await expectError(response, 400, 'invalid_json')
    })

    it('400 naming the field for wrong types and values', async () => {
      await expectError(await chat({messages: 'hello'}), 400, 'invalid_type', 'messages')
      await expectError(
        await chat({messages: [{content: 'x', role: 'user'}], temperature: 'hot'}),
        400,
        'invalid_type',
        'temperature',
      )
      await expectError(
        await chat({messages: [{content: 'x', role: 'robot'}]}),
        400,
        'invalid_value',
        'messages[0].role',
      )
      await expectError(
        await postJson(`${server.url}/v1/chat/completions`, {messages: []}),
        400,
        'invalid_value',
        'model',
      )
      await expectError(
        await postJson(`${server.url}/v1/completions`, {model: BPE, prompt: 7}),
        400,
        'invalid_type',
        'prompt',
      )
    })

    it('400 for what would change the output and is not implemented', async () => {
      const messages = [{content: 'x', role: 'user'}]
      await expectError(await chat({messages, n: 2}), 400, 'unsupported_parameter', 'n')
      await expectError(
        await chat({messages, tools: [{function: {name: 'f'}, type: 'function'}]}),
        400,
        'tools_not_supported',
        'tools',
      )
      await expectError(
        await chat({messages, response_format: {type: 'json_schema_v2'}}),
        400,
        'unsupported_parameter',
        'response_format',
      )
      await expectError(
        await postJson(`${server.url}/v1/completions`, {echo: true, logprobs: 1, model: BPE, prompt: 'a'}),
        400,
        'unsupported_parameter',
        'logprobs',
      )
      await expectError(
        await chat({messages: [{content: [{image_url: {url: 'data:'}, type: 'image_url'}], role: 'user'}]}),
        400,
        'unsupported_parameter',
        'messages[0].content[0]',
      )
      await expectError(
        await postJson(`${server.url}/v1/completions`, {model: BPE, prompt: ['a', 'b']}),
        400,
        'unsupported_parameter',
        'prompt',
      )
    })

    it('404 for an unknown model and for an unknown route', async () => {
      await expectError(
        await chat({messages: [{content: 'x', role: 'user'}], model: 'nobody/nothing'}),
        404,
        'model_not_found',
        'model',
      )
      await expectError(
        await chat({messages: [{content: 'x', role: 'user'}], model: '/etc'}),
        404,
        'model_not_found',
        'model',
      )
      const body = await expectError(await fetch(`${server.url}/v1/rerank`, {method: 'POST'}), 404, 'not_found')
      expect(body.error.message).to.equal('Invalid URL (POST /v1/rerank)')
    })

    it('413 for a body over --max-body', async () => {
      const huge = {messages: [{content: 'x'.repeat(70 * 1024), role: 'user'}], model: BPE}
      await expectError(await postJson(`${server.url}/v1/chat/completions`, huge), 413, 'request_too_large')
    })

    it('400 when the prompt does not fit the context', async () => {
      const long = {messages: [{content: 'word '.repeat(400), role: 'user'}]}
      await expectError(await chat(long), 400, 'context_length_exceeded', 'messages')
    })

    it('400 (never 500) for values that only the runtime can judge, and the server keeps serving', async () => {
      const completion = (body: Record<string, unknown>) =>
        postJson(`${server.url}/v1/completions`, {max_tokens: 4, model: BPE, temperature: 0, ...body})
      // An empty prompt leaves mlx-lm nothing to continue from (it raised a ValueError → 500 before).
      for (const prompt of ['', ['']]) {
        const body = await expectError(await completion({prompt}), 400, 'invalid_value')
        expect(body.error.message).to.match(/prompt is empty/)
      }

      // Values mlx-lm's sampler and seed would refuse, but whose meaning is clear: any int64 seed, a top_k at or
      // above the vocabulary (= no top-k).
      const user = {max_tokens: 4, messages: [{content: 'hi', role: 'user'}]}
      const greedy = (await (await chat(user)).json()) as {choices: {message: {content: string}}[]}
      for (const extra of [{seed: -5}, {seed: 2 ** 63}, {top_k: 100_000_000}]) {
        const response = await chat({...user, ...extra})
        const body = (await response.json()) as {choices: {message: {content: string}}[]}
        expect(response.status, JSON.stringify(body)).to.equal(200)
        if ('top_k' in extra) expect(body.choices[0]!.message.content).to.equal(greedy.choices[0]!.message.content)
      }

      expect((await chat(user)).status).to.equal(200)
    })

    it('the SDK surfaces the errors as typed exceptions', async () => {
      let thrown: unknown
      try {
        await client.chat.completions.create({messages: [{content: 'x', role: 'user'}], model: 'nobody/nothing'})
      } catch (error) {
        thrown = error
      }

      expect(thrown).to.be.instanceOf(OpenAI.NotFoundError)
      expect((thrown as InstanceType<typeof OpenAI.NotFoundError>).code).to.equal('model_not_found')
    })
  })

  describe('plumbing', () => {
    it('keeps a sane caller X-Request-Id and makes one up otherwise', async () => {
      const mine = await fetch(`${server.url}/health`, {headers: {'X-Request-Id': 'trace-123'}})
      expect(mine.headers.get('x-request-id')).to.equal('trace-123')
      const bad = await fetch(`${server.url}/health`, {headers: {'X-Request-Id': 'no spaces allowed'}})
      expect(bad.headers.get('x-request-id')).to.match(/^[0-9a-f-]{36}$/)
    })

    it('sends no CORS headers without --cors-origin', async () => {
      const response = await fetch(`${server.url}/v1/models`, {headers: {Origin: 'https://evil.example'}})
      expect(response.headers.get('access-control-allow-origin')).to.equal(null)
    })

    it('GET /health reports status, version, loaded models and the runtime pid', async () => {
      const {body} = await getJson<{models: {id: string}[]; runtime: {pid: number}; status: string; version: string}>(
        `${server.url}/health`,
      )
      expect(body.status).to.equal('healthy')
      expect(body.version).to.match(/^\d+\.\d+\.\d+/)
      expect(body.models.map((m) => m.id)).to.include(BPE)
      expect(body.runtime.pid).to.be.a('number')
    })

    it('GET /metrics exposes requests, errors, queue depth, tokens, TTFT and tokens/s in Prometheus text', async () => {
      const response = await fetch(`${server.url}/metrics`)
      expect(response.headers.get('content-type')).to.match(/^text\/plain; version=0\.0\.4/)
      const text = await response.text()
      expect(text).to.match(
        /^mlxk_http_requests_total\{method="POST",route="\/v1\/chat\/completions",status="200"\} \d+$/m,
      )
      expect(text).to.match(/^mlxk_http_errors_total\{code="model_not_found"\} \d+$/m)
      expect(text).to.match(/^mlxk_queue_depth\{model="mlxk-test\/tiny-qwen2-bpe"\} 0$/m)
      expect(text).to.match(/^mlxk_completion_tokens_total\{model="mlxk-test\/tiny-qwen2-bpe"\} [1-9]\d*$/m)
      expect(text).to.match(
        /^mlxk_time_to_first_token_seconds_bucket\{model="mlxk-test\/tiny-qwen2-bpe",le="\+Inf"\} [1-9]/m,
      )
      expect(text).to.match(/^mlxk_generation_tokens_per_second_count\{model="mlxk-test\/tiny-qwen2-bpe"\} [1-9]/m)
      expect(text).to.include('# TYPE mlxk_time_to_first_token_seconds histogram')
    })

    it('writes one access log line per request on stderr', () => {
      expect(server.stderr()).to.match(/^mlxk server: POST \/v1\/chat\/completions 200 \d+ms id=\S+$/m)
      expect(server.stderr()).to.match(
        /^mlxk server: POST \/v1\/chat\/completions 413 \d+ms id=\S+ error=request_too_large$/m,
      )
    })
  })
})
