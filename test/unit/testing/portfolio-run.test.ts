import {readFileSync} from 'node:fs'
import {mkdtemp} from 'node:fs/promises'
import {tmpdir, totalmem} from 'node:os'
import {join} from 'node:path'

import {expect} from 'chai'

import {importFolder} from '../../../src/sdk/cache/import-folder.js'
import {RuntimeClient} from '../../../src/sdk/runtime/index.js'
import {tempCacheRoot} from '../../helpers/fixture-cache.js'
import {runtimePython, testModelExpectation, testModelPath} from '../../helpers/runtime.js'
import {discoverPortfolio} from '../../live/portfolio.js'
import {
  type CheckPrompts,
  failedChecks,
  type PortfolioReport,
  runPortfolio,
  writeReport,
} from '../../live/portfolio-checks.js'

/*
 * The live stop-token portfolio, run offline over the project's own test models: proves discovery, the checks
 * and the report work end to end on every machine, so the opt-in live run against a user's cache only adds real
 * models, not untested code. The checks must pass, and the answers must be the ones the models were trained on.
 */
const MODELS = ['tiny-qwen2-bpe', 'tiny-qwen2-bpe-4bit', 'tiny-llama-spm', 'tiny-qwen2-think']
const nameOf = (repo: string) => repo.replace(/^mlxk-test\//, '')

function promptsFor(model: {name: string}): CheckPrompts {
  const expected = testModelExpectation(nameOf(model.name))
  const stop = expected.stop_case
  return {
    maxTokens: 64,
    messages: expected.cases[0].messages,
    reasoningMaxTokens: 64,
    stopCase: stop ? {messages: stop.messages, stop: stop.stop} : undefined,
  }
}

describe('live portfolio, run offline over the test models', function () {
  this.timeout(180_000)
  let client: RuntimeClient
  let report: PortfolioReport
  let cache: string

  before(async () => {
    cache = tempCacheRoot()
    for (const name of MODELS)
      await importFolder({folder: testModelPath(name), repoId: `mlxk-test/${name}`, root: cache})
    const portfolio = await discoverPortfolio(cache)
    client = await RuntimeClient.start({python: runtimePython(), writeInfoCache: false})
    report = await runPortfolio({...portfolio, cache, client, prompts: promptsFor, totalRamBytes: totalmem()})
  })

  after(async () => {
    await client?.close()
  })

  it('tests every test model and every check passes', () => {
    expect(report.models.map((m) => [nameOf(m.model), m.status])).to.deep.equal(MODELS.map((n) => [n, 'tested']).sort())
    for (const m of report.models) expect(failedChecks(m), m.model).to.deep.equal([])
    const checks = report.models.map((m) => Object.keys(m.checks).sort())
    expect(checks[0]).to.deep.equal([
      'no_replacement_char',
      'no_visible_eos',
      'stop_string',
      'stops_on_eos',
      'stream_batch_parity',
    ])
  })

  it('records what the files and the worker say about EOS, and the trained answers', () => {
    for (const m of report.models) {
      const expected = testModelExpectation(nameOf(m.model))
      expect(m.eos_config.runtime_eos_token_ids, m.model).to.deep.equal(expected.eos_token_ids)
      const text = (m.sample?.reasoning ?? '') + (m.sample?.content ?? '')
      expect(text, m.model).to.equal(
        expected.cases[0].reasoning !== undefined
          ? expected.cases[0].reasoning + expected.cases[0].content
          : expected.cases[0].text,
      )
      expect(m.tokens_per_s, m.model).to.be.greaterThan(0)
      expect(m.size_bytes).to.be.greaterThan(0)
    }
  })

  it('states the machine and runtime, and writes a readable JSON report', async () => {
    expect(report.ram.total_bytes).to.equal(totalmem())
    expect(report.runtime?.mlx_lm_version).to.be.a('string')
    const path = join(await mkdtemp(join(tmpdir(), 'mlxk-report-')), 'stop-token-report.json')
    await writeReport(path, report)
    expect(JSON.parse(readFileSync(path, 'utf8'))).to.deep.equal(report)
  })

  it('skips a model that does not fit the RAM budget, with the reason, without loading it', async () => {
    const portfolio = await discoverPortfolio(cache)
    const small = await runPortfolio({
      ...portfolio,
      cache,
      client,
      models: portfolio.models.slice(0, 1),
      totalRamBytes: 1024 ** 2,
    })
    expect(small.models[0]).to.include({status: 'skipped', load_time_s: null})
    expect(small.models[0].skip_reason).to.match(/^Model requires .* but only .* available \(40 % of 0\.0 GB RAM\)$/)
  })
})
