import {expect} from 'chai'
import {utimesSync} from 'node:fs'
import {join} from 'node:path'

import {buildCache, ggufModelFiles, mlxChatModelFiles, pytorchModelFiles} from '../helpers/fixture-cache.js'
import {runMlxk} from '../helpers/run-cli.js'
import {assertValidEnvelope} from '../helpers/schemas.js'

const OLD = 'a'.repeat(40)
const NEW = 'b'.repeat(40)

describe('list and show (built CLI against a fixture cache)', () => {
  let hub: string

  before(async () => {
    hub = await buildCache(undefined, [
      {repoId: 'mlx-community/Qwen3-4B-4bit', revisions: [{files: mlxChatModelFiles()}]},
      {repoId: 'acme/tiny-mlx', revisions: [{files: mlxChatModelFiles()}]},
      {repoId: 'meta/Llama-3-8B', revisions: [{files: pytorchModelFiles()}]},
      {repoId: 'gguf-org/Mistral-GGUF', revisions: [{files: ggufModelFiles()}]},
      {
        // refs/main names the OLDER snapshot: it must win over the newest mtime.
        repoId: 'acme/two-revs',
        revisions: [
          {
            commit: OLD,
            files: {...mlxChatModelFiles(), 'extra.txt': 'old'},
            mtime: new Date('2024-01-01T00:00:00Z'),
            refs: ['main'],
          },
          {commit: NEW, files: mlxChatModelFiles(), mtime: new Date('2025-06-01T12:00:00Z'), refs: ['dev']},
        ],
      },
    ])
  })

  it('list --json lists every framework with the upstream model fields, validated by the schema', async () => {
    const r = await runMlxk(['list', '--json'], {hubCache: hub})
    expect(r.exitCode, r.stderr).to.equal(0)
    assertValidEnvelope(r.json, 'list')
    const data = r.json!.data as {count: number; models: Array<Record<string, unknown>>}
    const names = data.models.map((m) => m.name)
    expect(names).to.deep.equal([
      'acme/tiny-mlx',
      'acme/two-revs',
      'gguf-org/Mistral-GGUF',
      'meta/Llama-3-8B',
      'mlx-community/Qwen3-4B-4bit',
    ])
    expect(data.count).to.equal(5)
    const byName = Object.fromEntries(data.models.map((m) => [m.name, m]))
    expect(byName['acme/tiny-mlx']).to.include({cached: true, framework: 'MLX', health: 'healthy', model_type: 'chat'})
    expect(byName['gguf-org/Mistral-GGUF']).to.include({framework: 'GGUF', runtime_compatible: false})
    expect(byName['meta/Llama-3-8B']).to.include({framework: 'PyTorch', reason: 'Incompatible: PyTorch'})
  })

  it('selects the snapshot refs/main names, and reports its mtime in real UTC', async () => {
    const r = await runMlxk(['show', 'acme/two-revs', '--json'], {hubCache: hub})
    expect(r.exitCode, r.stderr).to.equal(0)
    assertValidEnvelope(r.json, 'show')
    const model = (r.json!.data as {model: Record<string, unknown>}).model
    expect(model.hash).to.equal(OLD)
    expect(model.last_modified).to.equal('2024-01-01T00:00:00Z')
    expect(model.revisions).to.equal(2)
  })

  it('show name@rev selects that revision', async () => {
    const r = await runMlxk(['show', 'two-revs@bbbb', '--json'], {hubCache: hub})
    expect(r.exitCode, r.stderr).to.equal(0)
    expect((r.json!.data as {model: {hash: string}}).model.hash).to.equal(NEW)
  })

  it('show --files lists basename, size string, type, path and bytes', async () => {
    const r = await runMlxk(['show', 'Qwen3', '--files', '--config', '--json'], {hubCache: hub})
    expect(r.exitCode, r.stderr).to.equal(0)
    assertValidEnvelope(r.json, 'show')
    const data = r.json!.data as {config: Record<string, unknown>; files: Array<Record<string, unknown>>}
    const config = data.files.find((f) => f.name === 'config.json')
    expect(config).to.include({path: 'config.json', type: 'config'})
    expect(data.files.find((f) => f.name === 'model.safetensors')).to.include({type: 'weights'})
    expect(data.config.model_type).to.be.a('string')
  })

  it('an ambiguous name is an error listing the candidates, never a guess', async () => {
    const r = await runMlxk(['show', 'acme', '--json'], {hubCache: hub})
    expect(r.exitCode).to.equal(1)
    assertValidEnvelope(r.json)
    expect(r.json!.error).to.include({type: 'ambiguous_match'})
    expect(r.json!.error!.matches).to.deep.equal(['acme/tiny-mlx', 'acme/two-revs'])
  })

  it('human errors go to stderr as "mlxk <cmd>: Error: ..." with a non-zero exit', async () => {
    const r = await runMlxk(['show', 'no-such-model'], {hubCache: hub})
    expect(r.exitCode).to.equal(1)
    expect(r.stdout).to.equal('')
    expect(r.stderr).to.match(/^mlxk show: Error: No model found matching 'no-such-model'/)
  })

  it('rejects names that could escape the cache', async () => {
    for (const bad of ['../../etc', '/etc/passwd', 'a\\b']) {
      const r = await runMlxk(['show', bad, '--json'], {hubCache: hub})
      expect(r.exitCode, bad).to.equal(1)
      expect(r.json!.error!.type, bad).to.equal('invalid_model_name')
    }
  })

  it('human list shows MLX models only; --all adds the others', async () => {
    const plain = await runMlxk(['list'], {hubCache: hub})
    expect(plain.exitCode, plain.stderr).to.equal(0)
    expect(plain.stdout).to.match(/^Name\s+\| Hash/)
    expect(plain.stdout).to.include('Qwen3-4B-4bit')
    expect(plain.stdout).not.to.include('mlx-community/')
    expect(plain.stdout).not.to.include('Llama-3-8B')
    const all = await runMlxk(['list', '--all', '--health'], {hubCache: hub})
    expect(all.stdout).to.include('Llama-3-8B')
    expect(all.stdout).to.match(/Mistral-GGUF.*healthy\*/)
  })

  it('human list drops non-MLX models before --limit, so it shows as many rows as asked', async () => {
    // By name, the third model is GGUF and the fourth PyTorch: the MLX view's first three are the MLX ones.
    const r = await runMlxk(['list', '--sort', 'name', '--limit', '3'], {hubCache: hub})
    expect(r.exitCode, r.stderr).to.equal(0)
    const rows = r.stdout.trim().split('\n').slice(2)
    expect(rows.map((row) => row.split('|')[0]!.trim())).to.deep.equal([
      'acme/tiny-mlx',
      'acme/two-revs',
      'Qwen3-4B-4bit',
    ])
    const json = await runMlxk(['list', '--sort', 'name', '--limit', '3', '--json'], {hubCache: hub})
    expect((json.json!.data as {models: Array<{name: string}>}).models.map((m) => m.name)).to.deep.equal([
      'acme/tiny-mlx',
      'acme/two-revs',
      'gguf-org/Mistral-GGUF',
    ])
  })

  it('a framework filter chooses the frameworks of the human view', async () => {
    const r = await runMlxk(['list', '--filter', 'framework=gguf'], {hubCache: hub})
    expect(r.exitCode, r.stderr).to.equal(0)
    expect(r.stdout).to.include('Mistral-GGUF')
    expect(r.stdout).not.to.include('hidden')
  })

  it('says how many non-MLX models it hid when none is left to show', async () => {
    const r = await runMlxk(['list', 'Llama'], {hubCache: hub})
    expect(r.exitCode, r.stderr).to.equal(0)
    expect(r.stdout).to.include('(1 non-MLX model hidden; use --all)')
  })

  it('--filter, --sort and --limit apply to JSON output too', async () => {
    const r = await runMlxk(['list', '--json', '--filter', 'framework=mlx', '--sort', 'name:desc', '--limit', '2'], {
      hubCache: hub,
    })
    const names = (r.json!.data as {models: Array<{name: string}>}).models.map((m) => m.name)
    expect(names).to.deep.equal(['mlx-community/Qwen3-4B-4bit', 'acme/two-revs'])
    const bad = await runMlxk(['list', '--json', '--filter', 'bogus>1'], {hubCache: hub})
    expect(bad.exitCode).to.equal(1)
    expect(bad.json!.error!.type).to.equal('invalid_filter')
  })

  it('a missing cache is an empty list, not an error', async () => {
    const r = await runMlxk(['list', '--json'], {hubCache: join(hub, 'does-not-exist')})
    expect(r.exitCode).to.equal(0)
    expect(r.json!.data).to.deep.include({count: 0, models: []})
  })

  it('--version and version --json', async () => {
    const human = await runMlxk(['--version'])
    expect(human.stdout).to.match(/^mlxk \d+\.\d+\.\d+\n$/)
    const json = await runMlxk(['--version', '--json'])
    assertValidEnvelope(json.json, 'version')
  })

  it('touching a file does not change which snapshot is current', async () => {
    utimesSync(join(hub, 'models--acme--two-revs', 'snapshots', NEW), new Date(), new Date())
    const r = await runMlxk(['show', 'acme/two-revs', '--json'], {hubCache: hub})
    expect((r.json!.data as {model: {hash: string}}).model.hash).to.equal(OLD)
  })
})
