import {existsSync} from 'node:fs'
import {tmpdir, totalmem} from 'node:os'
import {join} from 'node:path'

import {expect} from 'chai'

import {RuntimeClient} from '../../src/sdk/runtime/index.js'
import {runtimePython} from '../helpers/runtime.js'
import {discoverPortfolio, type Portfolio} from './portfolio.js'
import {checkModel, failedChecks, type ModelReport, runPortfolio, writeReport} from './portfolio-checks.js'
import {CACHE_HINT, describeLive, liveHubCache} from './live-env.js'
import {checkRamBudget} from './ram-budget.js'

/*
 * Stop tokens and streaming/batch parity on every MLX chat model in the user's cache (upstream ADR-009 portfolio
 * discovery). One test per model; models over the RAM budget are pending with the reason in their title. The
 * empirical report goes to MLXK_LIVE_REPORT (default: <tmp>/mlxk-stop-token-report.json).
 */
const cache = liveHubCache()
const reason = cache === undefined ? CACHE_HINT : existsSync(cache) ? null : `the live cache ${cache} does not exist`
const portfolio: Portfolio = reason === null && cache ? await discoverPortfolio(cache) : {excluded: [], models: []}
const totalRam = totalmem()
const reportPath = process.env.MLXK_LIVE_REPORT ?? join(tmpdir(), 'mlxk-stop-token-report.json')

describeLive('@live @live:stop-tokens stop tokens and stream/batch parity on your MLX chat models', reason, () => {
  let client: RuntimeClient
  const reports: ModelReport[] = []

  before(async function () {
    this.timeout(120_000)
    client = await RuntimeClient.start({python: runtimePython(), writeInfoCache: false})
  })

  after(async function () {
    this.timeout(120_000)
    // The report lists every model, skipped ones included; the ones tested above are not run twice.
    const skipped = await runPortfolio({
      cache: cache ?? '',
      client,
      excluded: portfolio.excluded,
      models: portfolio.models.filter((m) => !reports.some((r) => r.model === m.name)),
      totalRamBytes: totalRam,
    })
    skipped.models = [...reports, ...skipped.models]
    await writeReport(reportPath, skipped)
    console.log(`  stop-token report: ${reportPath}`)
    await client?.close()
  })

  it(`found at least one MLX chat model in ${cache} (${portfolio.excluded.length} others excluded)`, () => {
    expect(portfolio.models.length, JSON.stringify(portfolio.excluded, null, 2)).to.be.greaterThan(0)
  })

  for (const model of portfolio.models) {
    const budget = checkRamBudget(model.sizeBytes, totalRam)
    if (!budget.fits) {
      it.skip(`${model.name}: ${budget.reason}`)
      continue
    }

    it(`${model.name}: stops on EOS, shows no EOS text, streams what batch returns`, async function () {
      this.timeout(600_000)
      const base = {model: model.name, revision: model.commit, size_bytes: model.sizeBytes, skip_reason: null}
      let report: ModelReport
      try {
        report = {...base, ...(await checkModel(client, model)), error: null, status: 'tested'}
      } catch (error) {
        const none = {checks: {}, load_time_s: null, memory_bytes: null, sample: null, tokens_per_s: null}
        report = {
          ...base,
          ...none,
          eos_config: {...model.eos, runtime_eos_token_ids: null},
          error: String(error),
          status: 'error',
        }
      }

      reports.push(report)
      expect(failedChecks(report), JSON.stringify(report.checks, null, 2)).to.deep.equal([])
    })
  }
})
