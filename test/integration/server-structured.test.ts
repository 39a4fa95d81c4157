import {Ajv} from 'ajv'
import {expect} from 'chai'
import OpenAI from 'openai'

import {
  buildServerCache,
  postJson,
  readSse,
  type RunningServer,
  SERVER_TEST_MODELS,
  startServer,
  testModelId,
} from '../helpers/server.js'

/**
 * response_format over the real server: constrained decoding makes every answer that ends with "stop" valid JSON
 * of the schema, on the tiny trained models (which were never trained to write JSON), greedy and sampled,
 * streamed and not. Anything the engine cannot enforce is a 400, never an unconstrained answer.
 */
describe('mlxk server: structured output (response_format)', function () {
  this.timeout(180_000)
  let server: RunningServer
  let client: OpenAI
  const BPE = testModelId('tiny-qwen2-bpe')
  const THINK = testModelId('tiny-qwen2-think')
  // Bounded everywhere (strings, arrays, no extra keys), so a model cannot fill the budget inside one value.
  const PERSON = {
    additionalProperties: false,
    properties: {
      age: {maximum: 120, minimum: 0, type: 'integer'},
      name: {maxLength: 12, type: 'string'},
      tags: {items: {enum: ['admin', 'user', 'guest']}, maxItems: 3, type: 'array'},
    },
    required: ['name', 'age', 'tags'],
    type: 'object',
  }
  const validPerson = new Ajv().compile(PERSON)
  const personFormat = {json_schema: {name: 'person', schema: PERSON, strict: true}, type: 'json_schema'} as const
  type Choice = {finish_reason: string; message: {content: string; reasoning_content?: string}}
  type ErrorBody = {error: {code: null | string; message: string; param: null | string}}

  before(async () => {
    server = await startServer({hubCache: await buildServerCache()})
    client = new OpenAI({apiKey: 'not-needed', baseURL: `${server.url}/v1`, maxRetries: 0})
  })

  after(async () => {
    expect(await server?.stop()).to.equal(0)
  })

  const chat = (body: Record<string, unknown>) =>
    postJson(`${server.url}/v1/chat/completions`, {
      max_tokens: 120,
      messages: [{content: 'Who are you?', role: 'user'}],
      ...body,
    })

  function expectValidPerson(choice: Choice, where: string): void {
    expect(choice.finish_reason, where).to.equal('stop')
    const value: unknown = JSON.parse(choice.message.content)
    expect(validPerson(value), `${where}: ${choice.message.content}`).to.equal(true)
  }

  it('every model answers the schema, greedy and sampled (SDK)', async () => {
    for (const name of SERVER_TEST_MODELS) {
      for (const sampling of [{temperature: 0}, {seed: 7, temperature: 1}, {seed: 8, temperature: 1.5}]) {
        const completion = await client.chat.completions.create({
          max_tokens: 120,
          messages: [{content: 'Who are you?', role: 'user'}],
          model: testModelId(name),
          response_format: personFormat,
          ...sampling,
        })
        expectValidPerson(completion.choices[0]! as Choice, `${name} ${JSON.stringify(sampling)}`)
      }
    }
  })

  it('streams the same constrained text as the batch answer', async () => {
    const body = {model: BPE, response_format: personFormat, temperature: 0}
    const once = ((await (await chat(body)).json()) as {choices: Choice[]}).choices[0]!
    expectValidPerson(once, 'batch')
    const events = await readSse(await chat({...body, stream: true}))
    let text = ''
    for (const event of events.slice(0, -1)) {
      const chunk = JSON.parse(event) as {choices: {delta: {content?: string}}[]}
      text += chunk.choices[0]?.delta.content ?? ''
    }

    expect(text).to.equal(once.message.content)
  })

  it('a reasoning model thinks first, unconstrained, then answers the schema', async () => {
    const response = await chat({model: THINK, response_format: personFormat, temperature: 0})
    const choice = ((await response.json()) as {choices: Choice[]}).choices[0]!
    expect(choice.message.reasoning_content ?? '').to.match(/\S/)
    expectValidPerson(choice, 'think')
  })

  it('json_object gives one object on chat and on /v1/completions; a cut answer is "length"', async () => {
    const object = {response_format: {type: 'json_object'}}
    const cut = {max_tokens: 3, model: BPE, response_format: personFormat, temperature: 0}
    const short = ((await (await chat(cut)).json()) as {choices: Choice[]}).choices[0]!
    expect(short.finish_reason).to.equal('length')
    expect(() => JSON.parse(short.message.content)).to.throw()

    // A free object can run as long as the model likes; an answer that ends is an object.
    for (const seed of [1, 2, 3]) {
      const response = await postJson(`${server.url}/v1/completions`, {
        max_tokens: 200,
        model: BPE,
        prompt: 'Data:',
        seed,
        temperature: 1,
        ...object,
      })
      const choice = ((await response.json()) as {choices: {finish_reason: string; text: string}[]}).choices[0]!
      if (choice.finish_reason === 'stop') expect(JSON.parse(choice.text)).to.be.an('object')
      else expect(choice.finish_reason).to.equal('length')
    }
  })

  it('400 for what cannot be enforced or makes no sense, naming the field', async () => {
    const schema = (s: unknown) => ({json_schema: {name: 'x', schema: s}, type: 'json_schema'})
    const cases: [Record<string, unknown>, string, string, RegExp][] = [
      [
        {response_format: schema({type: 'array', uniqueItems: true})},
        'unsupported_parameter',
        'response_format',
        /uniqueItems/,
      ],
      [{response_format: schema({type: 'no-such-type'})}, 'invalid_value', 'response_format', /type/i],
      [{response_format: {type: 'yaml'}}, 'unsupported_parameter', 'response_format', /yaml/],
      [{response_format: {type: 'json_object'}, stop: ['}']}, 'unsupported_parameter', 'stop', /stop/],
    ]
    for (const [extra, code, param, message] of cases) {
      const response = await chat({model: BPE, ...extra})
      const body = (await response.json()) as ErrorBody
      expect(response.status, JSON.stringify(body)).to.equal(400)
      expect(body.error).to.include({code, param})
      expect(body.error.message).to.match(message)
    }

    // text is the default and stays accepted.
    expect((await chat({max_tokens: 4, model: BPE, response_format: {type: 'text'}})).status).to.equal(200)
  })
})
