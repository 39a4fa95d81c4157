import {expect} from 'chai'
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {MLX_LM_MODEL_REMAPPING, MLX_LM_MODEL_TYPES, MLX_LM_VERSION} from '../../../src/sdk/model/mlx-lm-model-types.js'
import {
  loadSupportedModelTypes,
  parseRuntimeInfo,
  resolveModelType,
  shippedSupportedModelTypes,
} from '../../../src/sdk/model/supported-types.js'

const dir = mkdtempSync(join(process.env.MLXK_TEST_SANDBOX ?? tmpdir(), 'supported-'))

describe('model/supported-types', () => {
  it('ships the mlx-lm 0.32.2 model types, without helper modules', () => {
    expect(MLX_LM_VERSION).to.equal('0.32.2')
    expect(MLX_LM_MODEL_TYPES).to.include.members([
      'llama',
      'qwen2',
      'qwen3',
      'gemma3',
      'mistral3',
      'phi3',
      'solar_open',
    ])
    expect(MLX_LM_MODEL_TYPES).to.not.include.members(['base', 'cache', 'rope_utils', 'switch_layers', 'activations'])
    expect(MLX_LM_MODEL_REMAPPING.mistral).to.equal('llama')
  })

  it('uses the shipped list when no cache file exists', () => {
    const s = loadSupportedModelTypes({cacheFile: join(dir, 'absent.json')})
    expect(s.source).to.equal('shipped')
    expect(s.mlxLmVersion).to.equal('0.32.2')
    expect(loadSupportedModelTypes({}).source).to.equal('shipped')
  })

  it('prefers the runtime report when one was cached', () => {
    const file = join(dir, 'runtime-info.json')
    const info = {
      mlx_lm_version: '0.40.0',
      remapping: {foo: 'llama'},
      supported_model_types: ['llama', 'newarch'],
      written_at: '2026-01-01T00:00:00Z',
    }
    writeFileSync(file, JSON.stringify(info))
    const s = loadSupportedModelTypes({cacheFile: file})
    expect(s).to.deep.include({
      mlxLmVersion: '0.40.0',
      remapping: {foo: 'llama'},
      source: 'runtime',
      types: ['llama', 'newarch'],
    })
  })

  it('falls back to the shipped list for a malformed cache file', () => {
    const broken = join(dir, 'broken.json')
    writeFileSync(broken, '{not json')
    expect(loadSupportedModelTypes({cacheFile: broken}).source).to.equal('shipped')
    const wrongShape = join(dir, 'wrong.json')
    writeFileSync(wrongShape, JSON.stringify({supported_model_types: 'llama'}))
    expect(loadSupportedModelTypes({cacheFile: wrongShape}).source).to.equal('shipped')
    expect(parseRuntimeInfo([])).to.equal(null)
  })

  it('resolves model types the way mlx-lm does: architecture remapping, then MODEL_REMAPPING', () => {
    const shipped = shippedSupportedModelTypes()
    expect(resolveModelType('mistral', [], shipped)).to.deep.equal({supported: true, target: 'llama'})
    expect(resolveModelType('bailing_hybrid', ['BailingMoeV3ForCausalLM'], shipped).target).to.equal('bailing_moe_v3')
    expect(resolveModelType('bailing_hybrid', ['Other'], shipped).target).to.equal('bailing_hybrid')
    expect(resolveModelType('bert', [], shipped).supported).to.equal(false)
    // Inherited object keys are not model types.
    expect(resolveModelType('constructor', [], shipped).supported).to.equal(false)
  })
})
