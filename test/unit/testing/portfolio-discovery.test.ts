import {expect} from 'chai'

import {importFolder} from '../../../src/sdk/cache/import-folder.js'
import {buildCache, ggufModelFiles, pytorchModelFiles, shardedModelFiles} from '../../helpers/fixture-cache.js'
import {testModelPath} from '../../helpers/runtime.js'
import {COMMON_EOS_STRINGS, discoverPortfolio} from '../../live/portfolio.js'

// Discovery must pick exactly the models the live checks can run, and say why it left each other one out.
describe('live portfolio discovery', () => {
  let root: string

  before(async () => {
    root = await buildCache([
      {repoId: 'acme/llama-gguf', revisions: [{files: ggufModelFiles()}]},
      {repoId: 'acme/llama-pytorch', revisions: [{files: pytorchModelFiles()}]},
      {repoId: 'mlx-community/broken-4bit', revisions: [{files: shardedModelFiles(3, [2])}]},
    ])
    await importFolder({folder: testModelPath('tiny-qwen2-bpe'), repoId: 'mlx-community/tiny-qwen2-bpe', root})
    await importFolder({folder: testModelPath('tiny-qwen2-think'), repoId: 'mlx-community/tiny-qwen2-think', root})
  })

  it('finds the healthy, runtime-compatible MLX chat models', async () => {
    const p = await discoverPortfolio(root)
    expect(p.models.map((m) => m.name)).to.deep.equal([
      'mlx-community/tiny-qwen2-bpe',
      'mlx-community/tiny-qwen2-think',
    ])
    expect(p.models.map((m) => m.reasoning)).to.deep.equal([false, true])
    expect(p.models[0].sizeBytes).to.be.greaterThan(0)
    expect(p.models[0].commit).to.match(/^[0-9a-f]{40}$/)
  })

  it('lists every other model with the reason', async () => {
    const p = await discoverPortfolio(root)
    const reasons = Object.fromEntries(p.excluded.map((e) => [e.name, e.reason]))
    expect(reasons['acme/llama-gguf']).to.match(/^not MLX \(framework GGUF\)/)
    expect(reasons['acme/llama-pytorch']).to.match(/^not MLX \(framework PyTorch\)/)
    expect(reasons['mlx-community/broken-4bit']).to.match(/^unhealthy: /)
  })

  it("reads the EOS configuration the model's files state", async () => {
    const p = await discoverPortfolio(root)
    const eos = p.models[0].eos
    expect(eos.tokenizer_eos_token).to.be.a('string')
    expect(eos.eos_strings).to.include(eos.tokenizer_eos_token)
    expect(eos.eos_strings).to.include.members(COMMON_EOS_STRINGS)
  })

  it('an empty or missing cache is an empty portfolio', async () => {
    expect(await discoverPortfolio('/nonexistent/mlxk-cache')).to.deep.equal({excluded: [], models: []})
  })
})
