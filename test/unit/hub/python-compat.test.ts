import {expect} from 'chai'
import {mkdtemp, readFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {pullModel} from '../../../src/sdk/services/pull.js'
import {standardRepos, type StandardRepos, TOKENS} from '../../hub/fixtures.js'
import {startTestHub, type TestHub} from '../../hub/hub-server.js'
import {hasPythonHub, runPython} from '../../hub/python.js'

/** The test hub must speak the real protocol (Python's client is the judge), and mlxk's cache must satisfy Python. */
describe('test hub and cache compatibility with Python huggingface_hub', function () {
  this.timeout(120_000)
  let repos: StandardRepos
  let hub: TestHub

  before(async function () {
    if (!hasPythonHub()) this.skip()
    repos = await standardRepos()
    // Pagination and gzip on: the Python client must cope with both, as with the real Hub.
    hub = await startTestHub({
      gzipText: true,
      repos: [repos.model, repos.gated, repos.private],
      tokens: [TOKENS.other],
      treePageSize: 4,
    })
  })
  after(async () => hub?.close())

  const py = (code: string, cache: string, env: Record<string, string> = {}) =>
    runPython(code, {HF_ENDPOINT: hub.url, HF_HUB_CACHE: cache, ...env})

  it('snapshot_download from the test hub succeeds, at main and at a tag', async () => {
    const cache = await mkdtemp(join(tmpdir(), 'mlxk-py-'))
    const result = await py(
      `from huggingface_hub import snapshot_download
import os
p = snapshot_download('mlx-community/tiny-model')
print(open(os.path.join(p, 'notes.txt')).read().strip())
p = snapshot_download('mlx-community/tiny-model', revision='v1')
print(open(os.path.join(p, 'notes.txt')).read().strip())`,
      cache,
    )
    expect(result.stderr).to.equal('')
    expect(result.stdout.trim().split('\n')).to.deep.equal(['second commit', 'first commit'])
    expect(hub.requests.some((r) => r.origin === 'cdn' && !r.authorization)).to.equal(true)
  })

  it('Python sees the same error classes the real Hub produces', async () => {
    const cache = await mkdtemp(join(tmpdir(), 'mlxk-py-'))
    const result = await py(
      `from huggingface_hub import snapshot_download, hf_hub_download
from huggingface_hub.errors import GatedRepoError, RepositoryNotFoundError, RevisionNotFoundError, RemoteEntryNotFoundError
def kind(f):
    try:
        f(); return 'ok'
    except Exception as e:
        return type(e).__name__
print(kind(lambda: snapshot_download('test-org/gated-model')))
print(kind(lambda: snapshot_download('test-org/gated-model', token='${TOKENS.other}')))
print(kind(lambda: snapshot_download('test-org/gated-model', token='${TOKENS.granted}')))
print(kind(lambda: snapshot_download('test-org/private-model')))
print(kind(lambda: snapshot_download('test-org/private-model', token='${TOKENS.granted}')))
print(kind(lambda: snapshot_download('mlx-community/tiny-model', revision='nope')))
print(kind(lambda: hf_hub_download('mlx-community/tiny-model', 'missing.txt')))`,
      cache,
    )
    expect(result.stdout.trim().split('\n')).to.deep.equal([
      'GatedRepoError',
      'GatedRepoError',
      'ok',
      'RepositoryNotFoundError',
      'ok',
      'RevisionNotFoundError',
      'RemoteEntryNotFoundError',
    ])
  })

  it('Python accepts what mlxk pulled (scan_cache_dir, snapshot_download offline), and trees json matches byte for byte', async () => {
    const mlxkCache = await mkdtemp(join(tmpdir(), 'mlxk-ours-'))
    const data = await pullModel({env: {HF_ENDPOINT: hub.url}, root: mlxkCache, spec: 'mlx-community/tiny-model'})
    const commit = data.commit_hash as string
    const check = await py(
      `from huggingface_hub import snapshot_download, scan_cache_dir
info = scan_cache_dir()
assert not info.warnings, info.warnings
(repo,) = info.repos
(rev,) = repo.revisions
print(repo.repo_id, rev.commit_hash, len(rev.files), sorted(rev.refs))
print(snapshot_download('mlx-community/tiny-model', local_files_only=True).endswith(rev.commit_hash))`,
      mlxkCache,
      {HF_HUB_OFFLINE: '1'},
    )
    expect(check.stderr).to.equal('')
    const files = repos.model.commits.get(commit)!.files.size
    expect(check.stdout.trim().split('\n')).to.deep.equal([
      `mlx-community/tiny-model ${commit} ${files} ['main']`,
      'True',
    ])

    const pythonCache = await mkdtemp(join(tmpdir(), 'mlxk-py-'))
    await py(
      `from huggingface_hub import snapshot_download; snapshot_download('mlx-community/tiny-model')`,
      pythonCache,
    )
    const trees = (cache: string) =>
      readFile(join(cache, 'models--mlx-community--tiny-model', 'trees', `${commit}.json`), 'utf8')
    expect(await trees(mlxkCache)).to.equal(await trees(pythonCache))
  })

  it('Python refuses a snapshot mlxk left incomplete (the tree listing says what is missing)', async () => {
    const cache = await mkdtemp(join(tmpdir(), 'mlxk-ours-'))
    hub.faults.add({afterBytes: 100, kind: 'drop', path: 'extra/weights.safetensors', times: 5})
    await pullModel({
      env: {HF_ENDPOINT: hub.url},
      root: cache,
      spec: 'mlx-community/tiny-model',
      tuning: {maxRetries: 0},
    }).catch(() => null)
    hub.faults.clear()
    const result = await py(
      `from huggingface_hub import snapshot_download
try:
    snapshot_download('mlx-community/tiny-model', local_files_only=True); print('accepted')
except Exception as e:
    print(type(e).__name__)`,
      cache,
      {HF_HUB_OFFLINE: '1'},
    )
    expect(result.stdout.trim()).to.be.oneOf(['LocalEntryNotFoundError', 'IncompleteSnapshotError'])
  })
})
