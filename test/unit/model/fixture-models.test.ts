import {expect} from 'chai'
import {existsSync} from 'node:fs'
import {join} from 'node:path'

import {checkSnapshotHealth} from '../../../src/sdk/model/health.js'
import {inspectSnapshot} from '../../../src/sdk/model/inspect.js'
import {checkRuntimeCompatibility} from '../../../src/sdk/model/runtime-compat.js'
import {shippedSupportedModelTypes} from '../../../src/sdk/model/supported-types.js'
import type {Quantization} from '../../../src/sdk/model/types.js'
import {scan} from './snapshot-fixture.js'

const MODELS = join(import.meta.dirname, '..', '..', 'fixtures', 'models')

// The committed test models were written by mlx-lm itself, so they check detection against real MLX output
// (safetensors metadata, config layout) rather than against what these tests assume it looks like.
describe('model pipeline on the committed mlx-lm test models', () => {
  const cases: Array<[string, {quantization: null | Quantization; reasoning: boolean}]> = [
    ['tiny-qwen2-bpe', {quantization: null, reasoning: false}],
    ['tiny-qwen2-bpe-4bit', {quantization: {bits: 4, group_size: 32, mode: 'affine'}, reasoning: false}],
    ['tiny-qwen2-think', {quantization: null, reasoning: true}],
    ['tiny-llama-spm', {quantization: null, reasoning: false}],
  ]

  for (const [model, expected] of cases) {
    const dir = join(MODELS, model)
    it(`${model}: MLX chat model, healthy and runnable`, async function () {
      if (!existsSync(join(dir, 'config.json'))) this.skip()
      const files = await scan(dir)
      // Under another org and without the README, only the files themselves can say MLX.
      const bare = await inspectSnapshot({
        dir,
        files: files.filter((f) => f.path !== 'README.md'),
        name: `someone/${model}`,
      })
      expect(bare.framework).to.equal('MLX')

      const inspection = await inspectSnapshot({dir, files, name: `someone/${model}`})
      expect(inspection.framework).to.equal('MLX')
      expect(inspection.modelType).to.equal('chat')
      expect(inspection.hasTokenizer).to.equal(true)
      expect(inspection.quantization).to.deep.equal(expected.quantization)
      expect(inspection.capabilities.includes('reasoning')).to.equal(expected.reasoning)

      const health = await checkSnapshotHealth({dir, files, modelType: inspection.modelType})
      expect([health.code, health.reason]).to.deep.equal(['ok', 'Model is healthy'])
      const runtime = checkRuntimeCompatibility({files, health, inspection, supported: shippedSupportedModelTypes()})
      expect(runtime).to.deep.equal({code: 'ok', compatible: true, reason: null})
    })
  }
})
