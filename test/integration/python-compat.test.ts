import {expect} from 'chai'
import {execFileSync} from 'node:child_process'
import {existsSync, mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {importFolder} from '../../src/sdk/cache/import-folder.js'
import {markTestCache} from '../../src/sdk/cache/sentinel.js'
import {ROOT, runMlxk} from '../helpers/run-cli.js'

const PYTHON = join(ROOT, 'python-runtime', '.venv', 'bin', 'python')
const MODEL = join(ROOT, 'test', 'fixtures', 'models', 'tiny-qwen2-bpe')

describe('one cache shared with Python huggingface_hub', () => {
  let hub: string

  before(async function () {
    if (!existsSync(PYTHON)) throw new Error(`${PYTHON} is missing: run \`bash scripts/setup.sh\` first`)
    hub = mkdtempSync(join(tmpdir(), 'mlxk-pycompat-'))
    await markTestCache(hub)
    await importFolder({folder: MODEL, repoId: 'acme/tiny-qwen2-bpe', root: hub})
  })

  it('Python scan_cache_dir, try_to_load_from_cache and snapshot_download(local_files_only) read what mlxk wrote', async () => {
    const script = `
import json, sys
from huggingface_hub import scan_cache_dir, snapshot_download, try_to_load_from_cache
root = sys.argv[1]
info = scan_cache_dir(root)
repo = [r for r in info.repos if r.repo_id == "acme/tiny-qwen2-bpe"][0]
rev = list(repo.revisions)[0]
print(json.dumps({
  "warnings": [str(w) for w in info.warnings],
  "size_on_disk": repo.size_on_disk,
  "refs": sorted(rev.refs),
  "commit": rev.commit_hash,
  "files": sorted(f.file_name for f in rev.files),
  "config": try_to_load_from_cache("acme/tiny-qwen2-bpe", "config.json", cache_dir=root),
  "snapshot": snapshot_download("acme/tiny-qwen2-bpe", cache_dir=root, local_files_only=True),
}))
`
    const out = JSON.parse(
      execFileSync(PYTHON, ['-c', script, hub], {encoding: 'utf8', env: {...process.env, HF_HUB_OFFLINE: '1'}}),
    ) as Record<string, unknown>
    expect(out.warnings).to.deep.equal([])
    expect(out.refs).to.deep.equal(['main'])
    expect(out.files).to.include.members(['config.json', 'model.safetensors', 'tokenizer.json'])
    expect(out.config)
      .to.be.a('string')
      .and.match(/snapshots\/[0-9a-f]{40}\/config\.json$/)
    expect(out.snapshot).to.match(new RegExp(`snapshots/${String(out.commit)}$`))
    const show = await runMlxk(['show', 'acme/tiny-qwen2-bpe', '--json'], {hubCache: hub})
    const model = (show.json!.data as {model: {disk_bytes: number; hash: string; health: string}}).model
    expect(model.hash).to.equal(out.commit)
    expect(model.health).to.equal('healthy')
    expect(model.disk_bytes).to.equal(out.size_on_disk)
  })
})
