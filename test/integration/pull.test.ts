import {expect} from 'chai'
import {spawn} from 'node:child_process'
import {createHash} from 'node:crypto'
import {mkdtemp, open, readdir, readFile, stat} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {cacheListing, standardRepos, type StandardRepos, TOKENS} from '../hub/fixtures.js'
import {startTestHub, type TestHub} from '../hub/hub-server.js'
import {hasPythonHub, runPython} from '../hub/python.js'
import {BIN, ROOT, runMlxk} from '../helpers/run-cli.js'
import {assertValidEnvelope} from '../helpers/schemas.js'

const DIR = 'models--mlx-community--tiny-model'
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function readRange(path: string, position: number, length: number): Promise<Buffer | null> {
  const handle = await open(path, 'r').catch(() => null)
  if (!handle) return null
  try {
    const buffer = Buffer.alloc(length)
    const {bytesRead} = await handle.read(buffer, 0, length, position)
    return buffer.subarray(0, bytesRead)
  } finally {
    await handle.close()
  }
}

/** Every snapshot entry resolves to content of the size and hash the hub serves: no partial file is ever visible. */
async function assertSnapshotsSound(root: string, repos: StandardRepos): Promise<void> {
  const snapshots = await readdir(join(root, DIR, 'snapshots')).catch(() => [])
  for (const commit of snapshots) {
    const files = repos.model.commits.get(commit)!.files
    for (const file of files.values()) {
      const path = join(root, DIR, 'snapshots', commit, file.path)
      const content = await readFile(path).catch(() => null)
      if (content === null) continue
      expect(content.length, file.path).to.equal(file.size)
      if (file.lfs) expect(createHash('sha256').update(content).digest('hex'), file.path).to.equal(file.lfs.sha256)
    }
  }
}

describe('mlxk pull (built CLI against the test hub)', function () {
  this.timeout(120_000)
  let repos: StandardRepos
  let hub: TestHub
  let slowHub: TestHub
  let root: string

  before(async () => {
    repos = await standardRepos()
    hub = await startTestHub({repos: [repos.model, repos.gated, repos.private], tokens: [TOKENS.other]})
    // ~1 MB/s per connection: slow enough to kill a pull mid-file.
    slowHub = await startTestHub({repos: [repos.model], throttleBytesPerSecond: 1_000_000})
  })
  after(async () => Promise.all([hub.close(), slowHub.close()]))
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'mlxk-pull-cli-'))
    for (const h of [hub, slowHub]) {
      h.requests.length = 0
      h.bytesServed.clear()
      h.faults.clear()
    }
  })

  const env = (h: TestHub, extra: Record<string, string> = {}) => ({
    HF_ENDPOINT: h.url,
    MLXK_PULL_RETRY_DELAY_MS: '20',
    ...extra,
  })

  it('pulls a model and prints a schema-valid envelope; mlxk list and health accept it', async () => {
    const result = await runMlxk(['pull', 'mlx-community/tiny-model', '--json'], {env: env(hub), hubCache: root})
    expect(result.exitCode, result.stderr).to.equal(0)
    assertValidEnvelope(result.json, 'pull')
    const data = result.json!.data as Record<string, unknown>
    expect(data.download_status).to.equal('success')
    expect(data.model).to.equal('mlx-community/tiny-model')
    expect(data.expanded_name).to.equal(null)
    expect(result.stderr).to.equal('')
    expect(result.stdout).not.to.include(root)

    const again = await runMlxk(['pull', 'mlx-community/tiny-model', '--json'], {env: env(hub), hubCache: root})
    assertValidEnvelope(again.json, 'pull')
    expect((again.json!.data as Record<string, unknown>).download_status).to.equal('already_exists')

    const list = await runMlxk(['list', '--json'], {hubCache: root})
    expect(JSON.stringify(list.json)).to.include('mlx-community/tiny-model')
    const health = await runMlxk(['health', 'mlx-community/tiny-model', '--json'], {hubCache: root})
    expect((health.json!.data as {summary: {healthy_count: number}}).summary.healthy_count, health.stdout).to.equal(1)
  })

  it('human output is the upstream one-liner, with no progress noise off a terminal', async () => {
    const result = await runMlxk(['pull', 'mlx-community/tiny-model'], {env: env(hub), hubCache: root})
    expect(result.exitCode).to.equal(0)
    expect(result.stdout).to.match(
      /^pull: mlx-community\/tiny-model — Downloaded mlx-community\/tiny-model@[0-9a-f]{7}/,
    )
    expect(result.stderr).to.equal('')
  })

  it('a gated model fails with access_denied before anything is written, though its README is public', async () => {
    const gated = repos.gated.commits.get(repos.gated.refs.get('main')!)!.files
    const smallest = [...gated.values()].sort((a, b) => a.size - b.size)[0]!
    // The case that fooled a preflight probing the smallest file: the Hub serves it to anyone.
    expect(smallest.path).to.be.oneOf(['README.md', '.gitattributes'])
    // A cache in use (blobs, snapshots, refs, .locks/) must come out byte-identical, not merely stay empty.
    expect((await runMlxk(['pull', 'mlx-community/tiny-model@v1'], {env: env(hub), hubCache: root})).exitCode).to.equal(
      0,
    )
    const before = await cacheListing(root)
    expect(before.some((entry) => entry.startsWith('D .locks/'))).to.equal(true)
    for (const token of [undefined, TOKENS.other]) {
      const result = await runMlxk(['pull', 'test-org/gated-model', '--json'], {
        env: env(hub, token ? {HF_TOKEN: token} : {}),
        hubCache: root,
      })
      expect(result.exitCode, result.stdout).to.equal(1)
      assertValidEnvelope(result.json)
      expect(result.json!.error!.type).to.equal('access_denied')
      expect(result.json!.error!.reason).to.equal('gated')
      expect(result.json!.error!.hint).to.match(token ? /terms/ : /HF_TOKEN/)
      expect((result.json!.data as Record<string, unknown>).download_status).to.equal('access_denied')
      expect(await cacheListing(root)).to.deep.equal(before)
    }

    const human = await runMlxk(['pull', 'test-org/gated-model'], {env: env(hub), hubCache: root})
    expect(human.stderr).to.match(/Error: Access denied.*gated/)
    expect(human.stderr).to.match(/Hint: .*HF_TOKEN/)
    expect(await cacheListing(root)).to.deep.equal(before)
  })

  it('reads the token from HF_TOKEN, else from $HF_HOME/token, and never prints it', async () => {
    const viaEnv = await runMlxk(['pull', 'test-org/private-model', '--json'], {
      env: env(hub, {HF_TOKEN: TOKENS.granted}),
      hubCache: root,
    })
    expect(viaEnv.exitCode, viaEnv.stdout).to.equal(0)
    const home = await mkdtemp(join(tmpdir(), 'mlxk-hf-home-'))
    const {writeFile} = await import('node:fs/promises')
    await writeFile(join(home, 'token'), `${TOKENS.granted}\n`)
    const other = await mkdtemp(join(tmpdir(), 'mlxk-pull-cli-'))
    const viaFile = await runMlxk(['pull', 'test-org/gated-model', '--json'], {
      env: env(hub, {HF_HOME: home}),
      hubCache: other,
    })
    expect(viaFile.exitCode, viaFile.stdout).to.equal(0)
    for (const r of [viaEnv, viaFile]) expect(r.stdout + r.stderr).not.to.include(TOKENS.granted)
  })

  it('--dry-run writes nothing', async () => {
    const result = await runMlxk(['pull', 'mlx-community/tiny-model', '--dry-run', '--json'], {
      env: env(hub),
      hubCache: root,
    })
    assertValidEnvelope(result.json, 'pull')
    expect((result.json!.data as Record<string, unknown>).download_status).to.equal('dry_run')
    expect(await cacheListing(root)).to.deep.equal([])
  })

  /** A pull in a child process, to be killed with SIGKILL mid-transfer. */
  const startPull = (h: TestHub) => {
    const child = spawn(process.execPath, [BIN, 'pull', 'mlx-community/tiny-model', '--json'], {
      cwd: ROOT,
      env: {...process.env, ...env(h), HF_HUB_CACHE: root},
      stdio: 'ignore',
    })
    const exited = new Promise((resolve) => child.on('close', resolve))
    return {
      async kill() {
        child.kill('SIGKILL')
        await exited
      },
    }
  }

  const waitForServed = async (h: TestHub, path: string, bytes: number): Promise<void> => {
    const deadline = Date.now() + 20_000
    while ((h.bytesServed.get(path) ?? 0) < bytes && Date.now() < deadline) await sleep(20)
  }

  it('kill -9 during a stalled transfer keeps what reached the disk: the re-run fetches only the rest', async () => {
    const weights = repos.model.commits.get(repos.model.refs.get('main')!)!.files.get('extra/weights.safetensors')!
    const {size} = weights
    const stallAt = size / 2
    // A burst, then a CDN hang: no later chunk comes to carry the partial file's trailer forward.
    hub.faults.add({afterBytes: stallAt, kind: 'stall', ms: 5000, path: weights.path})
    const pull = startPull(hub)
    // The promise is timed from the disk, not the socket: a loaded machine may read the burst late.
    const partial = join(root, DIR, 'blobs', `${weights.lfs!.sha256}.6d6c786b.incomplete`)
    const lastBytes = weights.inline!.subarray(stallAt - 64, stallAt)
    const deadline = Date.now() + 20_000
    while (Date.now() < deadline && !(await readRange(partial, stallAt - 64, 64))?.equals(lastBytes)) await sleep(10)
    // The trailer catches up with the disk within ~200 ms.
    await sleep(300)
    await pull.kill()
    expect(hub.bytesServed.get(weights.path)).to.equal(stallAt)
    const result = await runMlxk(['pull', 'mlx-community/tiny-model', '--json'], {env: env(hub), hubCache: root})
    expect(result.exitCode, result.stdout).to.equal(0)
    const file = (result.json!.data as {files: Array<{bytes_resumed: number; path: string}>}).files.find(
      (f) => f.path === weights.path,
    )!
    expect(hub.bytesServed.get(weights.path), 'bytes served over both runs').to.be.at.most(size * 1.05)
    expect(file.bytes_resumed).to.equal(stallAt)
    await assertSnapshotsSound(root, repos)
  })

  it('survives kill -9 at random points: each re-run resumes, bytes on disk are not fetched again, no snapshot shows a bad file', async () => {
    const weights = 'extra/weights.safetensors'
    let killed = 0
    for (const fraction of [0.25, 0.5, 0.75].map((f) => f + (Math.random() - 0.5) * 0.1)) {
      const servedBefore = slowHub.bytesServed.get(weights) ?? 0
      const pull = startPull(slowHub)
      await waitForServed(slowHub, weights, 3_000_000 * fraction)
      // A moment for the partial file's trailer (written at most every 200 ms) to catch up with the socket.
      await sleep(250 + Math.random() * 100)
      await pull.kill()
      killed++
      expect(slowHub.bytesServed.get(weights) ?? 0).to.be.greaterThan(servedBefore)
      await assertSnapshotsSound(root, repos)
      const partials = (await readdir(join(root, DIR, 'blobs'))).filter((n) => n.endsWith('.incomplete'))
      expect(partials.length).to.be.at.most(1)
    }

    expect(killed).to.equal(3)
    const rangeStarts = () =>
      slowHub.requests
        .filter((r) => r.origin === 'cdn' && r.range)
        .map((r) => Number(/bytes=(\d+)-/.exec(r.range as string)?.[1]))
    // The hub may still count a chunk it pushed into the dead socket; let it settle.
    await sleep(300)
    const before = slowHub.bytesServed.get(weights) ?? 0
    const result = await runMlxk(['pull', 'mlx-community/tiny-model', '--json'], {env: env(slowHub), hubCache: root})
    expect(result.exitCode, result.stdout).to.equal(0)
    const file = (result.json!.data as {files: Array<{bytes_resumed: number; path: string}>}).files.find(
      (f) => f.path === weights,
    )!
    expect(file.bytes_resumed).to.be.greaterThan(1_500_000)
    expect(rangeStarts().at(-1)).to.equal(file.bytes_resumed)
    expect((slowHub.bytesServed.get(weights) ?? 0) - before).to.equal(3_000_000 - file.bytes_resumed)
    expect(file.bytes_resumed).to.be.greaterThan(0)
    // Over all four runs, little more than the file itself crossed the wire.
    expect(slowHub.bytesServed.get(weights)).to.be.lessThan(3_000_000 * 1.35)
    await assertSnapshotsSound(root, repos)
    expect((await readdir(join(root, DIR, 'blobs'))).filter((n) => n.includes('incomplete'))).to.deep.equal([])
  })

  it('two concurrent pulls of the same model both succeed, and each blob is served once', async () => {
    const [a, b] = await Promise.all([
      runMlxk(['pull', 'mlx-community/tiny-model', '--json'], {env: env(slowHub), hubCache: root}),
      runMlxk(['pull', 'mlx-community/tiny-model', '--json'], {env: env(slowHub), hubCache: root}),
    ])
    expect(a.exitCode, a.stdout).to.equal(0)
    expect(b.exitCode, b.stdout).to.equal(0)
    const files = repos.model.commits.get(repos.model.refs.get('main')!)!.files
    for (const file of files.values()) expect(slowHub.bytesServed.get(file.path) ?? 0, file.path).to.equal(file.size)
    await assertSnapshotsSound(root, repos)
  })

  it('mlxk list and health accept what Python pulled from the test hub', async function () {
    if (!hasPythonHub()) this.skip()
    const result = await runPython(
      `from huggingface_hub import snapshot_download; snapshot_download('mlx-community/tiny-model')`,
      {
        HF_ENDPOINT: hub.url,
        HF_HUB_CACHE: root,
      },
    )
    expect(result.code, result.stderr).to.equal(0)
    const list = await runMlxk(['list', '--json'], {hubCache: root})
    expect(JSON.stringify(list.json)).to.include('mlx-community/tiny-model')
    const health = await runMlxk(['health', 'mlx-community/tiny-model', '--json'], {hubCache: root})
    expect((health.json!.data as {summary: {healthy_count: number}}).summary.healthy_count, health.stdout).to.equal(1)
    // And mlxk sees Python's snapshot as complete: nothing to download.
    const pull = await runMlxk(['pull', 'mlx-community/tiny-model', '--json'], {env: env(hub), hubCache: root})
    expect((pull.json!.data as Record<string, unknown>).download_status).to.equal('already_exists')
    expect((await stat(join(root, DIR, 'refs', 'main'))).isFile()).to.equal(true)
  })
})
