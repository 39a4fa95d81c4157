import {expect} from 'chai'
import {createHash} from 'node:crypto'
import {mkdtemp, readdir, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {cloneModel} from '../../../src/sdk/services/clone.js'
import {pullModel} from '../../../src/sdk/services/pull.js'
import {pushWorkspace} from '../../../src/sdk/services/push.js'
import {standardRepos} from '../../hub/fixtures.js'
import {startTestHub, type TestHub} from '../../hub/hub-server.js'

const TOKEN = 'hf_roundTripWriter'

/** path → sha256 of every regular file under dir (symlinks followed), minus the given names. */
async function contents(dir: string, skip: string[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  for (const entry of (await readdir(dir, {recursive: true, withFileTypes: true})).filter((e) => !e.isDirectory())) {
    const path = join(entry.parentPath, entry.name).slice(dir.length + 1)
    if (skip.includes(path)) continue
    out[path] = createHash('sha256')
      .update(await readFile(join(dir, path)))
      .digest('hex')
  }

  return out
}

describe('round trip: pull → clone → edit → push → pull elsewhere', function () {
  this.timeout(60_000)
  let hub: TestHub
  before(async () => {
    hub = await startTestHub({repos: [(await standardRepos()).model], writers: {[TOKEN]: ['me']}})
  })
  after(async () => hub.close())

  it('the pushed repo, pulled into another cache, holds exactly the edited workspace', async () => {
    const env = {...process.env, HF_ENDPOINT: hub.url, HF_TOKEN: TOKEN}
    const cacheA = await mkdtemp(join(tmpdir(), 'mlxk-rt-a-'))
    const cacheB = await mkdtemp(join(tmpdir(), 'mlxk-rt-b-'))
    const work = await mkdtemp(join(tmpdir(), 'mlxk-rt-ws-'))
    await pullModel({env, root: cacheA, spec: 'mlx-community/tiny-model'})
    const clone = await cloneModel({
      cwd: work,
      env,
      mlxkVersion: 'test',
      root: cacheA,
      spec: 'mlx-community/tiny-model',
      target: 'ws',
    })
    expect(clone.source).to.equal('cache')
    const ws = clone.target_dir
    await writeFile(join(ws, 'notes.txt'), 'edited in the workspace\n')
    await rm(join(ws, 'extra', 'weights.safetensors'))
    await writeFile(join(ws, 'added.md'), '# new\n')

    const push = await pushWorkspace({
      branch: 'main',
      commitMessage: 'edit',
      create: true,
      dir: ws,
      env,
      repoId: 'me/tiny-edit',
    })
    expect(push.change_summary).to.deep.equal({added: 9, deleted: 0, modified: 0})
    const second = await pushWorkspace({branch: 'main', commitMessage: 'edit', dir: ws, env, repoId: 'me/tiny-edit'})
    expect(second.no_changes).to.equal(true)

    const pulled = await pullModel({env, root: cacheB, spec: 'me/tiny-edit'})
    expect(pulled.commit_hash).to.equal(push.commit_sha)
    const snapshot = join(cacheB, 'models--me--tiny-edit', 'snapshots', push.commit_sha as string)
    const remote = await contents(snapshot, ['.gitattributes'])
    const local = await contents(ws, ['.mlxk_workspace.json'])
    expect(remote).to.deep.equal(local)
    expect(Object.keys(remote)).to.include('added.md').and.not.include('extra/weights.safetensors')
  })
})
