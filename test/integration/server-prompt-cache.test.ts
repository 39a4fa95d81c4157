import {expect} from 'chai'
import OpenAI from 'openai'

import {
  buildServerCache,
  getJson,
  postJson,
  readSse,
  type RunningServer,
  startServer,
  testModelId,
} from '../helpers/server.js'

type Message = {content: string; role: 'assistant' | 'system' | 'user'}
type Usage = {prompt_tokens: number; prompt_tokens_details: {cached_tokens: number}}
type HealthModel = {id: string; prompt_cache: null | {bytes: number; entries: number; max_bytes: number}}

const MODELS = [testModelId('tiny-qwen2-bpe'), testModelId('tiny-qwen2-think'), testModelId('tiny-llama-spm')]
const QUESTIONS = ['What is the capital of France?', 'Say hello in Chinese.', 'Describe the café.']
const BOUND = 1024 * 1024

/**
 * The prompt cache through the real server: later turns report cached prompt tokens, and every greedy answer
 * equals the one a server without the cache gives, streamed, not streamed and batched.
 */
describe('mlxk server: prompt cache across requests', function () {
  this.timeout(180_000)
  let cached: RunningServer
  let uncached: RunningServer
  let withCache: OpenAI
  let withoutCache: OpenAI

  before(async () => {
    const hubCache = await buildServerCache()
    const args = ['--max-loaded', '3']
    ;[cached, uncached] = await Promise.all([
      startServer({args: [...args, '--prompt-cache-bytes', '1mb'], hubCache}),
      startServer({args: [...args, '--prompt-cache-bytes', '0'], hubCache}),
    ])
    const client = (server: RunningServer) =>
      new OpenAI({apiKey: 'not-needed', baseURL: `${server.url}/v1`, maxRetries: 0})
    withCache = client(cached)
    withoutCache = client(uncached)
  })

  after(async () => {
    expect(await Promise.all([cached?.stop(), uncached?.stop()])).to.deep.equal([0, 0])
  })

  async function ask(client: OpenAI, model: string, messages: Message[]) {
    const completion = await client.chat.completions.create({max_tokens: 16, messages, model, temperature: 0})
    return {text: completion.choices[0]!.message.content ?? '', usage: completion.usage as unknown as Usage}
  }

  async function askStreamed(server: RunningServer, model: string, messages: Message[]) {
    const response = await postJson(`${server.url}/v1/chat/completions`, {
      max_tokens: 16,
      messages,
      model,
      stream: true,
      stream_options: {include_usage: true},
      temperature: 0,
    })
    const chunks = (await readSse(response))
      .slice(0, -1)
      .map((data) => JSON.parse(data) as {choices: {delta: {content?: string}}[]; usage?: null | Usage})
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')
    return {text, usage: chunks.at(-1)!.usage!}
  }

  const secondTurn = (question: string, answer: string, next: string): Message[] => [
    {content: question, role: 'user'},
    {content: answer, role: 'assistant'},
    {content: next, role: 'user'},
  ]

  for (const model of MODELS) {
    it(`reuses the first turn on the second, with the same answers (${model}, streamed and not)`, async () => {
      const first = [{content: QUESTIONS[0]!, role: 'user'}] satisfies Message[]
      const turn1 = await ask(withCache, model, first)
      expect(turn1.usage.prompt_tokens_details.cached_tokens).to.equal(0)
      expect(turn1.text).to.equal((await ask(withoutCache, model, first)).text)
      const messages = secondTurn(QUESTIONS[0]!, turn1.text, QUESTIONS[1]!)
      const turn2 = await ask(withCache, model, messages)
      const reference = await ask(withoutCache, model, messages)
      expect(turn2.text).to.equal(reference.text)
      expect(reference.usage.prompt_tokens_details.cached_tokens).to.equal(0)
      expect(turn2.usage.prompt_tokens_details.cached_tokens)
        .to.be.greaterThan(0)
        .and.lessThan(turn2.usage.prompt_tokens)
      // The same request again, streamed: everything but its last prompt token comes from the cache.
      const streamed = await askStreamed(cached, model, messages)
      expect(streamed.text).to.equal(reference.text)
      expect(streamed.usage.prompt_tokens_details.cached_tokens).to.equal(streamed.usage.prompt_tokens - 1)
    })
  }

  it('starts concurrent (batched) second turns from their own prefixes, with the same answers', async () => {
    const model = MODELS[0]!
    const firsts = await Promise.all(QUESTIONS.map((q) => ask(withCache, model, [{content: q, role: 'user'}])))
    const seconds = QUESTIONS.map((q, i) => secondTurn(q, firsts[i]!.text, QUESTIONS[(i + 2) % 3]! + ' Briefly.'))
    const [batched, references] = await Promise.all([
      Promise.all(seconds.map((m) => ask(withCache, model, m))),
      Promise.all(seconds.map((m) => ask(withoutCache, model, m))),
    ])
    for (const [i, answer] of batched.entries()) {
      expect(answer.text).to.equal(references[i]!.text)
      expect(answer.usage.prompt_tokens_details.cached_tokens).to.be.greaterThan(0)
    }
  })

  it('reports cached tokens on /v1/completions too', async () => {
    const body = {max_tokens: 4, model: MODELS[2], prompt: 'The capital of France is', temperature: 0}
    await postJson(`${cached.url}/v1/completions`, body)
    const again = (await (await postJson(`${cached.url}/v1/completions`, body)).json()) as {usage: Usage}
    expect(again.usage.prompt_tokens_details.cached_tokens).to.equal(again.usage.prompt_tokens - 1)
  })

  it('keeps each model within the bound and shows it in /health and /metrics', async () => {
    // More distinct conversations than 1 MB holds (an entry of these models is about 200 KB).
    for (let i = 0; i < 8; i++) {
      await ask(withCache, MODELS[0]!, [{content: `Conversation ${i}: ${QUESTIONS[i % 3]}`, role: 'user'}])
    }

    const health = await getJson<{models: HealthModel[]}>(`${cached.url}/health`)
    const bpe = health.body.models.find((m) => m.id === MODELS[0])!
    expect(bpe.prompt_cache!.max_bytes).to.equal(BOUND)
    expect(bpe.prompt_cache!.bytes).to.be.greaterThan(0).and.at.most(BOUND)
    expect(bpe.prompt_cache!.entries).to.be.greaterThan(0)
    const off = await getJson<{models: HealthModel[]}>(`${uncached.url}/health`)
    expect(off.body.models.map((m) => m.prompt_cache!.max_bytes)).to.deep.equal(MODELS.map(() => 0))

    const metrics = await (await fetch(`${cached.url}/metrics`)).text()
    const value = (name: string) =>
      Number(new RegExp(`^${name}\\{model="${MODELS[0]}"\\} (\\S+)$`, 'm').exec(metrics)?.[1])
    expect(value('mlxk_prompt_cache_hits_total')).to.be.greaterThan(0)
    expect(value('mlxk_prompt_cache_misses_total')).to.be.greaterThan(0)
    expect(value('mlxk_prompt_cache_tokens_total')).to.be.greaterThan(0)
    expect(value('mlxk_prompt_cache_bytes')).to.equal(bpe.prompt_cache!.bytes)
    expect(value('mlxk_prompt_cache_evictions_total')).to.be.greaterThan(0)
  })
})
