import {existsSync} from 'node:fs'

import {expect} from 'chai'

import {ROOT, runMlxk} from '../helpers/run-cli.js'
import {SchemaRegistry} from '../spec/schema-registry.js'
import {cacheFingerprint} from './cache-fingerprint.js'
import {CACHE_HINT, describeLive, liveHubCache} from './live-env.js'

// `mlxk list/show/health` against the user's real cache: read-only, and proven read-only by a fingerprint.
const cache = liveHubCache()
const reason = cache === undefined ? CACHE_HINT : existsSync(cache) ? null : `the live cache ${cache} does not exist`

describeLive('@live @live:list list, show and health against your cache', reason, () => {
  const registry = new SchemaRegistry(ROOT)
  const hubCache = cache ?? ''
  let snapshot: string[]
  let models: Array<{framework: string; health: string; name: string}> = []

  before(async () => {
    snapshot = await cacheFingerprint(hubCache)
  })

  after(async function () {
    this.timeout(120_000)
    expect(await cacheFingerprint(hubCache), `${hubCache} changed during read-only live tests`).to.deep.equal(snapshot)
  })

  it('list --json: every model, schema-valid', async () => {
    const r = await runMlxk(['list', '--json'], {hubCache, timeoutMs: 300_000})
    expect(r.exitCode, r.stderr).to.equal(0)
    expect(registry.envelopeErrors(r.json)).to.equal(null)
    models = r.json?.data?.models as typeof models
    expect(models.length, `no models in ${hubCache}`).to.be.greaterThan(0)
    expect(r.json?.data?.count).to.equal(models.length)
  })

  it('list (human) and list --all print a table', async () => {
    for (const args of [['list'], ['list', '--all']]) {
      const r = await runMlxk(args, {hubCache, timeoutMs: 300_000})
      expect(r.exitCode, r.stderr).to.equal(0)
      expect(r.stdout).to.match(/Name/)
    }
  })

  it('show --files --json on an MLX model is schema-valid', async function () {
    const mlx = models.find((m) => m.framework === 'MLX' && m.health === 'healthy')
    if (!mlx) this.skip()
    const r = await runMlxk(['show', mlx?.name ?? '', '--files', '--json'], {hubCache})
    expect(r.exitCode, r.stderr).to.equal(0)
    expect(registry.envelopeErrors(r.json)).to.equal(null)
  })

  it('health --json is schema-valid; exit 3 exactly when a model is unhealthy', async () => {
    const r = await runMlxk(['health', '--json'], {hubCache, timeoutMs: 600_000})
    expect(registry.envelopeErrors(r.json)).to.equal(null)
    const summary = r.json?.data?.summary as {total: number; unhealthy_count: number}
    expect(summary.total).to.equal(models.length)
    expect(r.exitCode, r.stderr).to.equal(summary.unhealthy_count > 0 ? 3 : 0)
  })
})
