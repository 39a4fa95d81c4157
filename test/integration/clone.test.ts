import {expect} from 'chai'
import {mkdtemp, mkdir, readdir, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {startTestHub, type TestHub} from '../hub/hub-server.js'
import {buildRepo, filesFromFolder} from '../hub/repo-fixture.js'
import {runMlxk} from '../helpers/run-cli.js'
import {testModelPath} from '../helpers/runtime.js'
import {assertValidEnvelope} from '../helpers/schemas.js'

const MODEL = 'mlx-community/tiny-qwen2-bpe'
const TOKEN = 'hf_cloneCliWriterToken'

describe('mlxk clone (built CLI): pull → clone → health/run → push', function () {
  this.timeout(120_000)
  let hub: TestHub
  let cache: string
  let work: string

  before(async () => {
    const repo = await buildRepo({
      commits: [{files: await filesFromFolder(testModelPath('tiny-qwen2-bpe'))}],
      id: MODEL,
    })
    hub = await startTestHub({repos: [repo], writers: {[TOKEN]: ['me']}})
  })
  after(async () => hub.close())
  beforeEach(async () => {
    cache = await mkdtemp(join(tmpdir(), 'mlxk-clone-cli-cache-'))
    work = await mkdtemp(join(tmpdir(), 'mlxk-clone-cli-work-'))
  })

  const mlxk = (args: string[], env: Record<string, string> = {}) =>
    runMlxk(args, {env: {HF_ENDPOINT: hub.url, HF_TOKEN: TOKEN, MLXK_ALPHA: 'clone,push,run', ...env}, hubCache: cache})

  it('clones via pull (schema-valid JSON), and the workspace runs, passes health and pushes without its sentinel', async () => {
    const ws = join(work, 'ws')
    const r = await mlxk(['clone', MODEL, ws, '--json'])
    expect(r.exitCode, r.stdout + r.stderr).to.equal(0)
    assertValidEnvelope(r.json, 'clone')
    expect(r.json!.data).to.include({clone_status: 'success', model: MODEL, source: 'hub', target_dir: ws})
    expect(r.stderr).to.equal('')

    // `mlxk health ./dir` (core) does not take folders yet; push --check-only applies the same health rules.
    const check = await mlxk(['push', ws, 'me/from-clone', '--private', '--check-only', '--json'])
    expect(
      (check.json!.data as {workspace_health: {healthy: boolean}}).workspace_health.healthy,
      check.stdout,
    ).to.equal(true)
    const run = await mlxk([
      'run',
      ws,
      'What is the capital of France?',
      '--temperature',
      '0',
      '--max-tokens',
      '8',
      '--json',
    ])
    expect(run.exitCode, run.stdout + run.stderr).to.equal(0)
    expect((run.json!.data as {response: string}).response.length).to.be.greaterThan(0)

    const push = await mlxk(['push', ws, 'me/from-clone', '--private', '--create', '--json'])
    expect(push.exitCode, push.stdout).to.equal(0)
    expect(push.json!.data).to.include({uploaded_files_count: 7})
    const tree = (await (
      await fetch(`${hub.url}/api/models/me/from-clone/tree/main?recursive=true`, {
        headers: {Authorization: `Bearer ${TOKEN}`},
      })
    ).json()) as Array<{path: string}>
    expect(tree.map((e) => e.path)).not.to.include('.mlxk_workspace.json')
  })

  it('human one-liner, clone from the cache offline, and refusal of a non-empty target', async () => {
    const first = await mlxk(['clone', MODEL, join(work, 'a')])
    expect(first.exitCode, first.stderr).to.equal(0)
    expect(first.stdout).to.match(
      new RegExp(`^clone: ${MODEL} → ${join(work, 'a')} \\(✓ health\\) — Cloned to ${join(work, 'a')}\\n`),
    )
    const offline = await mlxk(['clone', MODEL, join(work, 'b'), '--json'], {HF_ENDPOINT: 'http://127.0.0.1:9'})
    expect(offline.json!.data).to.include({source: 'cache'})
    await mkdir(join(work, 'busy'))
    await writeFile(join(work, 'busy', 'x'), 'x')
    const busy = await mlxk(['clone', MODEL, join(work, 'busy'), '--json'])
    expect(busy.exitCode).to.equal(1)
    assertValidEnvelope(busy.json, 'clone')
    expect(busy.json!.error!.type).to.equal('InvalidTargetError')
    expect(await readdir(join(work, 'busy'))).to.deep.equal(['x'])
  })
})
