import {expect} from 'chai'

import type {SnapshotFile} from '../../../src/sdk/cache/types.js'
import {checkRuntimeCompatibility} from '../../../src/sdk/model/runtime-compat.js'
import {shippedSupportedModelTypes} from '../../../src/sdk/model/supported-types.js'
import type {HealthVerdict, Inspection} from '../../../src/sdk/model/types.js'

const HEALTHY: HealthVerdict = {code: 'ok', healthy: true, reason: 'Model is healthy'}

function inspection(overrides: Partial<Inspection> = {}): Inspection {
  return {
    architecture: 'LlamaForCausalLM',
    capabilities: ['text-generation'],
    config: {architectures: ['LlamaForCausalLM'], model_type: 'llama'},
    configModelType: 'llama',
    contextLength: 4096,
    framework: 'MLX',
    hasTokenizer: true,
    modelType: 'base',
    quantization: {bits: 4, group_size: 64, mode: null},
    requiresRemoteCode: false,
    ...overrides,
  }
}

function files(...paths: string[]): SnapshotFile[] {
  return paths.map((path) => ({absPath: `/x/${path}`, blob: null, dangling: false, path, size: 10}))
}

function check(overrides: Partial<Inspection> = {}, paths = ['config.json', 'model.safetensors'], health = HEALTHY) {
  return checkRuntimeCompatibility({
    files: files(...paths),
    health,
    inspection: inspection(overrides),
    supported: shippedSupportedModelTypes(),
  })
}

describe('model/runtime-compat', () => {
  it('is compatible when every gate passes', () => {
    expect(check()).to.deep.equal({code: 'ok', compatible: true, reason: null})
  })

  it('passes the integrity reason through first', () => {
    const unhealthy = {code: 'weights_missing', healthy: false, reason: 'No model weights found'}
    expect(check({framework: 'GGUF'}, [], unhealthy)).to.deep.equal({
      code: 'unhealthy',
      compatible: false,
      reason: 'No model weights found',
    })
  })

  it('rejects other frameworks by name', () => {
    for (const framework of ['GGUF', 'PyTorch', 'Unknown'] as const) {
      expect(check({framework})).to.deep.equal({
        code: 'framework',
        compatible: false,
        reason: `Incompatible: ${framework}`,
      })
    }
  })

  it('rejects legacy weight names unless modern ones exist too', () => {
    expect(check({}, ['weights.00.safetensors', 'weights.01.safetensors']).code).to.equal('legacy_format')
    expect(check({}, ['weights.00.safetensors']).reason).to.equal('Legacy format not supported by mlx-lm')
    expect(check({}, ['pytorch_model-00001.safetensors']).code).to.equal('legacy_format')
    expect(check({}, ['weights.00.safetensors', 'model.safetensors']).code).to.equal('ok')
    expect(
      check({}, ['weights.00.safetensors', 'model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors'])
        .code,
    ).to.equal('ok')
  })

  it('rejects layouts mlx-lm cannot load (it globs model*.safetensors only)', () => {
    expect(check({}, ['consolidated.safetensors']).code).to.equal('weights_not_loadable')
    expect(check({}, ['sub/model.safetensors']).code).to.equal('weights_not_loadable')
  })

  it('needs a config with model_type', () => {
    expect(check({config: null, configModelType: null})).to.deep.equal({
      code: 'config_missing',
      compatible: false,
      reason: 'config.json missing (required for model_type detection)',
    })
    expect(check({config: {a: 1}, configModelType: null})).to.deep.equal({
      code: 'model_type_missing',
      compatible: false,
      reason: 'config.json missing model_type field',
    })
  })

  it('refuses models that need code from their directory', () => {
    const v = check({requiresRemoteCode: true})
    expect(v.code).to.equal('remote_code')
    expect(v.reason).to.equal(
      'Model requires custom code (model_file/auto_map); mlxk never runs code from a model directory',
    )
  })

  it('names the unsupported model_type and the mlx-lm version', () => {
    expect(check({config: {model_type: 'nope'}, configModelType: 'nope'})).to.deep.equal({
      code: 'unsupported_model_type',
      compatible: false,
      reason: "model_type 'nope' not supported by mlx-lm 0.32.2",
    })
  })

  it('honours MODEL_REMAPPING (mistral runs as llama)', () => {
    expect(check({config: {model_type: 'mistral'}, configModelType: 'mistral'}).code).to.equal('ok')
  })

  it('runs embedders on a supported encoder (bert, not an mlx-lm type) or mlx-lm decoder, and names the others', () => {
    const embedder = (modelType: string) =>
      check({
        capabilities: ['embeddings'],
        config: {model_type: modelType},
        configModelType: modelType,
        modelType: 'embedding',
      })
    for (const type of ['qwen3', 'bert', 'xlm-roberta'])
      expect(embedder(type), type).to.deep.include({compatible: true})
    const v = embedder('nomic_bert')
    expect(v.code).to.equal('unsupported_embedding_model')
    expect(v.reason).to.equal(
      "Embedding model of type 'nomic_bert': mlxk embeds with bert, roberta, xlm-roberta encoders and with decoders mlx-lm supports",
    )
  })

  it('keeps the gate order: framework before legacy before config', () => {
    expect(
      check({config: null, configModelType: null, framework: 'PyTorch'}, ['weights.00.safetensors']).code,
    ).to.equal('framework')
    expect(check({config: null, configModelType: null}, ['weights.00.safetensors']).code).to.equal('legacy_format')
  })
})
