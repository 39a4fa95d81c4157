import {expect} from 'chai'
import {cpSync, mkdtempSync} from 'node:fs'
import {writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {startTestHub, type TestHub} from '../hub/hub-server.js'
import {runMlxk} from '../helpers/run-cli.js'
import {assertValidEnvelope} from '../helpers/schemas.js'

const MODEL = new URL('../fixtures/models/tiny-qwen2-bpe', import.meta.url).pathname
const TOKEN = 'hf_pushCliWriterToken'

describe('mlxk push (built CLI against the test hub)', function () {
  this.timeout(60_000)
  let hub: TestHub
  let dir: string
  let n = 0
  let repo: string

  before(async () => {
    hub = await startTestHub({repos: [], writers: {[TOKEN]: ['me']}})
  })
  after(async () => hub.close())
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'mlxk-push-cli-'))
    cpSync(MODEL, dir, {recursive: true})
    repo = `me/cli-${++n}`
  })

  const push = (args: string[], env: Record<string, string> = {}) =>
    runMlxk(['push', ...args], {env: {HF_ENDPOINT: hub.url, HF_TOKEN: TOKEN, MLXK_ALPHA: 'push', ...env}})

  it('is an alpha plugin: refused unless enabled', async () => {
    const r = await push([dir, repo, '--private', '--json'], {MLXK_ALPHA: ''})
    expect(r.exitCode).to.equal(4)
    expect(r.json!.error).to.include({plugin: 'push', type: 'feature_disabled'})
  })

  it('--private is required; missing arguments are JSON errors with --json', async () => {
    const r = await push([dir, repo, '--json'])
    expect(r.exitCode).to.equal(2)
    assertValidEnvelope(r.json, 'push')
    expect(r.json!.error!.type).to.equal('CommandError')
    expect(r.json!.error!.message).to.match(/--private/)
    const missing = await push(['--private', '--json'])
    expect(missing.exitCode).to.equal(2)
    expect(missing.json!.error!.type).to.equal('CommandError')
  })

  it('commits with --create (schema-valid, quiet stderr, no token anywhere), then a re-push is a no-op', async () => {
    const r = await push([dir, repo, '--private', '--create', '--json'])
    expect(r.exitCode, r.stderr).to.equal(0)
    assertValidEnvelope(r.json, 'push')
    const data = r.json!.data as Record<string, unknown>
    expect(data).to.include({
      created_repo: true,
      experimental: true,
      no_changes: false,
      repo_id: repo,
      uploaded_files_count: 7,
    })
    expect(r.stderr).to.equal('')
    expect(r.stdout + r.stderr).not.to.include(TOKEN)
    const again = await push([dir, repo, '--private', '--json'])
    assertValidEnvelope(again.json, 'push')
    expect(again.json!.data).to.include({commit_sha: null, no_changes: true, uploaded_files_count: 0})
  })

  it('human output is upstream’s one-liner (commit, no changes, dry-run, --verbose URL)', async () => {
    const created = await push([dir, repo, '--private', '--create', '--verbose'])
    expect(created.exitCode, created.stderr).to.equal(0)
    expect(created.stdout).to.match(
      new RegExp(
        `^push \\(experimental\\): ${repo}@main — commit [0-9a-f]{7} \\(\\+7 ~0 -0\\) ${hub.url}/${repo}/commit/[0-9a-f]{40}\\n`,
      ),
    )
    expect((await push([dir, repo, '--private'])).stdout).to.equal(`push (experimental): ${repo}@main — no changes\n`)
    await writeFile(join(dir, 'new.txt'), 'x\n')
    expect((await push([dir, repo, '--private', '--dry-run'])).stdout).to.equal(
      `push (experimental): ${repo}@main — dry-run: +1 ~0 -0\n`,
    )
  })

  it('--dry-run and --check-only print schema-valid data; check-only needs neither token nor network', async () => {
    const dry = await push([dir, repo, '--private', '--dry-run', '--json'])
    assertValidEnvelope(dry.json, 'push')
    expect(dry.json!.data).to.include({dry_run: true, would_create_repo: true})
    const check = await push([dir, repo, '--private', '--check-only', '--json'], {
      HF_ENDPOINT: 'http://127.0.0.1:9',
      HF_TOKEN: '',
    })
    expect(check.exitCode, check.stderr).to.equal(0)
    assertValidEnvelope(check.json, 'push')
    expect((check.json!.data as {workspace_health: {healthy: boolean}}).workspace_health.healthy).to.equal(true)
  })

  it('each error type is a schema-valid envelope with exit 1', async () => {
    const cases: Array<[string[], Record<string, string>, string]> = [
      [[dir, repo, '--private', '--json'], {}, 'repo_not_found'],
      [[dir, repo, '--private', '--json'], {HF_TOKEN: ''}, 'auth_error'],
      [[join(dir, 'nope'), repo, '--private', '--json'], {}, 'workspace_not_found'],
      [[dir, 'other-org/x', '--private', '--create', '--json'], {}, 'upload_failed'],
    ]
    for (const [args, env, type] of cases) {
      const r = await push(args, env)
      expect(r.exitCode, `${type}: ${r.stdout}`).to.equal(1)
      assertValidEnvelope(r.json, 'push')
      expect(r.json!.error!.type).to.equal(type)
      expect(r.stdout + r.stderr).not.to.include(TOKEN)
    }

    const human = await push([dir, repo, '--private'])
    expect(human.stderr).to.match(/^mlxk push: Error: Repository not found: me\/cli-\d+ \(use --create\)/)
  })
})
