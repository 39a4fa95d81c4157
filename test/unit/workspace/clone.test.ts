import {expect} from 'chai'
import {constants} from 'node:fs'
import {copyFile, lstat, mkdir, mkdtemp, readdir, readFile, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {isMlxkError, type MlxkError} from '../../../src/sdk/errors.js'
import {type CloneOptions, cloneModel} from '../../../src/sdk/services/clone.js'
import {readSentinel, SENTINEL_NAME, workspaceStatus} from '../../../src/sdk/workspace/sentinel.js'
import {standardRepos} from '../../hub/fixtures.js'
import {startTestHub, type TestHub} from '../../hub/hub-server.js'

const MODEL = 'mlx-community/tiny-model'

async function failure(promise: Promise<unknown>): Promise<MlxkError> {
  try {
    await promise
  } catch (error) {
    if (isMlxkError(error)) return error
    throw error
  }

  throw new Error('expected the clone to fail')
}

async function allEntries(dir: string): Promise<string[]> {
  return (await readdir(dir, {recursive: true})).map(String).sort()
}

describe('clone service', function () {
  this.timeout(60_000)
  let hub: TestHub
  let root: string
  let work: string

  before(async () => {
    const repos = await standardRepos()
    hub = await startTestHub({repos: [repos.model]})
  })
  after(async () => hub.close())
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'mlxk-clone-cache-'))
    work = await mkdtemp(join(tmpdir(), 'mlxk-clone-work-'))
  })

  const clone = (extra: Partial<CloneOptions> = {}, endpoint = hub.url) =>
    cloneModel({
      cwd: work,
      env: {...process.env, HF_ENDPOINT: endpoint},
      mlxkVersion: '0.1.0-test',
      root,
      spec: MODEL,
      ...extra,
    })

  it('pulls a missing model into the cache, then makes a workspace of real files with a sentinel', async () => {
    const data = await clone({target: 'ws'})
    expect(data).to.include({
      clone_status: 'success',
      health_check: true,
      message: 'Cloned to ws',
      model: MODEL,
      revision: 'main',
      sentinel: SENTINEL_NAME,
      source: 'hub',
    })
    expect(data.target_dir).to.equal(join(work, 'ws'))
    expect(data).to.include({health: 'healthy', health_code: 'ok'})
    expect(data.commit).to.match(/^[0-9a-f]{40}$/)
    for (const entry of await allEntries(data.target_dir)) {
      expect((await lstat(join(data.target_dir, entry))).isSymbolicLink(), entry).to.equal(false)
    }

    const sentinel = await readSentinel(data.target_dir)
    expect(sentinel?.source).to.deep.equal({commit: data.commit, repo_id: MODEL, revision: 'main'})
    expect(sentinel?.fingerprint.files.map((f) => f.path)).to.include.members([
      'config.json',
      'extra/weights.safetensors',
    ])
    expect(sentinel?.fingerprint.files.find((f) => f.path === 'extra/weights.safetensors')?.sha256).to.match(
      /^[0-9a-f]{64}$/,
    )
    expect((await workspaceStatus(data.target_dir)).state).to.equal('clean')
    expect(await readdir(work), 'no staging folder is left').to.deep.equal(['ws'])
    // The cache is untouched by edits: the workspace does not share files with it.
    await writeFile(join(data.target_dir, 'notes.txt'), 'edited\n')
    expect((await workspaceStatus(data.target_dir)).modified).to.deep.equal(['notes.txt'])
    const again = await clone({target: 'ws2'}, 'http://127.0.0.1:9')
    expect(await readFile(join(again.target_dir, 'notes.txt'), 'utf8')).to.equal('second commit\n')
  })

  it('clones from the cache without the network when the model is complete there', async () => {
    await clone({target: 'first'})
    const data = await clone({target: 'second'}, 'http://127.0.0.1:9')
    expect(data.source).to.equal('cache')
  })

  it('honours @revision', async () => {
    const data = await clone({spec: `${MODEL}@v1`, target: 'v1'})
    expect(data.revision).to.equal('v1')
    expect(await readFile(join(data.target_dir, 'notes.txt'), 'utf8')).to.equal('first commit\n')
  })

  it('defaults the target to <MLXK_WORKSPACE_HOME>/<name>', async () => {
    const home = join(work, 'workspaces')
    const data = await cloneModel({
      cwd: work,
      env: {...process.env, HF_ENDPOINT: hub.url, MLXK_WORKSPACE_HOME: home},
      mlxkVersion: 'x',
      root,
      spec: MODEL,
    })
    expect(data.target_dir).to.equal(join(home, 'tiny-model'))
  })

  it('refuses a non-empty target or a file, and accepts an existing empty folder', async () => {
    await mkdir(join(work, 'busy'))
    await writeFile(join(work, 'busy', 'keep.txt'), 'mine')
    const busy = await failure(clone({target: 'busy'}))
    expect(busy.type).to.equal('InvalidTargetError')
    expect(busy.message).to.equal("Target directory 'busy' is not empty")
    expect(await readdir(join(work, 'busy'))).to.deep.equal(['keep.txt'])
    await writeFile(join(work, 'file'), 'x')
    expect((await failure(clone({target: 'file'}))).message).to.equal("Target 'file' exists but is not a directory")
    await mkdir(join(work, 'empty'))
    expect((await clone({target: 'empty'})).clone_status).to.equal('success')
  })

  it('falls back to a plain copy where the filesystem cannot clone', async () => {
    const modes: number[] = []
    const noReflink = async (src: string, dest: string, mode = 0) => {
      modes.push(mode)
      if (mode & constants.COPYFILE_FICLONE_FORCE) throw Object.assign(new Error('not supported'), {code: 'EOPNOTSUPP'})
      await copyFile(src, dest, mode)
    }

    const data = await clone({copyFile: noReflink, target: 'plain'})
    expect(data.copy_method).to.equal('copy')
    expect(modes.some((m) => (m & constants.COPYFILE_FICLONE_FORCE) !== 0)).to.equal(true)
    const reflink = async (src: string, dest: string) => copyFile(src, dest)
    expect((await clone({copyFile: reflink, target: 'cow'})).copy_method).to.equal('reflink')
  })

  it('a failed copy leaves no half workspace', async () => {
    let n = 0
    const flaky = async (src: string, dest: string, mode = 0) => {
      if (++n > 6) throw Object.assign(new Error('disk on fire'), {code: 'EIO'})
      await copyFile(src, dest, mode & ~constants.COPYFILE_FICLONE_FORCE)
    }

    const error = await failure(clone({copyFile: flaky, target: 'broken'}))
    expect(error.type).to.equal('CloneFailedError')
    expect((error.data as {clone_status: string}).clone_status).to.equal('filesystem_error')
    expect(await readdir(work)).to.deep.equal([])
  })

  it('a repo the Hub does not have is PullFailedError', async () => {
    const error = await failure(clone({spec: 'mlx-community/does-not-exist', target: 'x'}))
    expect(error.type).to.equal('PullFailedError')
    expect(error.details.pull_error_type).to.equal('access_denied')
    expect((error.data as {clone_status: string}).clone_status).to.equal('pull_failed')
    expect(await readdir(work)).to.deep.equal([])
    expect((await failure(clone({spec: 'not a repo', target: 'x'}))).type).to.equal('ValidationError')
  })
})
