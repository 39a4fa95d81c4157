import {existsSync, mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {expect} from 'chai'

import {markTestCache} from '../../src/sdk/cache/sentinel.js'
import {ROOT, runMlxk} from '../helpers/run-cli.js'
import {SchemaRegistry} from '../spec/schema-registry.js'
import {describeLive, firstReason, requireCommand, requireEnv} from './live-env.js'

/*
 * pull, push and clone against the real Hugging Face Hub. Each writes only to a fresh, sentinel-marked test cache
 * or to the workspace/repo the user named for it; the user's own cache is never involved.
 */
const registry = new SchemaRegistry(ROOT)
const token = process.env.MLXK_LIVE_HF_TOKEN
// Alpha plugins (push, clone) are on for these runs only; the token goes only to the subprocess.
const hubEnv = {HF_TOKEN: token, MLXK_ALPHA: 'all'}

async function testCache(): Promise<string> {
  const root = join(mkdtempSync(join(tmpdir(), 'mlxk-live-hub-')), 'hub')
  await markTestCache(root)
  return root
}

describeLive('@live @live:pull pull from the real Hub', requireEnv(['MLXK_LIVE_PULL_REPO']), () => {
  const repo = process.env.MLXK_LIVE_PULL_REPO ?? ''

  it(`pulls ${repo} into a fresh test cache; the result is healthy, and a second pull is a no-op`, async function () {
    this.timeout(1_800_000)
    const hubCache = await testCache()
    const first = await runMlxk(['pull', repo, '--json'], {env: hubEnv, hubCache, timeoutMs: 1_800_000})
    expect(first.exitCode, first.stderr).to.equal(0)
    expect(registry.envelopeErrors(first.json)).to.equal(null)
    const health = await runMlxk(['health', repo, '--json'], {hubCache})
    expect(health.exitCode, health.stdout).to.equal(0)
    const again = await runMlxk(['pull', repo, '--json'], {env: hubEnv, hubCache, timeoutMs: 600_000})
    expect(again.exitCode, again.stderr).to.equal(0)
    const rm = await runMlxk(['rm', repo, '--force', '--json'], {hubCache})
    expect(rm.exitCode, rm.stderr).to.equal(0)
  })
})

const pushReason = firstReason(
  requireEnv(['MLXK_LIVE_PUSH', 'MLXK_LIVE_HF_TOKEN', 'MLXK_LIVE_REPO', 'MLXK_LIVE_WORKSPACE']),
  requireCommand('push'),
)

describeLive('@live @live:push push to the real Hub', pushReason, () => {
  const repo = process.env.MLXK_LIVE_REPO ?? ''
  const workspace = process.env.MLXK_LIVE_WORKSPACE ?? ''

  it(`pushes ${workspace} to ${repo} (private), then a re-push reports no changes`, async function () {
    this.timeout(1_800_000)
    expect(existsSync(workspace), `${workspace} does not exist`).to.equal(true)
    const first = await runMlxk(['push', workspace, repo, '--private', '--json'], {env: hubEnv, timeoutMs: 1_800_000})
    expect(first.exitCode, first.stdout + first.stderr).to.equal(0)
    expect(registry.envelopeErrors(first.json)).to.equal(null)
    const again = await runMlxk(['push', workspace, repo, '--private', '--json'], {env: hubEnv, timeoutMs: 600_000})
    expect(again.exitCode, again.stdout + again.stderr).to.equal(0)
    expect(again.json?.data).to.include({no_changes: true})
  })
})

const cloneReason = firstReason(
  requireEnv(['MLXK_LIVE_CLONE', 'MLXK_LIVE_CLONE_MODEL', 'MLXK_LIVE_CLONE_WORKSPACE']),
  requireCommand('clone'),
)

describeLive('@live @live:clone clone from the real Hub into a workspace', cloneReason, () => {
  it('clones the model into a new workspace folder that mlxk can run from', async function () {
    this.timeout(1_800_000)
    const target = join(process.env.MLXK_LIVE_CLONE_WORKSPACE ?? '', `mlxk-live-clone-${Date.now()}`)
    const model = process.env.MLXK_LIVE_CLONE_MODEL ?? ''
    const r = await runMlxk(['clone', model, target, '--json'], {env: hubEnv, timeoutMs: 1_800_000})
    expect(r.exitCode, r.stdout + r.stderr).to.equal(0)
    expect(registry.envelopeErrors(r.json)).to.equal(null)
    expect(existsSync(join(target, 'config.json'))).to.equal(true)
  })
})
