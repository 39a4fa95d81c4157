import {expect} from 'chai'

import {loadServer} from './load.js'

type Loaded = Awaited<ReturnType<typeof loadServer>>

describe('server: request validation, options and metrics', () => {
  let s: Loaded

  before(async () => {
    s = await loadServer()
  })

  function errorOf(fn: () => void): {code: null | string; param: null | string; status: number} {
    try {
      fn()
    } catch (error) {
      return error as {code: null | string; param: null | string; status: number}
    }

    throw new Error('expected a throw')
  }

  it('names the offending field the way OpenAI does', () => {
    const validator = new s.schemas.RequestValidator()
    const check = (body: unknown) => errorOf(() => validator.check('chat', body))
    expect(check({messages: [{content: 5, role: 'user'}], model: 'm'})).to.include({
      code: 'invalid_type',
      param: 'messages[0].content',
      status: 400,
    })
    expect(check({messages: [{content: [{type: 'text'}], role: 'user'}], model: 'm'})).to.include({
      param: 'messages[0].content[0].text',
    })
    expect(check({messages: [], model: 'm'})).to.include({code: 'invalid_value', param: 'messages'})
    expect(check([])).to.include({code: 'invalid_type', param: null})
    expect(check({max_tokens: 0, messages: [{role: 'user'}], model: 'm'})).to.include({param: 'max_tokens'})
    expect(check({messages: [{role: 'user'}], model: 'm', stop: ['a', 1]})).to.include({param: 'stop[1]'})
    validator.check('chat', {
      messages: [{content: null, role: 'assistant'}, {role: 'user'}],
      model: 'm',
      n: null,
      stop: null,
    })
  })

  it('rejects only what would change the output', () => {
    const chat = (extra: Record<string, unknown>) => ({messages: [{content: 'x', role: 'user'}], model: 'm', ...extra})
    const reject = (extra: Record<string, unknown>) =>
      errorOf(() => s.request.rejectUnsupportedChat(chat(extra) as never))
    expect(reject({n: 2})).to.include({code: 'unsupported_parameter', param: 'n'})
    expect(reject({frequency_penalty: 1})).to.include({param: 'frequency_penalty'})
    expect(reject({logit_bias: {1: 5}})).to.include({param: 'logit_bias'})
    expect(reject({tool_choice: {function: {name: 'f'}, type: 'function'}})).to.include({param: 'tool_choice'})
    expect(reject({messages: [{content: 'r', role: 'tool'}]})).to.include({param: 'messages[0]'})
    expect(reject({top_logprobs: 2})).to.include({param: 'top_logprobs'})
    for (const ok of [
      {n: 1},
      {tools: []},
      {logprobs: false},
      {response_format: {type: 'text'}},
      {presence_penalty: 0},
      {logit_bias: {}},
    ]) {
      s.request.rejectUnsupportedChat(chat(ok) as never)
    }

    const completion = (extra: Record<string, unknown>) =>
      errorOf(() => s.request.rejectUnsupportedCompletion({model: 'm', prompt: 'p', ...extra} as never))
    expect(completion({best_of: 2})).to.include({param: 'best_of'})
    expect(completion({suffix: 'end'})).to.include({param: 'suffix'})
    expect(completion({prompt: [1, 2, 3]})).to.include({param: 'prompt'})
    expect(completion({logprobs: 1})).to.include({param: 'logprobs'})
  })

  it('maps developer to system and joins text parts', () => {
    const messages = s.request.chatMessages({
      messages: [
        {content: 'be brief', role: 'developer'},
        {
          content: [
            {text: 'a', type: 'text'},
            {text: 'b', type: 'text'},
          ],
          role: 'user',
        },
        {content: null, role: 'assistant'},
      ],
      model: 'm',
    } as never)
    expect(messages).to.deep.equal([
      {content: 'be brief', role: 'system'},
      {content: 'ab', role: 'user'},
      {content: '', role: 'assistant'},
    ])
  })

  it('parses durations and sizes', () => {
    const {parseBytes, parseDuration} = s.options
    expect([
      parseDuration('5m'),
      parseDuration('30s'),
      parseDuration('250ms'),
      parseDuration('2'),
      parseDuration('-1'),
      parseDuration('1h'),
    ]).to.deep.equal([300_000, 30_000, 250, 2000, -1, 3_600_000])
    expect(parseDuration('soon')).to.equal(undefined)
    expect([parseBytes('16mb'), parseBytes('512kb'), parseBytes('100')]).to.deep.equal([
      16 * 1024 ** 2,
      512 * 1024,
      100,
    ])
    expect(parseBytes('lots')).to.equal(undefined)
    expect(s.options.urlFor('::1', 80)).to.equal('http://[::1]:80')
    expect(s.options.isLoopback('127.0.0.1') && !s.options.isLoopback('0.0.0.0')).to.equal(true)
  })

  it('renders Prometheus histograms with cumulative buckets', () => {
    const metrics = new s.metrics.ServerMetrics()
    metrics.ttft.observe({model: 'a"b'}, 0.02)
    metrics.ttft.observe({model: 'a"b'}, 3)
    const text = metrics.render()
    expect(text).to.include('mlxk_time_to_first_token_seconds_bucket{model="a\\"b",le="0.025"} 1')
    expect(text).to.include('mlxk_time_to_first_token_seconds_bucket{model="a\\"b",le="5"} 2')
    expect(text).to.include('mlxk_time_to_first_token_seconds_bucket{model="a\\"b",le="+Inf"} 2')
    expect(text).to.include('mlxk_time_to_first_token_seconds_sum{model="a\\"b"} 3.02')
  })
})
