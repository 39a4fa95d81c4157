import {expect} from 'chai'
import {createHash} from 'node:crypto'
import {cpSync, mkdtempSync} from 'node:fs'
import {mkdir, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {isMlxkError, type MlxkError} from '../../../src/sdk/errors.js'
import {type PushData, type PushOptions, pushWorkspace} from '../../../src/sdk/services/push.js'
import {startTestHub, type TestHub} from '../../hub/hub-server.js'
import {buildRepo, pseudoRandomBytes} from '../../hub/repo-fixture.js'

const MODEL = new URL('../../fixtures/models/tiny-qwen2-bpe', import.meta.url).pathname
const WRITER = 'hf_writerTokenForPushTests'
const READER = 'hf_readOnlyTokenForPushTests'

interface TreeEntry {
  lfs?: {oid: string}
  oid: string
  path: string
  size: number
  type: string
}

async function remoteTree(hub: TestHub, repo: string, rev = 'main'): Promise<TreeEntry[]> {
  const response = await fetch(`${hub.url}/api/models/${repo}/tree/${rev}?recursive=true`, {
    headers: {Authorization: `Bearer ${WRITER}`},
  })
  expect(response.status, await response.clone().text()).to.equal(200)
  return ((await response.json()) as TreeEntry[]).filter((e) => e.type === 'file')
}

function workspace(): string {
  const dir = mkdtempSync(join(tmpdir(), 'mlxk-push-ws-'))
  cpSync(MODEL, dir, {recursive: true})
  return dir
}

async function failure(promise: Promise<unknown>): Promise<MlxkError> {
  try {
    await promise
  } catch (error) {
    if (isMlxkError(error)) return error
    throw error
  }

  throw new Error('expected the push to fail')
}

describe('push service against the test hub', function () {
  this.timeout(60_000)
  let hub: TestHub
  let dir: string
  let counter = 0
  let repo: string

  before(async () => {
    const existing = await buildRepo({
      commits: [{files: {'config.json': '{}', 'README.md': 'hello\n'}}],
      id: 'someone-else/public-model',
    })
    hub = await startTestHub({repos: [existing], tokens: [READER], writers: {[WRITER]: ['me']}})
  })
  after(async () => hub.close())
  beforeEach(() => {
    dir = workspace()
    repo = `me/model-${++counter}`
    hub.upload.faults.clear()
  })

  const env = (token: null | string = WRITER) => ({
    ...process.env,
    HF_ENDPOINT: hub.url,
    ...(token ? {HF_TOKEN: token} : {HF_TOKEN: ''}),
  })
  const push = (extra: Partial<PushOptions> = {}, token: null | string = WRITER): Promise<PushData> =>
    pushWorkspace({branch: 'main', commitMessage: 'mlx-knife push', dir, env: env(token), repoId: repo, ...extra})

  it('creates a private repo and commits regular and LFS files; the Hub holds the exact bytes', async () => {
    const data = await push({create: true})
    expect(data.created_repo).to.equal(true)
    expect(data.no_changes).to.equal(false)
    expect(data.commit_sha).to.match(/^[0-9a-f]{40}$/)
    expect(data.commit_url).to.equal(`${hub.url}/${repo}/commit/${data.commit_sha}`)
    expect(data.repo_url).to.equal(`${hub.url}/${repo}`)
    expect(data.uploaded_files_count).to.equal(7)
    expect(data.change_summary).to.deep.equal({added: 7, deleted: 0, modified: 0})
    expect(data.upload).to.include({lfs_files: 1, lfs_uploaded: 1, lfs_already_on_hub: 0, regular_files: 6})
    const tree = await remoteTree(hub, repo)
    const weights = tree.find((e) => e.path === 'model.safetensors')
    const local = await readFile(join(dir, 'model.safetensors'))
    expect(weights?.lfs?.oid).to.equal(createHash('sha256').update(local).digest('hex'))
    expect(tree.map((e) => e.path)).to.include.members(['.gitattributes', 'config.json', 'tokenizer.json'])
    // The LFS PUT went to the storage origin, without the token.
    const puts = hub.requests.filter((r) => r.method === 'PUT')
    expect(puts.length).to.be.greaterThan(0)
    expect(puts.every((r) => r.origin === 'cdn' && !r.authorization)).to.equal(true)
    const info = await fetch(`${hub.url}/api/models/${repo}`)
    expect(info.status, 'the new repo is private: invisible anonymously').to.equal(401)
  })

  it('a second push of the same folder makes no commit', async () => {
    await push({create: true})
    const commits = hub.upload.commits.length
    const again = await push()
    expect(again).to.include({commit_sha: null, commit_url: null, no_changes: true, uploaded_files_count: 0})
    expect(again.message).to.match(/Skipping to prevent empty commit/)
    expect(again.hf_logs.join('\n')).to.match(/No files have been modified/)
    expect(hub.upload.commits.length).to.equal(commits)
  })

  it('dry-run counts added, modified (by hash, same size) and deleted files and writes nothing; the push then does exactly that', async () => {
    await push({create: true})
    const config = await readFile(join(dir, 'config.json'), 'utf8')
    // Same size, different content: only the hash can tell.
    expect(config).to.include('"qwen2"')
    await writeFile(join(dir, 'config.json'), config.replace('"qwen2"', '"qwen3"'))
    const weights = await readFile(join(dir, 'model.safetensors'))
    weights[weights.length - 1] ^= 0xff
    await writeFile(join(dir, 'model.safetensors'), weights)
    await writeFile(join(dir, 'new.txt'), 'new\n')
    await rm(join(dir, 'README.md'))
    const commits = hub.upload.commits.length
    const dry = await push({dryRun: true})
    expect(dry.dry_run).to.equal(true)
    expect(dry.dry_run_summary).to.deep.equal({added: 1, deleted: 1, modified: 2})
    expect(dry.added_files).to.deep.equal(['new.txt'])
    expect(dry.deleted_files).to.deep.equal(['README.md'])
    expect(dry.modified_files).to.deep.equal(['config.json', 'model.safetensors'])
    expect(dry.message).to.equal('Dry-run: +1 ~2 -1')
    expect(dry).to.include({
      commit_sha: null,
      no_changes: false,
      uploaded_files_count: 0,
      would_create_branch: false,
      would_create_repo: false,
    })
    expect(hub.upload.commits.length).to.equal(commits)

    const real = await push()
    expect(real.change_summary).to.deep.equal({added: 1, deleted: 1, modified: 2})
    expect(real.uploaded_files_count).to.equal(4)
    const paths = (await remoteTree(hub, repo)).map((e) => e.path)
    expect(paths).to.include('new.txt')
    expect(paths).not.to.include('README.md')
    expect(paths, 'the Hub-made .gitattributes is never deleted').to.include('.gitattributes')
  })

  it('dry-run against a missing repo or branch plans creation and writes nothing', async () => {
    const noRepo = await push({dryRun: true})
    expect(noRepo).to.include({would_create_repo: true, no_changes: false})
    expect(noRepo.added_files).to.have.length(7)
    await push({create: true})
    const noBranch = await push({branch: 'feature', dryRun: true})
    expect(noBranch).to.include({would_create_branch: true, would_create_repo: false})
    expect(noBranch.dry_run_summary).to.deep.equal({added: 0, deleted: 0, modified: 0})
    const refs = await fetch(`${hub.url}/api/models/${repo}/revision/feature`, {
      headers: {Authorization: `Bearer ${WRITER}`},
    })
    expect(refs.status).to.equal(404)
  })

  it('--create makes a missing branch (from main) and pushes to it', async () => {
    await push({create: true})
    await writeFile(join(dir, 'branch-only.txt'), 'b\n')
    const data = await push({branch: 'feature', create: true})
    expect(data.created_branch).to.equal(true)
    expect(data.change_summary).to.deep.equal({added: 1, deleted: 0, modified: 0})
    expect((await remoteTree(hub, repo, 'feature')).map((e) => e.path)).to.include('branch-only.txt')
    expect((await remoteTree(hub, repo, 'main')).map((e) => e.path)).not.to.include('branch-only.txt')
  })

  it('--check-only works offline and without a token', async () => {
    const data = await pushWorkspace({
      branch: 'main',
      checkOnly: true,
      commitMessage: 'x',
      dir,
      env: {...process.env, HF_ENDPOINT: 'http://127.0.0.1:9', HF_TOKEN: ''},
      repoId: repo,
    })
    expect(data.no_changes).to.equal(null)
    expect(data.message).to.equal('Check-only: no upload performed.')
    const h = data.workspace_health!
    expect(h.healthy).to.equal(true)
    expect(h.config).to.deep.equal({exists: true, path: 'config.json', valid_json: true})
    expect(h.weights).to.include({count: 1, pattern_complete: null})
    await rm(join(dir, 'model.safetensors'))
    const broken = await pushWorkspace({
      branch: 'main',
      checkOnly: true,
      commitMessage: 'x',
      dir,
      env: env(null),
      repoId: repo,
    })
    expect(broken.workspace_health!.healthy).to.equal(false)
    expect(broken.workspace_health!.anomalies.map((a) => a.code)).to.include('no_weights_found')
  })

  it('maps each failure to upstream’s error types', async () => {
    expect((await failure(push({}, null))).type).to.equal('auth_error')
    expect((await failure(push({dir: join(dir, 'missing')}))).type).to.equal('workspace_not_found')
    const notFound = await failure(push())
    expect(notFound.type).to.equal('repo_not_found')
    expect(notFound.message).to.equal(`Repository not found: ${repo} (use --create)`)
    expect((await failure(push({}, 'hf_unknownToken123'))).type).to.equal('auth_error')
    const forbidden = await failure(push({repoId: 'someone-else/public-model'}, READER))
    expect(forbidden.type).to.equal('upload_failed')
    expect(forbidden.message).to.match(/403/)
    const createElsewhere = await failure(push({create: true, repoId: 'someone-else/new-model'}))
    expect(createElsewhere.type).to.equal('upload_failed')
    await push({create: true})
    expect((await failure(push({branch: 'nope'}))).type).to.equal('upload_failed')
    // Envelope data still carries the push fields, and never the token.
    const error = await failure(push({}, 'hf_unknownToken123'))
    expect(
      JSON.stringify({data: error.data, details: error.details, message: error.message, hint: error.hint}),
    ).not.to.include('hf_unknownToken123')
  })

  it('re-running a push whose commit failed uploads no LFS object again', async () => {
    await writeFile(join(dir, 'extra.safetensors'), pseudoRandomBytes(400_000, 3))
    hub.upload.faults.add({on: 'commit', status: 500})
    const first = await failure(push({create: true}))
    expect(first.type).to.equal('upload_failed')
    const putsAfterFirst = hub.upload.lfsPuts.length
    const commits = hub.upload.commits.length
    const second = await push({create: true})
    expect(hub.upload.lfsPuts.length, 'no LFS object is sent twice').to.equal(putsAfterFirst)
    expect(second.upload).to.include({lfs_files: 2, lfs_uploaded: 0, lfs_already_on_hub: 2})
    expect(hub.upload.commits.length).to.equal(commits + 1)
  })

  it('re-running after a dropped upload sends only the objects that never arrived', async () => {
    for (let i = 0; i < 3; i++) await writeFile(join(dir, `shard-${i}.safetensors`), pseudoRandomBytes(300_000, 10 + i))
    const before = hub.upload.lfsPuts.length
    hub.upload.faults.add({drop: true, on: 'lfs_put'})
    expect((await failure(push({create: true}))).type).to.equal('upload_failed')
    const arrived = new Set(hub.upload.lfsPuts.slice(before))
    const second = await push({create: true})
    const resent = hub.upload.lfsPuts.slice(before + arrived.size)
    expect(
      resent.filter((oid) => arrived.has(oid)),
      'objects that arrived are not re-sent',
    ).to.deep.equal([])
    expect(second.upload!.lfs_uploaded).to.equal(4 - arrived.size)
    expect(second.upload!.lfs_already_on_hub).to.equal(arrived.size)
  })

  it('.hfignore keeps files out of the push, and remote files it matches are not deleted', async () => {
    await mkdir(join(dir, 'drafts'))
    await writeFile(join(dir, 'drafts', 'notes.md'), 'private notes\n')
    await writeFile(join(dir, 'scratch.log'), 'log\n')
    await writeFile(join(dir, '.hfignore'), 'drafts/\n*.log\nREADME.md\n')
    const data = await push({create: true})
    expect(data.local_files_count).to.equal(10)
    expect(data.ignored_files_count).to.equal(4)
    const paths = (await remoteTree(hub, repo)).map((e) => e.path)
    expect(paths).not.to.include.members(['drafts/notes.md', 'scratch.log', '.hfignore', 'README.md'])
    // README.md exists remotely after a push without the rule; adding the rule later must not delete it.
    await writeFile(join(dir, '.hfignore'), 'drafts/\n*.log\n')
    await push()
    await writeFile(join(dir, '.hfignore'), 'drafts/\n*.log\nREADME.md\n')
    await rm(join(dir, 'README.md'))
    const dry = await push({dryRun: true})
    expect(dry.deleted_files).to.deep.equal([])
  })

  it('a token without the hf_ prefix is sent as a header to the Hub only', async () => {
    const hub2 = await startTestHub({repos: [], writers: {'proxy-token-1234': ['me']}})
    try {
      const data = await pushWorkspace({
        branch: 'main',
        commitMessage: 'x',
        create: true,
        dir,
        env: {...process.env, HF_ENDPOINT: hub2.url, HF_TOKEN: 'proxy-token-1234'},
        repoId: 'me/proxied',
      })
      expect(data.commit_sha).to.match(/^[0-9a-f]{40}$/)
      expect(hub2.requests.filter((r) => r.origin === 'cdn').every((r) => !r.authorization)).to.equal(true)
    } finally {
      await hub2.close()
    }
  })
})
