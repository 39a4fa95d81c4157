import {existsSync} from 'node:fs'
import {totalmem} from 'node:os'

import {expect} from 'chai'
import OpenAI from 'openai'

import {ROOT, runMlxk} from '../helpers/run-cli.js'
import {type RunningServer, startServer} from '../helpers/server.js'
import {SchemaRegistry} from '../spec/schema-registry.js'
import {CACHE_HINT, describeLive, firstReason, liveHubCache, requireCommand} from './live-env.js'
import {discoverPortfolio, type PortfolioModel} from './portfolio.js'
import {checkRamBudget} from './ram-budget.js'

/*
 * `mlxk run` and `mlxk server` on a real model from the user's cache (MLXK_LIVE_RUN_MODEL, else the smallest MLX
 * chat model that fits the RAM budget), through the CLI as a user runs them: greedy answers must be the same
 * whether streamed or not, and no end-of-turn marker may reach the user.
 */
const cache = liveHubCache()
const cacheReason =
  cache === undefined ? CACHE_HINT : existsSync(cache) ? null : `the live cache ${cache} does not exist`
const candidates = cacheReason === null && cache ? (await discoverPortfolio(cache)).models : []
const model: PortfolioModel | undefined = process.env.MLXK_LIVE_RUN_MODEL
  ? candidates.find((m) => m.name === process.env.MLXK_LIVE_RUN_MODEL)
  : candidates
      .filter((m) => checkRamBudget(m.sizeBytes, totalmem()).fits)
      .sort((a, b) => a.sizeBytes - b.sizeBytes)
      .at(0)
const modelReason =
  cacheReason ??
  (model === undefined
    ? `no MLX chat model in ${cache} ${process.env.MLXK_LIVE_RUN_MODEL ? `named ${process.env.MLXK_LIVE_RUN_MODEL}` : 'fits the RAM budget'}`
    : null)

const env = {MLXK_ALPHA: 'all'}
const greedy = ['--temperature', '0', '--seed', '42', '--max-tokens', '128', '--hide-reasoning']
const prompt = 'Answer in one short sentence: what is the capital of France?'

describeLive(
  '@live @live:run mlxk run on a model from your cache',
  firstReason(modelReason, requireCommand('run')),
  () => {
    const name = model?.name ?? ''
    const hubCache = cache ?? ''

    it(`${name}: --json is schema-valid, shows no EOS marker, and equals the streamed answer`, async function () {
      this.timeout(600_000)
      const json = await runMlxk(['run', name, prompt, '--json', ...greedy], {env, hubCache, timeoutMs: 600_000})
      expect(json.exitCode, json.stderr).to.equal(0)
      expect(new SchemaRegistry(ROOT).envelopeErrors(json.json)).to.equal(null)
      const response = String(json.json?.data?.response)
      expect(response).to.not.equal('')
      expect(model?.eos.eos_strings.filter((s) => response.includes(s))).to.deep.equal([])
      const streamed = await runMlxk(['run', name, prompt, ...greedy], {env, hubCache, timeoutMs: 600_000})
      expect(streamed.exitCode, streamed.stderr).to.equal(0)
      expect(streamed.stdout.trim()).to.equal(response.trim())
    })
  },
)

const serverReason = firstReason(modelReason, requireCommand('server'))

describeLive('@live @live:server mlxk server on a model from your cache', serverReason, () => {
  const name = model?.name ?? ''
  let server: RunningServer
  let openai: OpenAI

  before(async function () {
    this.timeout(120_000)
    server = await startServer({env, hubCache: cache ?? ''})
    openai = new OpenAI({apiKey: 'unused', baseURL: `${server.url}/v1`})
  })

  after(async () => {
    await server?.stop()
  })

  it('/v1/models lists the model', async () => {
    const ids = []
    for await (const m of openai.models.list()) ids.push(m.id)
    expect(ids).to.include(name)
  })

  it(`${name}: streamed and non-streamed chat completions agree and show no EOS marker`, async function () {
    this.timeout(600_000)
    const request = {
      max_tokens: 128,
      messages: [{content: prompt, role: 'user' as const}],
      model: name,
      seed: 42,
      temperature: 0,
    }
    const batch = await openai.chat.completions.create(request)
    const text = batch.choices[0].message.content ?? ''
    expect(text).to.not.equal('')
    expect(model?.eos.eos_strings.filter((s) => text.includes(s))).to.deep.equal([])
    let streamed = ''
    for await (const chunk of await openai.chat.completions.create({...request, stream: true})) {
      streamed += chunk.choices[0]?.delta?.content ?? ''
    }

    expect(streamed).to.equal(text)
    expect(batch.choices[0].finish_reason).to.equal('stop')
  })
})
