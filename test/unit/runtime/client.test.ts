import {expect} from 'chai'
import {readFile} from 'node:fs/promises'

import {isMlxkError, MlxkError} from '../../../src/sdk/errors.js'
import {
  collectGeneration,
  type GenerateEvent,
  PROTOCOL_VERSION,
  RuntimeClient,
  runtimeInfoCachePath,
  type TokenEvent,
} from '../../../src/sdk/runtime/index.js'
import {runtimePython, testModelExpectation, testModelPath} from '../../helpers/runtime.js'

async function rejection(promise: Promise<unknown>): Promise<MlxkError> {
  try {
    await promise
  } catch (error) {
    if (isMlxkError(error)) return error
    throw error
  }

  throw new Error('expected a rejection')
}

async function events(stream: AsyncIterable<GenerateEvent>): Promise<GenerateEvent[]> {
  const all: GenerateEvent[] = []
  for await (const event of stream) all.push(event)
  return all
}

describe('runtime client (real worker)', function () {
  this.timeout(120_000)
  let client: RuntimeClient
  const bpe = testModelExpectation('tiny-qwen2-bpe')

  before(async () => {
    client = await RuntimeClient.start({python: runtimePython()})
    await client.load({modelId: 'bpe', modelPath: testModelPath('tiny-qwen2-bpe')})
  })

  after(async () => {
    await client?.close()
  })

  it('greets with protocol 1 and the worker pid', () => {
    expect(client.hello.protocol).to.equal(PROTOCOL_VERSION)
    expect(client.hello.pid).to.equal(client.pid)
    expect(client.alive).to.equal(true)
  })

  it('reports runtime facts and caches them for `mlxk list`', async () => {
    const info = await client.info()
    expect(info.protocol).to.equal(1)
    expect(info.device).to.be.oneOf(['cpu', 'gpu'])
    expect(info.supported_model_types).to.include.members(['llama', 'qwen2'])
    const cached = JSON.parse(await readFile(runtimeInfoCachePath(), 'utf8'))
    expect(cached).to.include({
      mlx_lm_version: info.mlx_lm_version,
      mlx_version: info.mlx_version,
      python: client.python,
    })
    expect(cached.device).to.equal(info.device)
    expect(cached.remapping).to.deep.equal({})
    expect(cached.supported_model_types).to.deep.equal(info.supported_model_types)
    expect(Date.parse(cached.written_at)).to.be.closeTo(Date.now(), 60_000)
  })

  it('answers ping', async () => {
    await client.ping()
  })

  it('loads a model once and reports it again as already loaded', async () => {
    const again = await client.load({modelId: 'bpe', modelPath: testModelPath('tiny-qwen2-bpe')})
    expect(again).to.include({
      already_loaded: true,
      context_length: bpe.context_length,
      is_reasoning: false,
      model_id: 'bpe',
      model_type: 'qwen2',
    })
    expect(again.eos_token_ids).to.deep.equal(bpe.eos_token_ids)
  })

  it('streams start, whole-character tokens and done; the tokens add up to the trained answer', async () => {
    for (const sample of bpe.cases) {
      const all = await events(client.generate({messages: sample.messages, model_id: 'bpe'}))
      expect(all[0]?.event).to.equal('start')
      expect(all.at(-1)?.event).to.equal('done')
      const tokens = all.filter((event): event is TokenEvent => event.event === 'token')
      expect(tokens.length).to.be.greaterThan(0)
      for (const token of tokens) {
        expect(token.text).to.not.equal('')
        expect(token.text).to.not.include('\uFFFD')
        expect(token.channel).to.equal('content')
      }

      expect(tokens.map((token) => token.text).join('')).to.equal(sample.text)
    }
  })

  it('collects the same text the stream carries, with usage counted in tokens', async () => {
    const sample = bpe.cases.find((c) => c.text.includes('🙂'))!
    const collected = await collectGeneration(client.generate({messages: sample.messages, model_id: 'bpe'}))
    expect(collected.content).to.equal(sample.text)
    expect(collected.raw).to.equal(sample.text)
    expect(collected.reasoning).to.equal('')
    expect(collected.done.finish_reason).to.equal('stop')
    expect(collected.done.stop).to.deep.include({type: 'eos'})
    expect(collected.done.usage.prompt_tokens).to.equal(collected.start.prompt_tokens).and.to.be.greaterThan(0)
    // The EOS token is counted (mlx-lm's counting), and several tokens make up the multi-byte answer.
    expect(collected.done.usage.completion_tokens).to.be.greaterThan(5)
    expect(collected.done.timing.ttft_s).to.be.greaterThan(0)
    expect(collected.start).to.include({context_length: 256, requested_max_tokens: null})
    expect(collected.start.max_tokens).to.equal(256 - collected.start.prompt_tokens)
  })

  it('stops at the token budget with finish_reason length', async () => {
    const collected = await collectGeneration(
      client.generate({max_tokens: 3, messages: bpe.cases[0]!.messages, model_id: 'bpe'}),
    )
    expect(collected.done.finish_reason).to.equal('length')
    expect(collected.done.usage.completion_tokens).to.equal(3)
    expect(collected.start).to.include({clamped: false, max_tokens: 3, requested_max_tokens: 3})
  })

  it('cuts at a user stop string split across tokens', async () => {
    const stopCase = bpe.stop_case!
    const collected = await collectGeneration(
      client.generate({messages: stopCase.messages, model_id: 'bpe', stop: stopCase.stop}),
    )
    expect(collected.content).to.equal(stopCase.text)
    expect(collected.done.finish_reason).to.equal('stop')
    expect(collected.done.stop).to.deep.equal({string: 'END-OF-LIST', type: 'string'})
  })

  it('throws context_length_exceeded with both numbers for a prompt longer than the context', async () => {
    const error = await rejection(events(client.generate({model_id: 'bpe', prompt: 'word '.repeat(2000)})))
    expect(error.type).to.equal('context_length_exceeded')
    expect(error.details.context_length).to.equal(256)
    expect(error.details.prompt_tokens).to.be.a('number').greaterThan(256)
    expect(error.hint).to.be.a('string')
  })

  it('throws model_not_loaded with the model id', async () => {
    const error = await rejection(events(client.generate({model_id: 'nope', prompt: 'hi'})))
    expect(error.type).to.equal('model_not_loaded')
    expect(error.details.model_id).to.equal('nope')
  })

  it('throws model_load_failed for a directory that is not a model', async () => {
    const error = await rejection(client.load({modelId: 'x', modelPath: '/nonexistent/model'}))
    expect(error.type).to.equal('model_load_failed')
    expect(error.details.model_path).to.equal('/nonexistent/model')
  })

  it('runs two generations at once, each with its own complete answer', async () => {
    const [first, second] = [bpe.cases[0]!, bpe.cases[1]!]
    const [a, b] = await Promise.all([
      collectGeneration(client.generate({messages: first.messages, model_id: 'bpe'})),
      collectGeneration(client.generate({messages: second.messages, model_id: 'bpe'})),
    ])
    expect(a.content).to.equal(first.text)
    expect(b.content).to.equal(second.text)
  })

  it('cancels on the worker when the consumer breaks out early, and keeps serving', async () => {
    let seen = 0
    for await (const event of client.generate({messages: bpe.cases[0]!.messages, model_id: 'bpe'})) {
      if (event.event === 'token') seen += 1
      if (seen === 1) break
    }

    expect(seen).to.equal(1)
    const next = await collectGeneration(client.generate({messages: bpe.cases[0]!.messages, model_id: 'bpe'}))
    expect(next.content).to.equal(bpe.cases[0]!.text)
  })

  it('reports a cancel of an unknown generation as not found', async () => {
    expect((await client.cancel('no-such-request')).found).to.equal(false)
  })

  it('streams a SentencePiece model and splits reasoning from content on a thinking model', async () => {
    await client.load({modelId: 'spm', modelPath: testModelPath('tiny-llama-spm')})
    for (const sample of testModelExpectation('tiny-llama-spm').cases) {
      const collected = await collectGeneration(client.generate({messages: sample.messages, model_id: 'spm'}))
      expect(collected.content).to.equal(sample.text)
    }

    const loaded = await client.load({modelId: 'think', modelPath: testModelPath('tiny-qwen2-think')})
    expect(loaded.is_reasoning).to.equal(true)
    for (const sample of testModelExpectation('tiny-qwen2-think').cases) {
      const collected = await collectGeneration(client.generate({messages: sample.messages, model_id: 'think'}))
      expect(collected.reasoning).to.equal(sample.reasoning)
      expect(collected.content).to.equal(sample.content)
      expect(collected.raw).to.equal(sample.text)
    }

    await client.unload('spm')
    await client.unload('think')
    const error = await rejection(client.unload('think'))
    expect(error.type).to.equal('model_not_loaded')
  })
})
