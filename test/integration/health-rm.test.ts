import {expect} from 'chai'
import {spawn} from 'node:child_process'
import {existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {TEST_SENTINEL} from '../../src/sdk/cache/sentinel.js'
import {buildCache, mlxChatModelFiles, shardedModelFiles} from '../helpers/fixture-cache.js'
import {runMlxk} from '../helpers/run-cli.js'
import {assertValidEnvelope} from '../helpers/schemas.js'

const R1 = '1'.repeat(40)
const R2 = '2'.repeat(40)

describe('health (built CLI)', () => {
  it('keeps status success but exits 3 when a model is unhealthy, naming the first problem', async () => {
    const hub = await buildCache(undefined, [
      {repoId: 'acme/good', revisions: [{files: mlxChatModelFiles()}]},
      {repoId: 'acme/gap', revisions: [{files: shardedModelFiles(4, [2])}]},
    ])
    const r = await runMlxk(['health', '--json'], {hubCache: hub})
    expect(r.exitCode).to.equal(3)
    assertValidEnvelope(r.json, 'health')
    const data = r.json!.data as {summary: Record<string, number>; unhealthy: Array<{name: string; reason: string}>}
    expect(r.json!.status).to.equal('success')
    expect(data.summary).to.deep.equal({healthy_count: 1, total: 2, unhealthy_count: 1})
    expect(data.unhealthy[0]!.name).to.equal('acme/gap')
    expect(data.unhealthy[0]!.reason).to.match(/shard/i)
    const one = await runMlxk(['health', 'acme/good'], {hubCache: hub})
    expect(one.exitCode).to.equal(0)
    expect(one.stdout).to.match(/^Summary: total 1, healthy 1, unhealthy 0\nhealthy {3}acme\/good — /)
  })
})

describe('rm (built CLI)', () => {
  async function twoRevisionCache(): Promise<string> {
    return buildCache(undefined, [
      {
        repoId: 'acme/model',
        revisions: [
          {commit: R1, files: {...mlxChatModelFiles(), 'only-in-r1.txt': 'r1'}, refs: ['main']},
          {commit: R2, files: {...mlxChatModelFiles(), 'only-in-r2.txt': 'r2'}, refs: ['v2']},
        ],
      },
      {repoId: 'acme/other', revisions: [{files: mlxChatModelFiles()}]},
    ])
  }

  it('refuses without --force in --json / non-TTY mode and deletes nothing', async () => {
    const hub = await twoRevisionCache()
    const r = await runMlxk(['rm', 'acme/model', '--json'], {hubCache: hub})
    expect(r.exitCode).to.equal(1)
    assertValidEnvelope(r.json)
    expect(r.json!.error!.type).to.equal('confirmation_required')
    expect(existsSync(join(hub, 'models--acme--model'))).to.equal(true)
    const human = await runMlxk(['rm', 'acme/model'], {hubCache: hub})
    expect(human.exitCode).to.equal(1)
    expect(human.stderr).to.match(/^mlxk rm: Error: .*confirmation required\n {2}Hint: Re-run with --force/)
    expect(existsSync(join(hub, 'models--acme--model'))).to.equal(true)
  })

  it('--dry-run reports the plan and deletes nothing', async () => {
    const hub = await twoRevisionCache()
    const r = await runMlxk(['rm', 'acme/model@2222', '--dry-run', '--json'], {hubCache: hub})
    expect(r.exitCode, r.stderr).to.equal(0)
    assertValidEnvelope(r.json, 'rm')
    expect(r.json!.data).to.include({action: 'dry_run'})
    expect(existsSync(join(hub, 'models--acme--model', 'snapshots', R2))).to.equal(true)
  })

  it('name@rev deletes that revision, its refs and only the blobs no other revision uses', async () => {
    const hub = await twoRevisionCache()
    const blobsBefore = readdirSync(join(hub, 'models--acme--model', 'blobs')).length
    const r = await runMlxk(['rm', 'acme/model@2222', '--force', '--json'], {hubCache: hub})
    expect(r.exitCode, r.stderr).to.equal(0)
    assertValidEnvelope(r.json, 'rm')
    const dir = join(hub, 'models--acme--model')
    expect(existsSync(join(dir, 'snapshots', R2))).to.equal(false)
    expect(existsSync(join(dir, 'refs', 'v2'))).to.equal(false)
    expect(existsSync(join(dir, 'snapshots', R1))).to.equal(true)
    expect(readdirSync(join(dir, 'blobs')).length).to.equal(blobsBefore - 1)
    const health = await runMlxk(['health', 'acme/model', '--json'], {hubCache: hub})
    expect(health.exitCode, JSON.stringify(health.json)).to.equal(0)
  })

  it('--force deletes the whole model and nothing else', async () => {
    const hub = await twoRevisionCache()
    const r = await runMlxk(['rm', 'acme/model', '--force', '--json'], {hubCache: hub})
    expect(r.exitCode, r.stderr).to.equal(0)
    expect(r.json!.data).to.include({action: 'deleted', model: 'acme/model'})
    expect(existsSync(join(hub, 'models--acme--model'))).to.equal(false)
    expect(existsSync(join(hub, 'models--acme--other'))).to.equal(true)
  })

  it('refuses while a download holds the model lock (Python flock), unless --force', async () => {
    const hub = await twoRevisionCache()
    const lockDir = join(hub, '.locks', 'models--acme--model')
    mkdirSync(lockDir, {recursive: true})
    const lockFile = join(lockDir, 'abc.lock')
    const holder = spawn('python3', [
      '-c',
      'import fcntl,sys,time\nf=open(sys.argv[1],"w")\nfcntl.flock(f,fcntl.LOCK_EX)\nprint("ok",flush=True)\ntime.sleep(60)',
      lockFile,
    ])
    try {
      await new Promise((resolve) => holder.stdout.once('data', resolve))
      const r = await runMlxk(['rm', 'acme/model', '--force', '--json'], {hubCache: hub})
      expect(r.exitCode, r.stderr).to.equal(0)
      const hub2 = await twoRevisionCache()
      const lockDir2 = join(hub2, '.locks', 'models--acme--model')
      mkdirSync(lockDir2, {recursive: true})
      const holder2 = spawn('python3', [
        '-c',
        'import fcntl,sys,time\nf=open(sys.argv[1],"w")\nfcntl.flock(f,fcntl.LOCK_EX)\nprint("ok",flush=True)\ntime.sleep(60)',
        join(lockDir2, 'x.lock'),
      ])
      await new Promise((resolve) => holder2.stdout.once('data', resolve))
      const refused = await runMlxk(['rm', 'acme/model', '--json'], {hubCache: hub2})
      holder2.kill('SIGKILL')
      expect(refused.exitCode).to.equal(1)
      expect(refused.json!.error!.type).to.equal('locks_present')
      expect(existsSync(join(hub2, 'models--acme--model'))).to.equal(true)
    } finally {
      holder.kill('SIGKILL')
    }
  })

  it('strict test mode stops a delete in a cache without the test sentinel', async () => {
    const hub = mkdtempSync(join(tmpdir(), 'mlxk-not-a-test-cache-'))
    const marked = await twoRevisionCache()
    // Copy the layout without the sentinel by building into a fresh dir and removing the marker.
    const unmarked = await buildCache(hub, [{repoId: 'acme/victim', revisions: [{files: mlxChatModelFiles()}]}])
    rmSync(join(unmarked, TEST_SENTINEL), {force: true})
    writeFileSync(join(unmarked, 'keep.txt'), 'x')
    const r = await runMlxk(['rm', 'acme/victim', '--force', '--json'], {
      env: {MLXK_STRICT_TEST_DELETE: '1'},
      hubCache: unmarked,
    })
    expect(r.exitCode).to.equal(1)
    expect(r.json!.error!.type).to.equal('deletion_failed')
    expect(existsSync(join(unmarked, 'models--acme--victim'))).to.equal(true)
    expect(existsSync(marked)).to.equal(true)
  })
})

describe('health of a model folder (workspace)', () => {
  it('checks a plain folder with the same rules, and reports a broken one', async () => {
    const {cpSync, mkdtempSync: mk, rmSync: rmf} = await import('node:fs')
    const dir = join(mk(join(tmpdir(), 'mlxk-ws-')), 'ws')
    cpSync(join(new URL('../fixtures/models/tiny-qwen2-bpe', import.meta.url).pathname), dir, {recursive: true})
    const ok = await runMlxk(['health', dir, '--json'])
    expect(ok.exitCode, ok.stderr).to.equal(0)
    assertValidEnvelope(ok.json, 'health')
    expect((ok.json!.data as {healthy: Array<{name: string; runtime_compatible: boolean}>}).healthy[0]).to.include({
      name: dir,
      runtime_compatible: true,
    })
    rmf(join(dir, 'model.safetensors'))
    const broken = await runMlxk(['health', dir, '--json'])
    expect(broken.exitCode).to.equal(3)
    expect((broken.json!.data as {unhealthy: Array<{code: string}>}).unhealthy[0]!.code).to.equal('weights_missing')
  })
})
