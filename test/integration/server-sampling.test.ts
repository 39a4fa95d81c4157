import {expect} from 'chai'
import OpenAI from 'openai'

import {testModelExpectation} from '../helpers/runtime.js'
import {buildServerCache, postJson, type RunningServer, startServer, testModelId} from '../helpers/server.js'

/**
 * Penalties, logit_bias and logprobs through the real server and runtime (decisions.md: implement what mlx-lm
 * supports rather than reject it), with the official `openai` SDK as client.
 */
describe('mlxk server: penalties, logit_bias and logprobs over the real runtime', function () {
  this.timeout(120_000)
  let server: RunningServer
  let client: OpenAI
  const BPE = testModelId('tiny-qwen2-bpe')
  const c = testModelExpectation('tiny-qwen2-bpe').cases[0]!
  const messages = c.messages as OpenAI.ChatCompletionMessageParam[]

  before(async () => {
    server = await startServer({hubCache: await buildServerCache(['tiny-qwen2-bpe'])})
    client = new OpenAI({apiKey: 'not-needed', baseURL: `${server.url}/v1`, maxRetries: 0})
  })

  after(async () => {
    expect(await server?.stop()).to.equal(0)
  })

  it('accepts presence and frequency penalties', async () => {
    const completion = await client.chat.completions.create({
      frequency_penalty: 0.5,
      messages,
      model: BPE,
      presence_penalty: 1.5,
      temperature: 0,
    })
    expect(completion.choices[0]!.message.content).to.be.a('string').and.have.length.above(0)
    expect(completion.choices[0]!.logprobs).to.equal(null)
  })

  it('returns chat logprobs in OpenAI shape (greedy tokens the most likely); logit_bias changes the answer', async () => {
    const completion = await client.chat.completions.create({
      logprobs: true,
      messages,
      model: BPE,
      temperature: 0,
      top_logprobs: 2,
    })
    const choice = completion.choices[0]!
    expect(choice.message.content).to.equal(c.text)
    const content = choice.logprobs!.content!
    expect(content.length).to.be.above(0)
    expect(content.map((t) => t.token).join('')).to.equal(c.text)
    for (const t of content) {
      expect(t.logprob).to.be.at.most(0)
      expect(t.bytes).to.deep.equal([...Buffer.from(t.token, 'utf8')])
      expect(t.top_logprobs).to.have.length(2)
      expect(t.top_logprobs[0]!.token).to.equal(t.token)
      expect(t.top_logprobs[0]!.logprob).to.be.closeTo(t.logprob, 1e-6)
      expect(t.top_logprobs[1]!.logprob).to.be.at.most(t.top_logprobs[0]!.logprob)
    }

    // A +100 bias forces one token of the vocabulary at every step.
    const biased = await client.chat.completions.create({
      logit_bias: {'100': 100},
      logprobs: true,
      max_tokens: 4,
      messages,
      model: BPE,
      temperature: 0,
    })
    const forced = biased.choices[0]!.logprobs!.content!
    expect(biased.choices[0]!.message.content).to.not.equal(c.text)
    expect(forced.length).to.be.above(0)
    expect(new Set(forced.map((t) => t.token)).size).to.equal(1)
    expect(forced[0]!.logprob).to.be.closeTo(0, 1e-3)
  })

  it('streams chat logprobs with each content chunk', async () => {
    const stream = await client.chat.completions.create({
      logprobs: true,
      messages,
      model: BPE,
      stream: true,
      temperature: 0,
      top_logprobs: 1,
    })
    let text = ''
    let tokens = ''
    for await (const chunk of stream) {
      const choice = chunk.choices[0]
      if (!choice) continue
      text += choice.delta.content ?? ''
      for (const t of choice.logprobs?.content ?? []) {
        tokens += t.token
        expect(t.top_logprobs).to.have.length(1)
      }
    }

    expect(text).to.equal(c.text)
    expect(tokens).to.equal(c.text)
  })

  it('returns legacy completions logprobs, streamed and not', async () => {
    const prompt = 'The capital of France is'
    const once = await client.completions.create({logprobs: 2, max_tokens: 6, model: BPE, prompt, temperature: 0})
    const lp = once.choices[0]!.logprobs!
    // Each token is decoded on its own; mlx-lm's streaming detokenizer drops the output's leading space.
    expect(lp.tokens!.join('').trimStart()).to.equal(once.choices[0]!.text.trimStart())
    expect(lp.token_logprobs).to.have.length(lp.tokens!.length)
    expect(lp.text_offset![0]).to.equal(0)
    for (const [i, top] of lp.top_logprobs!.entries()) {
      expect(Object.keys(top).length).to.be.within(1, 2)
      expect(Math.max(...Object.values(top))).to.be.closeTo(lp.token_logprobs![i]!, 1e-6)
    }

    const stream = await client.completions.create({
      logprobs: 0,
      max_tokens: 6,
      model: BPE,
      prompt,
      stream: true,
      temperature: 0,
    })
    const streamed: string[] = []
    for await (const chunk of stream) streamed.push(...(chunk.choices[0]?.logprobs?.tokens ?? []))
    expect(streamed).to.deep.equal(lp.tokens)
  })

  it('400 for a bad logit_bias or top_logprobs without logprobs', async () => {
    const chat = (body: Record<string, unknown>) =>
      postJson(`${server.url}/v1/chat/completions`, {messages, model: BPE, ...body})
    expect((await chat({logit_bias: {abc: 1}})).status).to.equal(400)
    expect((await chat({logit_bias: {'1': 500}})).status).to.equal(400)
    expect((await chat({logit_bias: {'999999999': 1}})).status).to.equal(400)
    expect((await chat({top_logprobs: 2})).status).to.equal(400)
  })
})
