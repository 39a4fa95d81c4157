import {expect} from 'chai'

import {importFolder} from '../../src/sdk/cache/import-folder.js'
import {type CliResult, runMlxk} from '../helpers/run-cli.js'
import {buildRunCache, repoOf} from '../helpers/run-models.js'
import {cosine, EMBEDDERS, embedderExpectation, maxDifference, norm} from '../helpers/embeddings.js'
import {testModelPath} from '../helpers/runtime.js'
import {assertValidEnvelope} from '../helpers/schemas.js'

/*
 * `mlxk embed`, and how list/show/health and `run` treat embedding models, through the built CLI, the real
 * runtime and the two trained tiny embedders. Each embed starts a worker, so each test asks several things at once.
 */

interface EmbedJson {
  count: number
  dimensions: number
  embeddings: number[][]
  normalized: boolean
  token_counts: number[]
  truncated: number[]
  usage: {prompt_tokens: number}
}

const dataOf = (r: CliResult): EmbedJson => r.json!.data as unknown as EmbedJson

const BERT = 'mlxk-test/tiny-bert-embed'
const QWEN = 'mlxk-test/tiny-qwen3-embed'

describe('mlxk embed (real runtime)', function () {
  this.timeout(90_000)
  let env: Record<string, string>

  before(async () => {
    const hub = await buildRunCache()
    for (const name of EMBEDDERS)
      await importFolder({folder: testModelPath(name), repoId: `mlxk-test/${name}`, root: hub})
    env = {HF_HUB_CACHE: hub, MLXK_ALPHA: 'run'}
  })

  const embed = (args: string[], input?: string) =>
    runMlxk(['embed', ...args], {env, ...(input === undefined ? {} : {input})})
  const jsonl = (texts: string[]) => texts.map((text) => JSON.stringify({text}) + '\n').join('')

  for (const [model, name] of [
    [BERT, 'tiny-bert-embed'],
    [QWEN, 'tiny-qwen3-embed'],
  ] as const) {
    it(`${name}: one vector per JSON line, in order; identical texts 1.0; paraphrases first; batches equal singles`, async () => {
      const expected = embedderExpectation(name)
      const texts = expected.topics.flat()
      const lines = await embed([model, '-', '--batch-size', '5'], jsonl([...texts, texts[0]!]))
      expect(lines.exitCode, lines.stderr).to.equal(0)
      const vectors = lines.stdout
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line) as number[])
      expect(vectors).to.have.length(texts.length + 1)
      expect(vectors.every((v) => v.length === expected.dimensions)).to.equal(true)
      expect(cosine(vectors[0]!, vectors.at(-1)!)).to.be.closeTo(1, 1e-6)
      const size = expected.topics[0]!.length
      for (let i = 0; i < texts.length; i++) {
        const group = Math.floor(i / size)
        const other = ((group + 1) % expected.topics.length) * size
        const paraphrase = group * size + ((i + 1) % size)
        expect(cosine(vectors[i]!, vectors[paraphrase]!), texts[i]).to.be.greaterThan(
          cosine(vectors[i]!, vectors[other]!),
        )
      }

      // One text as an argument gives the same vector as inside a batch of mixed lengths.
      const single = await embed([model, texts[4]!, '--json'])
      assertValidEnvelope(single.json, 'embed')
      const data = dataOf(single)
      expect(data.count).to.equal(1)
      expect(maxDifference(data.embeddings[0]!, vectors[4]!)).to.be.below(1e-5)
      expect(data.normalized).to.equal(expected.normalize)
      expect(Math.abs(norm(data.embeddings[0]!) - 1) < 1e-5).to.equal(expected.normalize)
      expect(data.usage.prompt_tokens).to.equal(data.token_counts[0])
    })
  }

  it('--dimensions shortens and renormalises a Matryoshka model, and is refused for the others', async () => {
    const short = await embed([QWEN, 'Heavy showers outdoors right now.', '--dimensions', '16', '--json'])
    const full = await embed([QWEN, 'Heavy showers outdoors right now.', '--json'])
    const s = dataOf(short).embeddings[0]!
    const f = dataOf(full).embeddings[0]!.slice(0, 16)
    expect(s).to.have.length(16)
    expect(norm(s)).to.be.closeTo(1, 1e-5)
    expect(
      maxDifference(
        s,
        f.map((x) => x / norm(f)),
      ),
    ).to.be.below(1e-6)
    const refused = await embed([BERT, 'x', '--dimensions', '16', '--json'])
    expect(refused.exitCode).to.equal(2)
    expect(refused.json!.error!.message).to.match(/Matryoshka/)
  })

  it('cuts inputs to the model length and says which', async () => {
    const long = 'the cat sleeps '.repeat(100)
    const r = await embed([BERT, '-', '--json'], jsonl(['short', long]))
    const data = dataOf(r)
    expect(data.truncated).to.deep.equal([1])
    expect(data.token_counts[1]).to.equal(embedderExpectation('tiny-bert-embed').max_length)
  })

  it('refuses bad stdin lines, empty stdin and a text model, naming the problem', async () => {
    const bad = await embed([BERT, '-'], '{"text": "ok"}\nnot json\n')
    expect(bad.exitCode).to.equal(2)
    expect(bad.stderr).to.match(/stdin line 2 is not JSON/)
    const empty = await embed([BERT, '-', '--json'], '\n')
    expect(empty.json!.error!.message).to.match(/No text to embed/)
    const chat = await embed([repoOf('tiny-qwen2-bpe'), 'hello', '--json'])
    expect(chat.json!.error).to.include({code: 'not_an_embedding_model', type: 'model_not_runnable'})
    expect(chat.json!.error!.message).to.match(/is a chat model: it generates text, not embeddings/)
  })

  it('run refuses an embedding model by name; list, show and health see it as a healthy, runnable embedder', async () => {
    const run = await runMlxk(['run', BERT, 'hello', '--json'], {env})
    expect(run.json!.error).to.include({code: 'embedding_model', type: 'model_not_runnable'})
    expect(run.json!.error!.message).to.match(/is an embedding model/)
    const list = await runMlxk(['list', 'embed', '--json'], {env})
    const models = (list.json!.data as {models: {model_type: string; name: string; runtime_compatible: boolean}[]})
      .models
    for (const model of [BERT, QWEN]) {
      expect(
        models.find((m) => m.name === model),
        model,
      ).to.include({model_type: 'embedding', runtime_compatible: true})
    }

    const health = await runMlxk(['health', BERT, '--json'], {env})
    expect(health.exitCode, health.stdout).to.equal(0)
  })
})
