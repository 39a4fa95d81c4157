import {expect} from 'chai'
import {createHash} from 'node:crypto'
import {mkdtemp, readdir, readFile, readlink, stat} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {isMlxkError, type MlxkError} from '../../../src/sdk/errors.js'
import {pullModel, type PullEvent, type PullOptions} from '../../../src/sdk/services/pull.js'
import {cacheListing, standardRepos, type StandardRepos, TOKENS} from '../../hub/fixtures.js'
import {startTestHub, type TestHub} from '../../hub/hub-server.js'

const DIR = 'models--mlx-community--tiny-model'

describe('pull service against the test hub', function () {
  let repos: StandardRepos
  let hub: TestHub
  let root: string

  before(async () => {
    repos = await standardRepos()
    hub = await startTestHub({repos: [repos.model, repos.gated, repos.private], tokens: [TOKENS.other]})
  })
  after(async () => hub.close())
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'mlxk-pull-'))
    hub.faults.clear()
    hub.requests.length = 0
    hub.bytesServed.clear()
  })

  const pull = (spec: string, extra: Partial<PullOptions> & {token?: string} = {}) =>
    pullModel({
      env: {HF_ENDPOINT: hub.url, HF_HOME: join(root, 'hf-home'), ...(extra.token ? {HF_TOKEN: extra.token} : {})},
      root,
      spec,
      tuning: {maxRetries: 3, retryDelayMs: () => 10, ...extra.tuning},
      ...extra,
    })

  const failure = async (promise: Promise<unknown>): Promise<MlxkError> => {
    try {
      await promise
    } catch (error) {
      if (isMlxkError(error)) return error
      throw error
    }

    throw new Error('expected the pull to fail')
  }

  const main = () => repos.model.refs.get('main') as string

  /** The snapshot links the weights, with the content the hub holds. */
  const assertWeightsLinked = async () => {
    const file = repos.model.commits.get(main())!.files.get('extra/weights.safetensors')!
    const content = await readFile(join(root, DIR, 'snapshots', main(), file.path))
    expect(createHash('sha256').update(content).digest('hex')).to.equal(file.lfs!.sha256)
  }

  it('writes blobs by etag, relative links, trees json and refs/main', async () => {
    const events: PullEvent[] = []
    const data = await pull('mlx-community/tiny-model', {onEvent: (e) => events.push(e)})
    expect(data.download_status).to.equal('success')
    expect(data.commit_hash).to.equal(main())
    expect(data.revision).to.equal('main')
    const commit = repos.model.commits.get(main())!
    expect(data.files.map((f) => f.path).sort()).to.deep.equal([...commit.files.keys()].sort())
    expect(data.bytes_downloaded).to.equal(data.bytes_total)
    expect(data.message).not.to.include(root)
    const modelDir = join(root, DIR)
    for (const file of commit.files.values()) {
      const etag = file.lfs ? file.lfs.sha256 : file.blobId
      expect((await stat(join(modelDir, 'blobs', etag))).size).to.equal(file.size)
      const depth = file.path.split('/').length - 1
      expect(await readlink(join(modelDir, 'snapshots', main(), file.path))).to.equal(
        `${'../'.repeat(depth + 2)}blobs/${etag}`,
      )
    }

    expect(await readFile(join(modelDir, 'refs', 'main'), 'utf8')).to.equal(main())
    const trees = JSON.parse(await readFile(join(modelDir, 'trees', `${main()}.json`), 'utf8')) as {
      files: Record<string, unknown>
      format_version: number
    }
    expect(trees.format_version).to.equal(1)
    expect(Object.keys(trees.files)).to.have.length(commit.files.size)
    expect((await readdir(join(modelDir, 'blobs'))).filter((n) => n.includes('incomplete'))).to.deep.equal([])
    // Progress: a plan first, the publishing step after every file is done.
    const kinds = events.map((e) => e.type)
    expect(kinds[0]).to.equal('plan')
    expect(kinds.lastIndexOf('file_done')).to.be.lessThan(kinds.indexOf('publishing'))
  })

  it('never sends the token to the CDN origin', async () => {
    await pull('test-org/private-model', {token: TOKENS.granted})
    const cdn = hub.requests.filter((r) => r.origin === 'cdn')
    expect(cdn.length).to.be.greaterThan(0)
    expect(cdn.every((r) => !r.authorization)).to.equal(true)
    expect(hub.requests.filter((r) => r.origin === 'hub').every((r) => r.authorization)).to.equal(true)
  })

  it('is a fast no-op when the model is complete, and writes nothing', async () => {
    await pull('mlx-community/tiny-model')
    const before = await cacheListing(root)
    hub.requests.length = 0
    const data = await pull('mlx-community/tiny-model')
    expect(data.download_status).to.equal('already_exists')
    expect(data.bytes_downloaded).to.equal(0)
    expect(hub.requests.filter((r) => r.url.includes('/resolve/') || r.origin === 'cdn')).to.deep.equal([])
    expect(await cacheListing(root)).to.deep.equal(before)
  })

  it('pulls the commit an @revision names, and records the tag ref', async () => {
    const v1 = repos.model.refs.get('v1') as string
    const data = await pull('mlx-community/tiny-model@v1')
    expect(data.commit_hash).to.equal(v1)
    expect(await readFile(join(root, DIR, 'refs', 'v1'), 'utf8')).to.equal(v1)
    expect(await readFile(join(root, DIR, 'snapshots', v1, 'notes.txt'), 'utf8')).to.equal('first commit\n')
    const byCommit = await pull(`mlx-community/tiny-model@${main()}`)
    expect(byCommit.commit_hash).to.equal(main())
    // Blobs both commits share were reused, not fetched again.
    expect(byCommit.files.filter((f) => f.status === 'downloaded').map((f) => f.path)).to.deep.equal(['notes.txt'])
    expect(await readdir(join(root, DIR, 'refs'))).to.deep.equal(['v1'])
  })

  it('--dry-run reports the plan and writes nothing', async () => {
    const data = await pull('mlx-community/tiny-model', {dryRun: true})
    expect(data.download_status).to.equal('dry_run')
    expect(data.files.every((f) => f.status === 'planned')).to.equal(true)
    expect(await cacheListing(root)).to.deep.equal([])
  })

  it('--include/--exclude select files with fnmatch globs', async () => {
    const data = await pull('mlx-community/tiny-model', {exclude: ['extra/'], include: ['*.json', '*.safetensors']})
    const paths = data.files.map((f) => f.path)
    expect(paths).to.include('config.json')
    expect(paths).to.include('model.safetensors')
    expect(paths).not.to.include('extra/weights.safetensors')
    expect(paths).not.to.include('notes.txt')
  })

  describe('preflight errors leave the cache byte-identical', () => {
    const cases: Array<{
      expectType: string
      hint: RegExp
      reason?: string
      spec: string
      token?: string
      title: string
    }> = [
      {
        expectType: 'access_denied',
        hint: /HF_TOKEN/,
        spec: 'test-org/does-not-exist',
        title: 'missing repo, anonymous',
      },
      {
        expectType: 'model_not_found',
        hint: /spelling/,
        spec: 'test-org/does-not-exist',
        title: 'missing repo, with a token',
        token: TOKENS.other,
      },
      {expectType: 'access_denied', hint: /HF_TOKEN/, spec: 'test-org/private-model', title: 'private repo, anonymous'},
      {
        expectType: 'model_not_found',
        hint: /private/,
        spec: 'test-org/private-model',
        title: 'private repo, token without access',
        token: TOKENS.other,
      },
      {
        expectType: 'access_denied',
        hint: /terms.*HF_TOKEN/,
        reason: 'gated',
        spec: 'test-org/gated-model',
        title: 'gated repo, anonymous',
      },
      {
        expectType: 'access_denied',
        hint: /terms/,
        reason: 'gated',
        spec: 'test-org/gated-model',
        title: 'gated repo, token not granted',
        token: TOKENS.other,
      },
      {
        expectType: 'access_denied',
        hint: /token/,
        spec: 'mlx-community/tiny-model',
        title: 'invalid token',
        token: 'hf_unknownToken',
      },
      {
        expectType: 'revision_not_found',
        hint: /branch, tag or commit/,
        spec: 'mlx-community/tiny-model@no-such-branch',
        title: 'bad revision',
      },
      {expectType: 'ValidationError', hint: /org\/name/, spec: 'bad//name', title: 'invalid repo id'},
    ]
    for (const c of cases) {
      it(c.title, async () => {
        await pull('mlx-community/tiny-model@v1')
        const before = await cacheListing(root)
        const error = await failure(pull(c.spec, c.token ? {token: c.token} : {}))
        expect(error.type).to.equal(c.expectType)
        expect(error.hint ?? '').to.match(c.hint)
        if (c.reason) expect(error.details.reason).to.equal(c.reason)
        expect(error.message).not.to.include(root)
        expect(error.data).to.include.keys('model', 'download_status', 'message', 'expanded_name')
        expect(await cacheListing(root)).to.deep.equal(before)
      })
    }

    it('a gated repo is probed on a file the gate covers, and its public files alone need no token', async () => {
      await failure(pull('test-org/gated-model'))
      const probed = hub.requests.filter((r) => r.url.startsWith('/test-org/gated-model/resolve/'))
      expect(probed.map((r) => [r.url.split('/').pop(), r.status])).to.deep.equal([['model.safetensors', 401]])
      const data = await pull('test-org/gated-model', {include: ['README.md', '.gitattributes']})
      expect(data.download_status).to.equal('success')
      expect(data.files.map((f) => f.path).sort()).to.deep.equal(['.gitattributes', 'README.md'])
    })

    it('a granted token pulls the gated and the private repo', async () => {
      expect((await pull('test-org/gated-model', {token: TOKENS.granted})).download_status).to.equal('success')
      expect((await pull('test-org/private-model', {token: TOKENS.granted})).download_status).to.equal('success')
    })
  })

  it('a preflight timeout degrades to a warning and the pull goes on', async () => {
    hub.faults.add({kind: 'stall', ms: 400, on: 'api'})
    const data = await pull('mlx-community/tiny-model', {tuning: {preflightTimeoutMs: 150, retryDelayMs: () => 10}})
    expect(data.download_status).to.equal('success')
    expect(data.preflight_warning).to.match(/timeout/i)
  })

  it('fails cleanly, writing nothing, when the disk is too small', async () => {
    const error = await failure(pull('mlx-community/tiny-model', {freeBytes: async () => 1_000_000}))
    expect(error.type).to.equal('insufficient_disk_space')
    expect(error.details.needed_bytes).to.be.greaterThan(1_000_000)
    expect(await cacheListing(root)).to.deep.equal([])
  })

  it('resumes with Range after a dropped connection, in the same run', async () => {
    hub.faults.add({afterBytes: 1_000_000, kind: 'drop', path: 'extra/weights.safetensors'})
    const data = await pull('mlx-community/tiny-model')
    expect(data.download_status).to.equal('success')
    const ranges = hub.requests.filter(
      (r) =>
        r.origin === 'cdn' &&
        r.url.includes(repos.model.commits.get(main())!.files.get('extra/weights.safetensors')!.lfs!.sha256),
    )
    expect(ranges.map((r) => r.range)).to.have.length(2)
    expect(Number(/bytes=(\d+)-/.exec(ranges[1]!.range ?? '')?.[1])).to.be.at.least(900_000)
    expect(hub.bytesServed.get('extra/weights.safetensors')).to.be.lessThan(3_000_000 + 100_000)
  })

  it('resumes across runs: a failed pull keeps its bytes, the next one fetches only the rest', async () => {
    hub.faults.add({afterBytes: 2_000_000, kind: 'drop', path: 'extra/weights.safetensors', times: 10})
    const error = await failure(pull('mlx-community/tiny-model', {tuning: {maxRetries: 0, retryDelayMs: () => 10}}))
    expect(error.type).to.equal('download_failed')
    expect(error.hint).to.match(/resume/)
    // Nothing names the commit yet: no ref, no link to the partial file.
    expect(await readdir(join(root, DIR))).not.to.include('refs')
    const partial = (await readdir(join(root, DIR, 'blobs'))).filter((n) => n.endsWith('.incomplete'))
    expect(partial).to.have.length(1)
    hub.faults.clear()
    hub.bytesServed.clear()
    const data = await pull('mlx-community/tiny-model')
    expect(data.download_status).to.equal('success')
    const weights = data.files.find((f) => f.path === 'extra/weights.safetensors')!
    expect(weights.bytes_resumed).to.be.greaterThan(1_500_000)
    expect(hub.bytesServed.get('extra/weights.safetensors')).to.equal(3_000_000 - weights.bytes_resumed)
  })

  it('detects a corrupted byte by sha256, discards it and downloads again; never links it', async () => {
    hub.faults.add({afterBytes: 12_345, kind: 'corrupt', path: 'extra/weights.safetensors'})
    const data = await pull('mlx-community/tiny-model')
    expect(data.download_status).to.equal('success')
    expect(hub.bytesServed.get('extra/weights.safetensors')).to.equal(6_000_000)
    await assertWeightsLinked()
  })

  it('gives up with model_corrupted when every copy is corrupt, linking nothing', async () => {
    hub.faults.add({afterBytes: 5, kind: 'corrupt', path: 'config.json', times: 10})
    const error = await failure(pull('mlx-community/tiny-model'))
    expect(error.type).to.equal('model_corrupted')
    expect(await readdir(join(root, DIR))).not.to.include('snapshots')
    expect((await readdir(join(root, DIR, 'blobs'))).filter((n) => n.includes('incomplete'))).to.deep.equal([])
  })

  it('retries 5xx and 429 with backoff', async () => {
    hub.faults.add(
      {kind: 'status', path: 'config.json', status: 503, times: 2},
      {kind: 'status', path: 'notes.txt', retryAfter: 0, status: 429},
    )
    const data = await pull('mlx-community/tiny-model')
    expect(data.download_status).to.equal('success')
  })

  it('a stalled transfer is cut by the read timeout and resumed', async () => {
    hub.faults.add({afterBytes: 500_000, kind: 'stall', ms: 5000, path: 'extra/weights.safetensors'})
    const data = await pull('mlx-community/tiny-model', {tuning: {readTimeoutMs: 300, retryDelayMs: () => 10}})
    expect(data.download_status).to.equal('success')
  })

  describe('a server that ignores Range', () => {
    let plainHub: TestHub
    before(async () => {
      plainHub = await startTestHub({ignoreRange: true, repos: [repos.model]})
    })
    after(async () => plainHub.close())
    beforeEach(() => plainHub.bytesServed.clear())

    const plainPull = (tuning: Partial<PullOptions['tuning']>) =>
      pullModel({
        env: {HF_ENDPOINT: plainHub.url},
        root,
        spec: 'mlx-community/tiny-model',
        tuning: {maxRetries: 3, retryDelayMs: () => 10, ...tuning},
      })

    it('gets the file as one part when parts were planned', async () => {
      const data = await plainPull({minPartBytes: 500_000})
      expect(data.download_status).to.equal('success')
      await assertWeightsLinked()
    })

    it('resumes a dropped transfer from byte 0, using the whole-file answer it got', async () => {
      plainHub.faults.add({afterBytes: 1_000_000, kind: 'drop', path: 'extra/weights.safetensors'})
      const data = await plainPull({})
      expect(data.download_status).to.equal('success')
      expect(plainHub.bytesServed.get('extra/weights.safetensors')).to.equal(1_000_000 + 3_000_000)
      await assertWeightsLinked()
    })
  })

  it('splits a large file into parallel Range parts', async () => {
    const data = await pull('mlx-community/tiny-model', {tuning: {minPartBytes: 500_000, retryDelayMs: () => 10}})
    expect(data.download_status).to.equal('success')
    const sha = repos.model.commits.get(main())!.files.get('extra/weights.safetensors')!.lfs!.sha256
    const parts = hub.requests.filter((r) => r.origin === 'cdn' && r.url.includes(sha))
    expect(parts.length).to.equal(6)
    expect(hub.bytesServed.get('extra/weights.safetensors')).to.equal(3_000_000)
  })
})
