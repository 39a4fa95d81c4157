import {readFileSync} from 'node:fs'
import {join} from 'node:path'

import {Ajv} from 'ajv'
import {expect} from 'chai'
import OpenAI from 'openai'
import type {
  ChatCompletion,
  ChatCompletionCreateParamsNonStreaming,
  ChatCompletionMessageParam,
  ChatCompletionMessageFunctionToolCall,
  ChatCompletionFunctionTool,
} from 'openai/resources/chat/completions'

import {packageRoot} from '../../src/sdk/runtime/index.js'
import {buildServerCache, postJson, type RunningServer, startServer, testModelId} from '../helpers/server.js'

interface ToolModelCase {
  messages: ChatCompletionMessageParam[]
  text: string
  tools?: ChatCompletionFunctionTool[]
}

const EXPECTED = JSON.parse(
  readFileSync(join(packageRoot(), 'test', 'fixtures', 'models', 'expected-tools.json'), 'utf8'),
) as Record<string, {cases: ToolModelCase[]; tool_parser: string}>
const TOOL_MODELS = Object.keys(EXPECTED).sort()
const TOOLS = EXPECTED['tiny-qwen2-tools']!.cases[0]!.tools!
const QWEN = testModelId('tiny-qwen2-tools')
const user = (content: string): ChatCompletionMessageParam => ({content, role: 'user'})
const WEATHER = [user('What is the weather in Paris?')]
const TWO_CITIES = [user('Weather in Paris and Tokyo?')]
const WHO = [user('Who are you?')]
const functionCalls = (completion: ChatCompletion) =>
  (completion.choices[0]!.message.tool_calls ?? []) as ChatCompletionMessageFunctionToolCall[]
const validArguments = new Map(TOOLS.map((t) => [t.function.name, new Ajv().compile(t.function.parameters!)]))

/** A streamed answer put back together: content, reasoning, and each call's deltas in order. */
interface StreamedAnswer {
  calls: {arguments: string; id: string; name: string; pieces: number}[]
  content: string
  finish: null | string
  reasoning: string
}

/**
 * Tool calling through `mlxk serve` with the official `openai` SDK: a whole agent loop (tools → tool_calls → the
 * caller runs the tool → a `role: "tool"` message → the final answer), streamed and not, on two tiny models
 * trained to call tools the way two real families do (json_tools and mistral), plus forced calls on a prompt the
 * models answer in prose, and every refusal.
 */
describe('mlxk server: tool calling', function () {
  this.timeout(180_000)
  let server: RunningServer
  let client: OpenAI

  before(async () => {
    server = await startServer({hubCache: await buildServerCache([...TOOL_MODELS, 'tiny-qwen2-bpe'])})
    client = new OpenAI({apiKey: 'not-needed', baseURL: `${server.url}/v1`, maxRetries: 0})
  })

  after(async () => {
    expect(await server?.stop()).to.equal(0)
  })

  const create = (body: Omit<ChatCompletionCreateParamsNonStreaming, 'model'> & {model?: string}) =>
    client.chat.completions.create({max_tokens: 80, model: QWEN, temperature: 0, tools: TOOLS, ...body})

  async function stream(body: Record<string, unknown>): Promise<StreamedAnswer> {
    const chunks = await client.chat.completions.create({
      max_tokens: 80,
      messages: WEATHER,
      model: QWEN,
      stream: true,
      temperature: 0,
      tools: TOOLS,
      ...body,
    } as unknown as OpenAI.Chat.ChatCompletionCreateParamsStreaming)
    const answer: StreamedAnswer = {calls: [], content: '', finish: null, reasoning: ''}
    for await (const chunk of chunks) {
      const choice = chunk.choices[0]
      if (!choice) continue
      const delta = choice.delta as typeof choice.delta & {reasoning_content?: string}
      answer.content += delta.content ?? ''
      answer.reasoning += delta.reasoning_content ?? ''
      for (const d of delta.tool_calls ?? []) {
        let call = answer.calls[d.index]
        if (call === undefined) {
          // A call's first delta names it.
          expect(d.id, 'id in the first delta').to.be.a('string')
          expect(d.function?.name, 'name in the first delta').to.be.a('string')
          expect(d.index, 'indices in order').to.equal(answer.calls.length)
          call = answer.calls[d.index] = {arguments: '', id: d.id!, name: d.function!.name!, pieces: 0}
        } else {
          expect(d.id, 'id only in the first delta').to.equal(undefined)
        }

        if (d.function?.arguments) {
          call.arguments += d.function.arguments
          call.pieces++
        }
      }

      answer.finish = choice.finish_reason ?? answer.finish
    }

    return answer
  }

  function expectValidCall(call: {arguments: string; name: string}, names: string[]): void {
    expect(names).to.include(call.name)
    const valid = validArguments.get(call.name)!
    expect(valid(JSON.parse(call.arguments)), call.arguments).to.equal(true)
  }

  it('/v1/models says which models take tools', async () => {
    const models = await client.models.list()
    const capabilities = new Map(
      models.data.map((m) => [m.id, (m as unknown as {capabilities: string[]}).capabilities]),
    )
    for (const name of TOOL_MODELS) expect(capabilities.get(testModelId(name))).to.include('tools')
    expect(capabilities.get(testModelId('tiny-qwen2-bpe'))).to.not.include('tools')
  })

  for (const name of TOOL_MODELS) {
    it(`${name}: a whole agent loop, not streamed (${EXPECTED[name]!.tool_parser})`, async () => {
      const model = testModelId(name)
      const messages: ChatCompletionMessageParam[] = [...WEATHER]
      const first = await create({messages, model})
      const choice = first.choices[0]!
      expect(choice.finish_reason).to.equal('tool_calls')
      expect(choice.message.content).to.equal(null)
      const calls = functionCalls(first)
      expect(calls).to.have.length(1)
      expect(calls[0]!.type).to.equal('function')
      expect(calls[0]!.id).to.match(/^call_/)
      expect(calls[0]!.function.name).to.equal('get_weather')
      expect(JSON.parse(calls[0]!.function.arguments)).to.deep.equal({city: 'Paris'})
      // The caller runs the tool and sends its result back, with the assistant turn as the SDK returned it.
      messages.push(choice.message, {content: 'sunny, 21 C', role: 'tool', tool_call_id: calls[0]!.id})
      const second = await create({messages, model})
      expect(second.choices[0]!.message.content).to.equal('It is sunny in Paris.')
      expect(second.choices[0]!.finish_reason).to.equal('stop')
      expect(second.choices[0]!.message.tool_calls ?? []).to.have.length(0)
    })

    it(`${name}: a whole agent loop, streamed, parallel calls with distinct indices`, async () => {
      const model = testModelId(name)
      const answer = await stream({messages: TWO_CITIES, model})
      expect(answer.finish).to.equal('tool_calls')
      expect(answer.content).to.equal('')
      expect(answer.calls.map((c) => [c.name, JSON.parse(c.arguments)])).to.deep.equal([
        ['get_weather', {city: 'Paris'}],
        ['get_weather', {city: 'Tokyo'}],
      ])
      expect(new Set(answer.calls.map((c) => c.id)).size).to.equal(2)
      expect(
        answer.calls.every((c) => c.pieces >= 2),
        'arguments in pieces',
      ).to.equal(true)
      const messages: ChatCompletionMessageParam[] = [
        ...WEATHER,
        {
          content: null,
          role: 'assistant',
          tool_calls: answer.calls.slice(0, 1).map((c) => ({
            function: {arguments: c.arguments, name: c.name},
            id: c.id,
            type: 'function' as const,
          })),
        },
        {content: 'sunny, 21 C', role: 'tool', tool_call_id: answer.calls[0]!.id},
      ]
      const final = await stream({messages, model})
      expect(final.content).to.equal('It is sunny in Paris.')
      expect(final.finish).to.equal('stop')
      expect(final.calls).to.have.length(0)
    })

    it(`${name}: required and a named tool force valid calls where the model answers in prose`, async () => {
      const model = testModelId(name)
      const prose = await create({messages: WHO, model})
      expect(prose.choices[0]!.message.tool_calls ?? []).to.have.length(0)
      expect(prose.choices[0]!.message.content).to.equal('I am a tiny tool model.')

      const required = await create({max_tokens: 120, messages: WHO, model, tool_choice: 'required'})
      expect(required.choices[0]!.finish_reason).to.equal('tool_calls')
      const calls = functionCalls(required)
      expect(calls.length).to.be.greaterThan(0)
      for (const call of calls) expectValidCall(call.function, ['get_weather', 'get_time'])

      const named = await stream({
        max_tokens: 120,
        messages: WHO,
        model,
        parallel_tool_calls: false,
        tool_choice: {function: {name: 'get_time'}, type: 'function'},
      })
      expect(named.finish).to.equal('tool_calls')
      expect(named.calls).to.have.length(1)
      expectValidCall(named.calls[0]!, ['get_time'])
    })

    it(`${name}: parallel_tool_calls false makes one call`, async () => {
      const one = await create({messages: TWO_CITIES, model: testModelId(name), parallel_tool_calls: false})
      expect(one.choices[0]!.finish_reason).to.equal('tool_calls')
      expect(one.choices[0]!.message.tool_calls).to.have.length(1)
    })

    it(`${name}: a call cut by max_tokens is length with the raw text, never a half call`, async () => {
      for (const maxTokens of [3, 7]) {
        const cut = await create({max_tokens: maxTokens, messages: WEATHER, model: testModelId(name)})
        const choice = cut.choices[0]!
        expect(choice.finish_reason).to.equal('length')
        expect(choice.message.tool_calls ?? []).to.have.length(0)
        expect(choice.message.content).to.match(/^(<tool_call>|\[TOOL_CALLS\])/)
        const streamed = await stream({max_tokens: maxTokens, messages: WEATHER, model: testModelId(name)})
        expect(streamed).to.deep.include({calls: [], content: choice.message.content, finish: 'length'})
      }
    })
  }

  it('text beside a call is content; reasoning before a call is reasoning_content', async () => {
    const beside = await create({messages: [user('Check the time in Oslo.')]})
    expect(beside.choices[0]!.message.content).to.equal('Let me look.\n')
    expect(functionCalls(beside)[0]!.function.name).to.equal('get_time')
    const streamed = await stream({messages: [user('Check the time in Oslo.')]})
    expect(streamed.content).to.equal('Let me look.\n')

    const thought = await create({messages: [user('Think, then get the weather in Rome.')]})
    const message = thought.choices[0]!.message as ChatCompletion.Choice['message'] & {reasoning_content: string}
    expect(message.reasoning_content).to.equal('\nRome needs a lookup.\n')
    expect(JSON.parse(functionCalls(thought)[0]!.function.arguments)).to.deep.equal({city: 'Rome'})
  })

  it('call-looking text that does not parse is content; tool_choice none makes no call', async () => {
    const broken = await create({messages: [user('Show a broken call.')]})
    expect(broken.choices[0]!.message.content).to.equal('<tool_call>\n{"name": get_weather}\n</tool_call>')
    expect(broken.choices[0]!.finish_reason).to.equal('stop')
    const none = await create({max_tokens: 30, messages: WEATHER, tool_choice: 'none'})
    expect(none.choices[0]!.message.tool_calls ?? []).to.have.length(0)
    expect(none.choices[0]!.finish_reason).to.not.equal('tool_calls')
  })

  it('refuses with 400 what it cannot honour', async () => {
    const chat = (body: Record<string, unknown>) =>
      postJson(`${server.url}/v1/chat/completions`, {messages: WEATHER, model: QWEN, tools: TOOLS, ...body})
    const cases: [Record<string, unknown>, string, string][] = [
      [{model: testModelId('tiny-qwen2-bpe')}, 'tools_not_supported', 'tools'],
      [
        {
          messages: [...WEATHER, {content: 'sunny', role: 'tool', tool_call_id: 'x'}],
          model: testModelId('tiny-qwen2-bpe'),
          tools: [],
        },
        'tools_not_supported',
        'tools',
      ],
      [{tool_choice: {function: {name: 'nope'}, type: 'function'}}, 'invalid_value', 'tool_choice'],
      [{tool_choice: 'required', tools: []}, 'invalid_value', 'tool_choice'],
      [{tool_choice: 'required', stop: ['x']}, 'unsupported_parameter', 'stop'],
      [{tools: [{type: 'code_interpreter'}]}, 'unsupported_parameter', 'tools[0].type'],
      [{functions: [{name: 'f'}], tools: []}, 'unsupported_parameter', 'functions'],
      [
        {
          tool_choice: 'required',
          tools: [{function: {name: 'f', parameters: {type: 'array', uniqueItems: true}}, type: 'function'}],
        },
        'unsupported_parameter',
        'tools[0].function.parameters',
      ],
    ]
    for (const [body, code, param] of cases) {
      const response = await chat(body)
      const error = ((await response.json()) as {error: {code: string; message: string; param: string}}).error
      expect([response.status, error.code, error.param], JSON.stringify(body)).to.deep.equal([400, code, param])
      if (code === 'tools_not_supported') expect(error.message).to.include('mlxk-test/tiny-qwen2-bpe')
    }

    // The explicit defaults ask for nothing different.
    const plain = await chat({model: testModelId('tiny-qwen2-bpe'), tool_choice: 'none', tools: []})
    expect(plain.status).to.equal(200)
  })
})
