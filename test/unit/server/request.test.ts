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
    expect(reject({tool_choice: {function: {name: 'f'}, type: 'function'}})).to.include({param: 'tool_choice'})
    expect(reject({messages: [{content: 'r', role: 'function'}]})).to.include({param: 'messages[0].role'})
    expect(reject({tools: [{type: 'web_search'}]})).to.include({param: 'tools[0].type'})
    expect(reject({top_logprobs: 2})).to.include({code: 'invalid_value', param: 'top_logprobs'})
    for (const ok of [
      {n: 1},
      {tools: []},
      {tool_choice: 'none', tools: []},
      {tool_choice: 'required', tools: [{function: {name: 'f'}, type: 'function'}]},
      {
        messages: [
          {content: null, role: 'assistant', tool_calls: []},
          {content: 'r', role: 'tool', tool_call_id: 'c'},
        ],
      },
      {logprobs: false},
      {logprobs: true, top_logprobs: 2},
      {response_format: {type: 'text'}},
      {presence_penalty: 0},
      {frequency_penalty: 1, presence_penalty: -1.5},
      {logit_bias: {}},
      {logit_bias: {1: 5}},
    ]) {
      s.request.rejectUnsupportedChat(chat(ok) as never)
    }

    const completion = (extra: Record<string, unknown>) =>
      errorOf(() => s.request.rejectUnsupportedCompletion({model: 'm', prompt: 'p', ...extra} as never))
    expect(completion({best_of: 2})).to.include({param: 'best_of'})
    expect(completion({suffix: 'end'})).to.include({param: 'suffix'})
    expect(completion({prompt: [1, 2, 3]})).to.include({param: 'prompt'})
    expect(completion({echo: true, logprobs: 1})).to.include({param: 'logprobs'})
    s.request.rejectUnsupportedCompletion({logprobs: 1, model: 'm', prompt: 'p'} as never)
  })

  it('passes penalties, logit_bias and logprobs to the runtime', () => {
    const defaults = {temperature: 0, topP: 1}
    const chat = s.request.chatParams(
      {
        frequency_penalty: 0.5,
        logit_bias: {'42': -100},
        logprobs: true,
        messages: [{content: 'x', role: 'user'}],
        model: 'm',
        presence_penalty: 0,
        top_logprobs: 3,
      } as never,
      'm',
      64,
      defaults,
    )
    expect(chat).to.include({frequency_penalty: 0.5, logprobs: true, top_logprobs: 3})
    expect(chat).to.not.have.property('presence_penalty')
    expect(chat.logit_bias).to.deep.equal({'42': -100})
    const plain = s.request.chatParams(
      {messages: [{content: 'x', role: 'user'}], model: 'm'} as never,
      'm',
      64,
      defaults,
    )
    expect(plain).to.not.have.any.keys('logprobs', 'top_logprobs', 'logit_bias', 'frequency_penalty')
    const completion = s.request.completionParams({logprobs: 2, model: 'm', prompt: 'p'} as never, 'm', 64, defaults)
    expect(completion).to.include({logprobs: true, top_logprobs: 2})
  })

  it('checks logit_bias keys and values in the schema', () => {
    const validator = new s.schemas.RequestValidator()
    const chat = (logitBias: unknown) => ({logit_bias: logitBias, messages: [{role: 'user'}], model: 'm'})
    validator.check('chat', chat({'7': 100, '8': -100}))
    expect(errorOf(() => validator.check('chat', chat({abc: 1})))).to.include({status: 400})
    expect(errorOf(() => validator.check('chat', chat({'7': 101})))).to.include({status: 400})
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
