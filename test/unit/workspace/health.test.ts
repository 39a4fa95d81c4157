import {expect} from 'chai'
import {mkdir, mkdtemp, truncate, writeFile} from 'node:fs/promises'
import {dirname, join} from 'node:path'

import {workspaceHealth} from '../../../src/sdk/workspace/health.js'

const CONFIG = JSON.stringify({hidden_size: 8, model_type: 'llama', num_hidden_layers: 1, vocab_size: 32})
const LFS = 'version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 123\n'
const TOKENIZER = {'tokenizer.json': '{"model":{}}', 'tokenizer_config.json': '{}'}

type Entry = string | {size: number}

async function workspace(entries: Record<string, Entry>): Promise<string> {
  const dir = await mkdtemp(join(process.env.MLXK_TEST_SANDBOX as string, 'ws-'))
  for (const [path, entry] of Object.entries(entries)) {
    const target = join(dir, path)
    await mkdir(dirname(target), {recursive: true})
    if (typeof entry === 'string') await writeFile(target, entry)
    else {
      await writeFile(target, '')
      await truncate(target, entry.size)
    }
  }

  return dir
}

function index(shards: string[]): string {
  return JSON.stringify({metadata: {}, weight_map: Object.fromEntries(shards.map((s, i) => [`layer${i}.weight`, s]))})
}

const codes = (h: {anomalies: Array<{code: string}>}): string[] => h.anomalies.map((a) => a.code)

describe('workspace/health (push --check-only)', () => {
  it('a complete single-file folder: healthy, no anomalies, the upstream report shape', async () => {
    const dir = await workspace({'config.json': CONFIG, 'model.safetensors': 'weights', ...TOKENIZER})
    const h = await workspaceHealth(dir)
    expect(h).to.deep.include({
      anomalies: [],
      config: {exists: true, path: 'config.json', valid_json: true},
      files_count: 4,
      health: {code: 'ok', healthy: true, reason: 'Model is healthy'},
      healthy: true,
      weights: {count: 1, formats: ['.safetensors'], index: {has_index: false, missing: []}, pattern_complete: null},
    })
    expect(h.total_bytes).to.equal(CONFIG.length + 'weights'.length + 12 + 2)
  })

  it('a GGUF-only folder needs no config.json: the file carries its own, as health judges it', async () => {
    const h = await workspaceHealth(await workspace({'model-q4.gguf': 'GGUF....'}))
    expect(h.healthy).to.equal(true)
    expect(h.weights.formats).to.deep.equal(['.gguf'])
    expect(h.config).to.deep.equal({exists: false, path: 'config.json', valid_json: false})
    expect(h.anomalies).to.deep.equal([])
  })

  it('config.json missing or invalid', async () => {
    const missing = await workspaceHealth(await workspace({'model.safetensors': 'w', ...TOKENIZER}))
    expect(missing.healthy).to.equal(false)
    expect(missing.config).to.deep.equal({exists: false, path: 'config.json', valid_json: false})
    expect(missing.anomalies[0]).to.deep.equal({
      code: 'config_missing',
      message: 'config.json is missing',
      severity: 'error',
    })
    const invalid = await workspaceHealth(
      await workspace({'config.json': '{nope', 'model.safetensors': 'w', ...TOKENIZER}),
    )
    expect(invalid.config).to.deep.equal({exists: true, path: 'config.json', valid_json: false})
    expect(invalid.anomalies[0]).to.deep.equal({
      code: 'config_invalid_json',
      message: 'config.json is not valid JSON',
      path: 'config.json',
      severity: 'error',
    })
    expect(invalid.health.code).to.equal('config_invalid')
    // As health (and upstream) judge it: valid JSON that is not a non-empty object is no config either.
    const empty = await workspaceHealth(await workspace({'config.json': '{}', 'model.safetensors': 'w', ...TOKENIZER}))
    expect(empty.config).to.deep.equal({exists: true, path: 'config.json', valid_json: false})
    expect(empty.anomalies).to.deep.equal([
      {code: 'config_invalid_json', message: 'config.json is empty or invalid', path: 'config.json', severity: 'error'},
    ])
    expect(empty.health.code).to.equal('config_empty')
  })

  it('no weights, an empty weight file, an LFS pointer instead of weights', async () => {
    const none = await workspaceHealth(await workspace({'config.json': CONFIG, ...TOKENIZER}))
    expect(none.anomalies).to.deep.equal([
      {code: 'no_weights_found', message: 'No weight files found', severity: 'error'},
    ])
    expect(none.health.code).to.equal('weights_missing')
    expect(none.weights.count).to.equal(0)

    const empty = await workspaceHealth(await workspace({'config.json': CONFIG, 'model.safetensors': '', ...TOKENIZER}))
    expect(empty.anomalies).to.deep.equal([
      {
        code: 'empty_weight_file',
        message: 'Empty weight file: model.safetensors',
        path: 'model.safetensors',
        severity: 'error',
      },
    ])
    expect(empty.healthy).to.equal(false)

    const pointer = await workspaceHealth(
      await workspace({'config.json': CONFIG, 'model.safetensors': LFS, ...TOKENIZER}),
    )
    expect(pointer.anomalies).to.deep.equal([
      {
        code: 'lfs_pointer_detected',
        message: 'Git LFS pointer instead of weights: model.safetensors',
        path: 'model.safetensors',
        severity: 'error',
      },
    ])
    expect(pointer.health.code).to.equal('lfs_pointer')
  })

  it('an index: complete, a missing / empty / LFS-pointer shard, unparseable', async () => {
    const shards = ['model-00001-of-00003.safetensors', 'model-00002-of-00003.safetensors']
    const third = 'model-00003-of-00003.safetensors'
    const complete = await workspaceHealth(
      await workspace({
        'config.json': CONFIG,
        'model.safetensors.index.json': index([...shards, third]),
        [shards[0]!]: 'a',
        [shards[1]!]: 'b',
        [third]: 'c',
        ...TOKENIZER,
      }),
    )
    expect(complete.anomalies).to.deep.equal([])
    expect(complete.weights).to.deep.equal({
      count: 3,
      formats: ['.safetensors'],
      index: {has_index: true, missing: []},
      pattern_complete: true,
    })
    expect(complete.health.reason).to.equal('Multi-file model complete')

    const broken = await workspaceHealth(
      await workspace({
        'config.json': CONFIG,
        'model.safetensors.index.json': index([...shards, third]),
        [shards[0]!]: LFS,
        [shards[1]!]: '',
        ...TOKENIZER,
      }),
    )
    expect(broken.weights.index).to.deep.equal({has_index: true, missing: [...shards, third]})
    expect(broken.weights.pattern_complete).to.equal(false)
    expect(codes(broken)).to.deep.equal(['lfs_pointer_detected', 'empty_weight_file', 'index_missing_shard'])
    expect(broken.anomalies[2]).to.deep.equal({
      code: 'index_missing_shard',
      message: `Index references missing shards: ${[...shards, third].join(', ')}`,
      missing: [...shards, third],
      path: 'model.safetensors.index.json',
      severity: 'error',
    })
    expect(broken.health.code).to.equal('shards_missing')

    const unparseable = await workspaceHealth(
      await workspace({
        'config.json': CONFIG,
        'model.safetensors': 'w',
        'model.safetensors.index.json': '{nope',
        ...TOKENIZER,
      }),
    )
    expect(unparseable.weights.index.has_index).to.equal(true)
    expect(unparseable.weights.index.missing).to.deep.equal([])
    expect(unparseable.weights.index.parse_error).to.be.a('string').and.not.equal('')
    expect(unparseable.anomalies).to.deep.equal([
      {
        code: 'index_parse_error',
        message: 'Cannot parse model.safetensors.index.json',
        path: 'model.safetensors.index.json',
        severity: 'error',
      },
    ])
  })

  it('a shard set with a gap: pattern_complete false', async () => {
    const h = await workspaceHealth(
      await workspace({
        'config.json': CONFIG,
        'model-00001-of-00003.safetensors': 'a',
        'model-00003-of-00003.safetensors': 'c',
        ...TOKENIZER,
      }),
    )
    expect(h.weights.pattern_complete).to.equal(false)
    expect(h.healthy).to.equal(false)
    expect(h.health.code).to.equal('shards_gap')
    expect(codes(h)).to.deep.equal(['shards_gap'])
  })

  it('partial markers are warnings; a problem only the model check sees still makes one error', async () => {
    const h = await workspaceHealth(
      await workspace({
        'config.json': CONFIG,
        'model.safetensors': 'w',
        'model.safetensors.tmp': 'x',
        'notes.partial': 'x',
        ...TOKENIZER,
      }),
    )
    expect(h.anomalies.filter((a) => a.severity === 'warn')).to.deep.equal([
      {
        code: 'partial_marker',
        message: 'Partial download marker: model.safetensors.tmp',
        path: 'model.safetensors.tmp',
        severity: 'warn',
      },
      {
        code: 'partial_marker',
        message: 'Partial download marker: notes.partial',
        path: 'notes.partial',
        severity: 'warn',
      },
    ])
    expect(h.health.code).to.equal('partial_marker')
    expect(h.anomalies.at(-1)).to.deep.equal({
      code: 'partial_marker',
      message: 'Partial download marker detected: model.safetensors.tmp, notes.partial',
      severity: 'error',
    })

    const noTokenizer = await workspaceHealth(await workspace({'config.json': CONFIG, 'model.safetensors': 'w'}))
    expect(noTokenizer.healthy).to.equal(false)
    expect(noTokenizer.anomalies).to.deep.equal([
      {
        code: 'tokenizer_missing',
        message: 'No tokenizer files found (tokenizer.json, tokenizer.model, vocab.json + merges.txt, ...)',
        severity: 'error',
      },
    ])
  })

  it('judges by the rules of health: sharded .bin weights, the index health uses, every marker health knows', async () => {
    const pytorch = await workspaceHealth(
      await workspace({
        'config.json': CONFIG,
        'pytorch_model-00001-of-00002.bin': 'a',
        'pytorch_model-00002-of-00002.bin': 'b',
        'pytorch_model.bin.index.json': index(['pytorch_model-00001-of-00002.bin', 'pytorch_model-00002-of-00002.bin']),
        'training_args.bin': 'not weights',
        ...TOKENIZER,
      }),
    )
    expect(pytorch.healthy).to.equal(true)
    expect(pytorch.anomalies).to.deep.equal([])
    expect(pytorch.weights).to.deep.equal({
      count: 2,
      formats: ['.bin'],
      index: {has_index: true, missing: []},
      pattern_complete: true,
    })

    // A safetensors index beside GGUF weights names nothing health loads.
    const stray = await workspaceHealth(
      await workspace({'model.safetensors.index.json': index(['model-00001-of-00002.safetensors']), 'm.gguf': 'G'}),
    )
    expect(stray.healthy).to.equal(true)
    expect(stray.weights.index).to.deep.equal({has_index: false, missing: []})
    expect(stray.anomalies).to.deep.equal([])

    const resumed = await workspaceHealth(
      await workspace({'config.json': CONFIG, 'model.safetensors': 'w', 'x.incomplete': 'x', ...TOKENIZER}),
    )
    expect(codes(resumed)).to.deep.equal(['partial_marker', 'partial_marker'])
    expect(resumed.anomalies.map((a) => a.severity)).to.deep.equal(['warn', 'error'])
  })

  it('names an error exactly when the verdict is unhealthy', async () => {
    const folders: Array<Record<string, Entry>> = [
      {'config.json': CONFIG, 'model.safetensors': 'w', ...TOKENIZER},
      {'config.json': CONFIG, 'model.safetensors': '', ...TOKENIZER},
      {'config.json': '{nope', 'model.safetensors': 'w', ...TOKENIZER},
      {'config.json': '[1]', 'model.safetensors': 'w', ...TOKENIZER},
      {'config.json': CONFIG, 'model.safetensors': 'w'},
      {'config.json': CONFIG, 'adapter_model.bin': 'w', ...TOKENIZER},
      {'config.json': CONFIG, 'adapter_model.bin': '', ...TOKENIZER},
      {'config.json': CONFIG, 'model-00001-of-00002.safetensors': 'a', ...TOKENIZER},
      {'m.gguf': 'G', 'model.safetensors.index.json': '{nope'},
      {'m.GGUF': 'G'},
    ]
    for (const entries of folders) {
      const h = await workspaceHealth(await workspace(entries))
      expect(
        h.anomalies.some((a) => a.severity === 'error'),
        JSON.stringify(entries),
      ).to.equal(!h.healthy)
    }
  })

  it('judges only the files a push would upload (.hfignore applies), and reports the runtime verdict', async () => {
    const dir = await workspace({
      '.hfignore': 'scratch/\n',
      'config.json': CONFIG,
      'model.safetensors': 'w',
      'scratch/model.safetensors': '',
      ...TOKENIZER,
    })
    const h = await workspaceHealth(dir)
    expect(h.weights.count).to.equal(1)
    expect(h.anomalies).to.deep.equal([])
    expect(h.runtime).to.have.keys(['code', 'compatible', 'reason'])
  })
})
