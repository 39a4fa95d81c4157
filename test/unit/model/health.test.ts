import {expect} from 'chai'
import {join} from 'node:path'

import {checkSnapshotHealth, type HealthInput} from '../../../src/sdk/model/health.js'
import {type Entry, incomplete, LLAMA_CONFIG, makeSnapshot} from './snapshot-fixture.js'

const CONFIG = {json: LLAMA_CONFIG}
const LFS = 'version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 123\n'
const TOKENIZER = {'tokenizer.json': '{"model":{}}', 'tokenizer_config.json': '{}'}

async function health(entries: Record<string, Entry>, extra: Omit<Partial<HealthInput>, 'dir' | 'files'> = {}) {
  const snap = await makeSnapshot(entries)
  return checkSnapshotHealth({dir: snap.dir, files: snap.files, modelType: 'base', ...extra})
}

function index(shards: string[]): Entry {
  return {json: {metadata: {}, weight_map: Object.fromEntries(shards.map((s, i) => [`layer${i}.weight`, s]))}}
}

describe('model/health', () => {
  it('is healthy for a complete single-file model', async () => {
    const h = await health({'config.json': CONFIG, 'model.safetensors': 'weights', ...TOKENIZER})
    expect(h).to.deep.equal({cause: null, code: 'ok', healthy: true, partials: null, reason: 'Model is healthy'})
  })

  it('reports a missing snapshot directory', async () => {
    const h = await checkSnapshotHealth({dir: join(process.env.MLXK_TEST_SANDBOX ?? '/tmp', 'nope'), files: []})
    expect(h.code).to.equal('path_missing')
  })

  describe('config.json', () => {
    it('missing, invalid, empty and not an object', async () => {
      const cases: Array<[Entry | undefined, string, string]> = [
        [undefined, 'config_missing', 'config.json missing'],
        ['{nope', 'config_invalid', 'config.json contains invalid JSON'],
        ['', 'config_empty', 'config.json is empty or invalid'],
        ['{}', 'config_empty', 'config.json is empty or invalid'],
        ['[1]', 'config_empty', 'config.json is empty or invalid'],
      ]
      for (const [config, code, reason] of cases) {
        const entries: Record<string, Entry> = {'model.safetensors': 'w', ...TOKENIZER}
        if (config !== undefined) entries['config.json'] = config
        const h = await health(entries)
        expect([h.code, h.reason, h.healthy], code).to.deep.equal([code, reason, false])
      }
    })

    it('is not required for a GGUF-only repo, which carries its config inside the file', async () => {
      const h = await health({'model-Q4_K_M.gguf': 'gguf'})
      expect(h.code).to.equal('ok')
    })
  })

  describe('index branch', () => {
    const shards = ['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors']

    it('is complete when every shard in weight_map exists', async () => {
      const h = await health({
        'config.json': CONFIG,
        'model.safetensors.index.json': index(shards),
        [shards[0]!]: 'a',
        [shards[1]!]: 'b',
        ...TOKENIZER,
      })
      expect([h.code, h.reason]).to.deep.equal(['ok', 'Multi-file model complete'])
    })

    it('names missing shards', async () => {
      const h = await health({
        'config.json': CONFIG,
        'model.safetensors.index.json': index(shards),
        [shards[0]!]: 'a',
        ...TOKENIZER,
      })
      expect([h.code, h.reason]).to.deep.equal([
        'shards_missing',
        'Missing weight shards: model-00002-of-00002.safetensors',
      ])
    })

    it('reports an unreadable index and an empty weight_map', async () => {
      const bad = await health({'config.json': CONFIG, 'model.safetensors.index.json': '{', [shards[0]!]: 'a'})
      expect([bad.code, bad.reason]).to.deep.equal(['index_invalid', 'Invalid index file'])
      const empty = await health({
        'config.json': CONFIG,
        'model.safetensors.index.json': {json: {weight_map: {}}},
        [shards[0]!]: 'a',
      })
      expect([empty.code, empty.reason]).to.deep.equal(['index_empty', 'Empty or invalid weight_map in index'])
    })

    it('reports empty shards and LFS pointers', async () => {
      const empty = await health({
        'config.json': CONFIG,
        'model.safetensors.index.json': index(shards),
        [shards[0]!]: 'a',
        [shards[1]!]: '',
      })
      expect([empty.code, empty.reason]).to.deep.equal([
        'shards_empty',
        'Empty weight shards: model-00002-of-00002.safetensors',
      ])
      const lfs = await health({
        'config.json': CONFIG,
        'model.safetensors.index.json': index(shards),
        [shards[0]!]: 'a',
        [shards[1]!]: LFS,
        ...TOKENIZER,
      })
      expect([lfs.code, lfs.reason]).to.deep.equal([
        'lfs_pointer',
        'LFS pointers instead of files: model-00002-of-00002.safetensors',
      ])
    })

    it('uses pytorch_model.bin.index.json when only .bin weights exist', async () => {
      const h = await health({
        'config.json': CONFIG,
        'pytorch_model.bin.index.json': index(['pytorch_model-00001-of-00002.bin', 'pytorch_model-00002-of-00002.bin']),
        'pytorch_model-00001-of-00002.bin': 'a',
      })
      expect(h.code).to.equal('shards_missing')
    })

    it('ignores an index whose weight kind was not downloaded (safetensors-only pull of a repo with a .bin index)', async () => {
      const h = await health({
        'config.json': CONFIG,
        'model.safetensors': 'w',
        'pytorch_model.bin.index.json': index(['pytorch_model-00001-of-00002.bin']),
        ...TOKENIZER,
      })
      expect(h.code).to.equal('ok')
    })

    it('still names the shards when an index exists but no weights at all', async () => {
      const h = await health({'config.json': CONFIG, 'model.safetensors.index.json': index(shards)})
      expect(h.code).to.equal('shards_missing')
      expect(h.reason).to.include(shards[0])
    })
  })

  describe('without an index', () => {
    it('reports gaps in a shard pattern', async () => {
      const h = await health({
        'config.json': CONFIG,
        'model-00001-of-00004.safetensors': 'a',
        'model-00002-of-00004.safetensors': 'b',
        'model-00004-of-00004.safetensors': 'd',
      })
      expect(h.code).to.equal('shards_gap')
      expect(h.reason).to.match(/^Missing shards by pattern: 3\/4 present/)
      expect(h.reason).to.include('model-00003-of-00004.safetensors')
    })

    it('reports inconsistent totals', async () => {
      const h = await health({
        'config.json': CONFIG,
        'model-00001-of-00002.safetensors': 'a',
        'model-00002-of-00003.safetensors': 'b',
      })
      expect([h.code, h.reason]).to.deep.equal(['shards_inconsistent', 'Inconsistent shard totals detected'])
    })

    it('refuses a complete shard set without its index', async () => {
      const h = await health({
        'config.json': CONFIG,
        'model-00001-of-00002.safetensors': 'a',
        'model-00002-of-00002.safetensors': 'b',
        ...TOKENIZER,
      })
      expect([h.code, h.reason]).to.deep.equal(['index_missing', 'Safetensors index missing for sharded model'])
    })

    it('checks split GGUF sets too', async () => {
      const h = await health({'m-Q8_0-00001-of-00002.gguf': 'a'})
      expect(h.code).to.equal('shards_gap')
    })

    it('reports no weights, and empty weight files', async () => {
      const none = await health({'config.json': CONFIG, ...TOKENIZER})
      expect([none.code, none.reason]).to.deep.equal(['weights_missing', 'No model weights found'])
      const training = await health({'config.json': CONFIG, 'training_args.bin': 'x', ...TOKENIZER})
      expect(training.code).to.equal('weights_missing')
      const empty = await health({'config.json': CONFIG, 'model.safetensors': '', ...TOKENIZER})
      expect([empty.code, empty.reason]).to.deep.equal(['empty_files', 'Empty weight files: model.safetensors'])
    })

    it('reports LFS pointers anywhere in the tree', async () => {
      const h = await health({'config.json': CONFIG, 'model.safetensors': LFS, ...TOKENIZER})
      expect([h.code, h.reason]).to.deep.equal(['lfs_pointer', 'LFS pointers instead of files: model.safetensors'])
    })

    it('reports partial markers inside the snapshot', async () => {
      const h = await health({
        'config.json': CONFIG,
        'model.safetensors': 'w',
        'model.safetensors.partial': 'x',
        ...TOKENIZER,
      })
      expect(h.code).to.equal('partial_marker')
    })
  })

  describe('tokenizer and other required files', () => {
    it('reports empty tokenizer files', async () => {
      const h = await health({'config.json': CONFIG, 'model.safetensors': 'w', 'tokenizer.json': ''})
      expect([h.code, h.reason]).to.deep.equal(['empty_files', 'Empty files: tokenizer.json'])
    })

    it('requires a tokenizer for base and chat models but not for embedders', async () => {
      const files = {'config.json': CONFIG, 'model.safetensors': 'w'}
      expect((await health(files, {modelType: 'chat'})).code).to.equal('tokenizer_missing')
      expect((await health(files, {modelType: 'base'})).code).to.equal('tokenizer_missing')
      expect((await health(files, {modelType: 'embedding'})).code).to.equal('ok')
      expect((await health(files, {modelType: undefined})).code).to.equal('ok')
    })

    it('accepts sentencepiece and BPE vocab tokenizers', async () => {
      expect((await health({'config.json': CONFIG, 'model.safetensors': 'w', 'tokenizer.model': 'sp'})).code).to.equal(
        'ok',
      )
      expect(
        (await health({'config.json': CONFIG, 'merges.txt': 'm', 'model.safetensors': 'w', 'vocab.json': '{}'})).code,
      ).to.equal('ok')
    })
  })

  describe('interrupted downloads', () => {
    it('reports dangling links', async () => {
      const h = await health({'config.json': CONFIG, 'model.safetensors': {dangling: true}, ...TOKENIZER})
      expect(h.code).to.equal('dangling_symlinks')
      expect(h.reason).to.include('model.safetensors')
    })

    it('says the download was interrupted when files are missing and partials exist', async () => {
      const h = await health(
        {'config.json': CONFIG, 'model.safetensors': {dangling: true}},
        {incompleteBlobs: incomplete(100, 50), name: 'org/m'},
      )
      expect(h.code).to.equal('incomplete_download')
      expect(h.reason).to.equal('Download interrupted: 2 partial files (resume with `mlxk pull org/m`)')
      expect(h.partials).to.deep.equal({bytes: 150, count: 2})
      expect(h.cause?.code).to.equal('dangling_symlinks')
    })

    it('keeps a complete snapshot healthy next to leftover partials', async () => {
      const h = await health(
        {'config.json': CONFIG, 'model.safetensors': {link: 'w'}, ...TOKENIZER},
        {incompleteBlobs: incomplete(7)},
      )
      expect([h.healthy, h.code]).to.deep.equal([true, 'ok'])
      expect(h.partials).to.deep.equal({bytes: 7, count: 1})
    })

    it('does not blame partials for problems a download cannot cause', async () => {
      const h = await health({'config.json': '{x', 'model.safetensors': 'w'}, {incompleteBlobs: incomplete(1)})
      expect(h.code).to.equal('config_invalid')
    })
  })

  describe('expected file list (trees)', () => {
    const entries = {'config.json': CONFIG, 'model.safetensors': 'weights', ...TOKENIZER}

    it('reports files the commit has but the snapshot lacks', async () => {
      const trees = [
        {path: 'model.safetensors', size: 7},
        {path: 'extra.safetensors', size: 3},
      ]
      const h = await health(entries, {trees})
      expect([h.code, h.reason]).to.deep.equal(['files_missing', 'Missing files: extra.safetensors'])
      const interrupted = await health(entries, {incompleteBlobs: incomplete(3), trees})
      expect(interrupted.code).to.equal('incomplete_download')
    })

    it('reports a size mismatch naming the file', async () => {
      const h = await health(entries, {trees: [{path: 'model.safetensors', size: 8}]})
      expect(h.code).to.equal('size_mismatch')
      expect(h.reason).to.include('model.safetensors')
    })

    it('is healthy when every expected file is there with its size', async () => {
      const h = await health(entries, {
        trees: [
          {path: 'model.safetensors', size: 7},
          {path: 'tokenizer_config.json', size: 2},
        ],
      })
      expect(h.code).to.equal('ok')
    })
  })

  it('shortens long lists of names', async () => {
    const shards = Array.from({length: 8}, (_, i) => `model-0000${i + 1}-of-00008.safetensors`)
    const h = await health({'config.json': CONFIG, 'model.safetensors.index.json': index(shards), [shards[0]!]: 'a'})
    expect(h.reason).to.match(/and 2 more$/)
  })
})
