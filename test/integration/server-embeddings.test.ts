import {expect} from 'chai'
import OpenAI from 'openai'

import {cosine, EMBEDDERS, embedderExpectation, maxDifference, norm} from '../helpers/embeddings.js'
import {buildServerCache, getJson, postJson, type RunningServer, startServer, testModelId} from '../helpers/server.js'

/**
 * POST /v1/embeddings on the real server and runtime, with the two trained tiny embedders and a chat model in one
 * cache, one model resident at a time (--max-loaded 1), so switching between kinds goes through the same rules.
 */
describe('mlxk server: /v1/embeddings over the real runtime', function () {
  this.timeout(120_000)
  let server: RunningServer
  let client: OpenAI
  const BERT = testModelId('tiny-bert-embed')
  const QWEN = testModelId('tiny-qwen3-embed')
  const CHAT = testModelId('tiny-qwen2-bpe')
  type ErrorBody = {error: {code: null | string; message: string; param: null | string; type: string}}
  type EmbeddingsBody = {
    data: {embedding: number[] | string; index: number; object: string}[]
    model: string
    usage: {prompt_tokens: number; total_tokens: number}
  }

  before(async () => {
    const hubCache = await buildServerCache([...EMBEDDERS, 'tiny-qwen2-bpe'])
    server = await startServer({args: ['--max-loaded', '1'], hubCache})
    client = new OpenAI({apiKey: 'not-needed', baseURL: `${server.url}/v1`, maxRetries: 0})
  })

  after(async () => {
    expect(await server?.stop()).to.equal(0)
  })

  const embeddings = (body: Record<string, unknown>) => postJson(`${server.url}/v1/embeddings`, body)

  async function expectError(response: Response, code: string, param: null | string): Promise<ErrorBody> {
    expect(response.status).to.equal(400)
    const body = (await response.json()) as ErrorBody
    expect(body.error).to.include({code, param, type: 'invalid_request_error'})
    return body
  }

  for (const name of EMBEDDERS) {
    it(`${name}: the openai SDK's embeddings.create works unchanged; batched equals one by one; ranks paraphrases first`, async () => {
      const expected = embedderExpectation(name)
      const model = testModelId(name)
      const texts = expected.topics.flat()
      // The SDK asks for base64 and decodes it itself: this also checks our bytes are OpenAI's float32 layout.
      const batch = await client.embeddings.create({input: texts, model})
      expect(batch.data.map((d) => d.index)).to.deep.equal(texts.map((_, i) => i))
      expect(batch.model).to.equal(model)
      expect(batch.data[0]!.embedding).to.have.length(expected.dimensions)
      const size = expected.topics[0]!.length
      for (const [i, text] of texts.slice(0, 6).entries()) {
        const alone = await client.embeddings.create({input: text, model})
        expect(maxDifference(alone.data[0]!.embedding, batch.data[i]!.embedding), text).to.be.below(1e-5)
        const paraphrase = batch.data[Math.floor(i / size) * size + ((i + 1) % size)]!.embedding
        const unrelated = batch.data[(i + size) % texts.length]!.embedding
        expect(cosine(batch.data[i]!.embedding, paraphrase)).to.be.greaterThan(
          cosine(batch.data[i]!.embedding, unrelated),
        )
      }

      const twice = await client.embeddings.create({input: [texts[0]!, texts[0]!], model})
      expect(cosine(twice.data[0]!.embedding, twice.data[1]!.embedding)).to.be.closeTo(1, 1e-6)
      const norms = batch.data.map((d) => norm(d.embedding))
      expect(norms.every((n) => Math.abs(n - 1) < 1e-5)).to.equal(expected.normalize)
    })
  }

  it('base64 decodes to exactly the floats of encoding_format float; usage counts every input', async () => {
    const input = ['The soup needs more salt.', 'Add some salt to the soup.', 'x']
    const asFloat = (await (await embeddings({encoding_format: 'float', input, model: QWEN})).json()) as EmbeddingsBody
    const asBase64 = (await (
      await embeddings({encoding_format: 'base64', input, model: QWEN})
    ).json()) as EmbeddingsBody
    for (const [i, item] of asBase64.data.entries()) {
      const bytes = Buffer.from(item.embedding as string, 'base64')
      const floats = Array.from(new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4))
      expect(floats).to.deep.equal(asFloat.data[i]!.embedding)
    }

    expect(asFloat.usage.prompt_tokens).to.be.greaterThan(input.length)
    expect(asFloat.usage.total_tokens).to.equal(asFloat.usage.prompt_tokens)
    expect(asFloat.data[0]).to.include({index: 0, object: 'embedding'})
  })

  it('dimensions: a Matryoshka model truncates and renormalises; another model answers 400', async () => {
    const full = await client.embeddings.create({input: 'Markets crashed this morning.', model: QWEN})
    const short = await client.embeddings.create({dimensions: 16, input: 'Markets crashed this morning.', model: QWEN})
    const head = full.data[0]!.embedding.slice(0, 16)
    expect(short.data[0]!.embedding).to.have.length(16)
    expect(
      maxDifference(
        short.data[0]!.embedding,
        head.map((x) => x / norm(head)),
      ),
    ).to.be.below(1e-6)
    const same = await client.embeddings.create({dimensions: 64, input: 'x', model: BERT})
    expect(same.data[0]!.embedding).to.have.length(64)
    const refused = await expectError(
      await embeddings({dimensions: 16, input: 'x', model: BERT}),
      'invalid_value',
      'dimensions',
    )
    expect(refused.error.message).to.match(/Matryoshka/)
    await expectError(await embeddings({dimensions: 65, input: 'x', model: QWEN}), 'invalid_value', 'dimensions')
  })

  it('a chat model asked for embeddings, and an embedding model asked for chat, is a 400 naming its kind', async () => {
    const chatModel = await expectError(await embeddings({input: 'x', model: CHAT}), 'wrong_model_kind', 'model')
    expect(chatModel.error.message).to.match(/is a chat model: it generates text, not embeddings/)
    const chat = await postJson(`${server.url}/v1/chat/completions`, {
      messages: [{content: 'x', role: 'user'}],
      model: QWEN,
    })
    const embedder = await expectError(chat, 'wrong_model_kind', 'model')
    expect(embedder.error.message).to.match(/is an embedding model/)
    // With one model resident, the chat model still loads after the embedders, and they again after it.
    const answer = await postJson(`${server.url}/v1/completions`, {
      max_tokens: 3,
      model: CHAT,
      prompt: 'Hi',
      temperature: 0,
    })
    expect(answer.status).to.equal(200)
    expect((await client.embeddings.create({input: 'again', model: BERT})).data).to.have.length(1)
  })

  it('rejects token ids, empty inputs and bad formats as OpenAI does', async () => {
    await expectError(await embeddings({input: [1, 2, 3], model: BERT}), 'unsupported_parameter', 'input')
    await expectError(await embeddings({input: '', model: BERT}), 'invalid_value', 'input')
    await expectError(await embeddings({input: ['a', ''], model: BERT}), 'invalid_value', 'input[1]')
    await expectError(await embeddings({input: [], model: BERT}), 'invalid_value', 'input')
    await expectError(
      await embeddings({encoding_format: 'int8', input: 'x', model: BERT}),
      'invalid_value',
      'encoding_format',
    )
    await expectError(await embeddings({model: BERT}), 'invalid_value', 'input')
  })

  it('/v1/models lists embedding models with their kind', async () => {
    const {data} = (await getJson<{data: {id: string; model_type: null | string}[]}>(`${server.url}/v1/models`)).body
    expect(data.find((m) => m.id === BERT)).to.include({model_type: 'embedding'})
    expect(data.find((m) => m.id === QWEN)).to.include({model_type: 'embedding'})
    expect(data.find((m) => m.id === CHAT)).to.include({model_type: 'chat'})
  })
})
