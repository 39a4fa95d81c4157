import {expect} from 'chai'

import {inspectSnapshot, safetensorsFormat} from '../../../src/sdk/model/inspect.js'
import {type Entry, LLAMA_CONFIG, makeSnapshot} from './snapshot-fixture.js'

/** A minimal safetensors file: 8-byte little-endian header length, then the JSON header. */
function safetensors(metadata: Record<string, string> | null): Buffer {
  const header: Record<string, unknown> = {w: {data_offsets: [0, 0], dtype: 'F32', shape: [0]}}
  const json = JSON.stringify(metadata ? {__metadata__: metadata, ...header} : header)
  const length = Buffer.alloc(8)
  length.writeBigUInt64LE(BigInt(json.length))
  return Buffer.concat([length, Buffer.from(json)])
}

async function inspect(name: string, entries: Record<string, Entry>) {
  const snap = await makeSnapshot(entries)
  return inspectSnapshot({dir: snap.dir, files: snap.files, name})
}

describe('model/inspect', () => {
  describe('framework', () => {
    it('is MLX for mlx-community names', async () => {
      const i = await inspect('mlx-community/Llama-3-8B-4bit', {
        'config.json': {json: LLAMA_CONFIG},
        'model.safetensors': 'x',
      })
      expect(i.framework).to.equal('MLX')
      expect(i.frameworkEvidence).to.equal('name')
    })

    it('is MLX for any org when the README says library_name: mlx or tags mlx', async () => {
      const byLibrary = await inspect('me/x', {'README.md': '---\nlibrary_name: mlx\n---\n', 'model.safetensors': 'x'})
      const byTag = await inspect('me/x', {'README.md': '---\ntags:\n- MLX\n---\n', 'model.safetensors': 'x'})
      expect([byLibrary.framework, byTag.framework]).to.deep.equal(['MLX', 'MLX'])
      expect(byTag.frameworkEvidence).to.equal('readme')
    })

    it('is MLX when config.json has the mlx-lm quantization object', async () => {
      const config = {...LLAMA_CONFIG, quantization: {bits: 4, group_size: 64}}
      const i = await inspect('me/x', {'config.json': {json: config}, 'model.safetensors': 'x'})
      expect(i.framework).to.equal('MLX')
      expect(i.frameworkEvidence).to.equal('config_quantization')
    })

    it('is MLX when the safetensors header carries format: mlx', async () => {
      const i = await inspect('me/x', {
        'config.json': {json: LLAMA_CONFIG},
        'model.safetensors': safetensors({format: 'mlx'}),
      })
      expect(i.framework).to.equal('MLX')
      expect(i.frameworkEvidence).to.equal('safetensors_metadata')
    })

    it('does not claim MLX for a plain HF checkpoint (model.safetensors + config)', async () => {
      const i = await inspect('me/x', {
        'config.json': {json: LLAMA_CONFIG},
        'model.safetensors': safetensors({format: 'pt'}),
      })
      expect(i.framework).to.equal('PyTorch')
      expect(i.frameworkEvidence).to.equal('weight_files')
    })

    it('is MLX for legacy mlx-examples weight names', async () => {
      const i = await inspect('me/x', {'config.json': {json: LLAMA_CONFIG}, 'weights.00.safetensors': 'x'})
      expect(i.framework).to.equal('MLX')
    })

    it('is GGUF with any .gguf, PyTorch with pytorch_model*.bin, else Unknown', async () => {
      expect((await inspect('me/x', {'sub/m-Q4_K_M.gguf': 'x'})).framework).to.equal('GGUF')
      expect((await inspect('me/x', {'pytorch_model-00001-of-00002.bin': 'x'})).framework).to.equal('PyTorch')
      expect((await inspect('me/x', {'config.json': {json: LLAMA_CONFIG}})).framework).to.equal('Unknown')
    })

    it('reads the safetensors format from a header prefix only', async () => {
      const snap = await makeSnapshot({
        'a.safetensors': safetensors({format: 'mlx'}),
        'b.safetensors': safetensors(null),
        'c.safetensors': 'tiny',
      })
      const [a, b, c] = snap.files
      expect(await safetensorsFormat(a!.absPath)).to.equal('mlx')
      expect(await safetensorsFormat(b!.absPath)).to.equal(null)
      expect(await safetensorsFormat(c!.absPath)).to.equal(null)
    })
  })

  describe('model type and capabilities', () => {
    it('is chat with a chat_template in tokenizer_config.json', async () => {
      const i = await inspect('me/x', {'tokenizer_config.json': {json: {chat_template: '{{ messages }}'}}})
      expect(i.modelType).to.equal('chat')
      expect(i.capabilities).to.deep.equal(['text-generation', 'chat'])
      expect(i.chatTemplateSource).to.equal('tokenizer_config.json')
    })

    it('is chat with chat_template.jinja or chat_template.json files', async () => {
      const jinja = await inspect('me/x', {'chat_template.jinja': '{% for m in messages %}{% endfor %}'})
      const json = await inspect('me/x', {'chat_template.json': {json: {chat_template: '{{ x }}'}}})
      expect([jinja.modelType, json.modelType]).to.deep.equal(['chat', 'chat'])
      expect([jinja.chatTemplateSource, json.chatTemplateSource]).to.deep.equal([
        'chat_template.jinja',
        'chat_template.json',
      ])
    })

    it('accepts a list of named templates', async () => {
      const i = await inspect('me/x', {
        'tokenizer_config.json': {json: {chat_template: [{name: 'default', template: '<think>'}]}},
      })
      expect(i.capabilities).to.deep.equal(['text-generation', 'chat', 'reasoning'])
    })

    it('adds reasoning when the template opens <think>', async () => {
      const i = await inspect('me/x', {'chat_template.jinja': "{{ '<think>\\n' }}"})
      expect(i.capabilities).to.include('reasoning')
    })

    it('is chat when the name says instruct or chat, else base', async () => {
      expect((await inspect('me/Llama-3-8B-Instruct', {})).modelType).to.equal('chat')
      expect((await inspect('me/x-Chat', {})).modelType).to.equal('chat')
      const base = await inspect('me/Llama-3-8B', {'config.json': {json: LLAMA_CONFIG}})
      expect(base.modelType).to.equal('base')
      expect(base.capabilities).to.deep.equal(['text-generation'])
    })

    it('is embedding from pipeline_tag, sentence-transformers files, bare encoders or the name', async () => {
      const cases: Array<[string, Record<string, Entry>]> = [
        ['me/a', {'README.md': '---\npipeline_tag: sentence-similarity\n---\n'}],
        ['me/b', {'README.md': '---\npipeline_tag: feature-extraction\n---\n'}],
        ['me/c', {'modules.json': '[]'}],
        ['me/d', {'1_Pooling/config.json': '{}'}],
        ['me/e', {'config.json': {json: {architectures: ['BertModel'], model_type: 'bert'}}}],
        ['me/bge-embed-small', {}],
      ]
      for (const [name, entries] of cases) {
        const i = await inspect(name, entries)
        expect(i.modelType, name).to.equal('embedding')
        expect(i.capabilities, name).to.deep.equal(['embeddings'])
      }
    })

    it('keeps an LLM-based embedder an embedder despite its inherited chat template', async () => {
      const i = await inspect('me/Qwen3-Embedding-0.6B', {
        'config.json': {json: {architectures: ['Qwen3ForCausalLM'], model_type: 'qwen3'}},
        'tokenizer_config.json': {json: {chat_template: '{{ x }}'}},
      })
      expect(i.modelType).to.equal('embedding')
    })

    it('does not take a causal LM head class (GPT2LMHeadModel) for an encoder', async () => {
      const i = await inspect('me/gpt2', {
        'config.json': {json: {architectures: ['GPT2LMHeadModel'], model_type: 'gpt2'}},
      })
      expect(i.modelType).to.equal('base')
    })
  })

  describe('config-derived fields', () => {
    it('reads quantization from MLX quantization or HF quantization_config', async () => {
      const mlx = await inspect('me/x', {
        'config.json': {json: {...LLAMA_CONFIG, quantization: {bits: 4, group_size: 64}}},
      })
      expect(mlx.quantization).to.deep.equal({bits: 4, group_size: 64, mode: null})
      const hf = await inspect('me/x', {
        'config.json': {json: {...LLAMA_CONFIG, quantization_config: {bits: 8, quant_method: 'gptq'}}},
      })
      expect(hf.quantization).to.deep.equal({bits: 8, group_size: null, mode: 'gptq'})
      const fp8 = await inspect('me/x', {
        'config.json': {json: {...LLAMA_CONFIG, quantization_config: {quant_method: 'fp8'}}},
      })
      expect(fp8.quantization).to.deep.equal({bits: null, group_size: null, mode: 'fp8'})
      expect((await inspect('me/x', {'config.json': {json: LLAMA_CONFIG}})).quantization).to.equal(null)
    })

    it('takes the first positive integer context length, falling back to text_config', async () => {
      const ctx = async (config: Record<string, unknown>) =>
        (await inspect('me/x', {'config.json': {json: config}})).contextLength
      expect(await ctx({max_position_embeddings: 0, n_positions: 1024})).to.equal(1024)
      expect(await ctx({context_length: 2048.5, seq_len: 512})).to.equal(512)
      expect(await ctx({max_sequence_length: 8192})).to.equal(8192)
      expect(await ctx({text_config: {max_position_embeddings: 131_072}})).to.equal(131_072)
      expect(await ctx({})).to.equal(null)
    })

    it('reports architecture, model_type and the parsed config; null when config.json is invalid', async () => {
      const good = await inspect('me/x', {'config.json': {json: LLAMA_CONFIG}})
      expect(good.architecture).to.equal('LlamaForCausalLM')
      expect(good.configModelType).to.equal('llama')
      expect(good.config).to.deep.equal(LLAMA_CONFIG)
      const bad = await inspect('me/x', {'config.json': '{nope'})
      expect([bad.config, bad.configModelType, bad.architecture]).to.deep.equal([null, null, null])
    })

    it('requires remote code for config model_file or tokenizer auto_map, not for config auto_map alone', async () => {
      const modelFile = await inspect('me/x', {'config.json': {json: {...LLAMA_CONFIG, model_file: 'custom.py'}}})
      expect(modelFile.requiresRemoteCode).to.equal(true)
      expect(modelFile.remoteCode.modelFile).to.equal('custom.py')
      const tokenizer = await inspect('me/x', {
        'tokenizer_config.json': {json: {auto_map: {AutoTokenizer: ['tok.T', null]}}},
      })
      expect(tokenizer.requiresRemoteCode).to.equal(true)
      // Phi-3 and DeepSeek-V3 configs carry auto_map for transformers; mlx-lm builds those models itself.
      const configOnly = await inspect('me/x', {
        'config.json': {json: {...LLAMA_CONFIG, auto_map: {AutoModelForCausalLM: 'm.M'}}},
      })
      expect(configOnly.requiresRemoteCode).to.equal(false)
      expect(configOnly.remoteCode.configAutoMap).to.equal(true)
    })

    it('detects tokenizer files of every common format at the top level', async () => {
      const has = async (entries: Record<string, Entry>) => (await inspect('me/x', entries)).hasTokenizer
      expect(await has({'tokenizer.json': '{}'})).to.equal(true)
      expect(await has({'tokenizer.model': 'x'})).to.equal(true)
      expect(await has({'spiece.model': 'x'})).to.equal(true)
      expect(await has({'qwen.tiktoken': 'x'})).to.equal(true)
      expect(await has({'merges.txt': 'x', 'vocab.json': '{}'})).to.equal(true)
      expect(await has({'vocab.json': '{}'})).to.equal(false)
      expect(await has({'sub/tokenizer.json': '{}'})).to.equal(false)
      expect(await has({'tokenizer.json': {dangling: true}})).to.equal(false)
    })
  })

  it('reads each file at most once and only files the scan listed', async () => {
    // A README that exists on disk but is not in the scanned list must not be read.
    const snap = await makeSnapshot({
      'README.md': '---\nlibrary_name: mlx\n---\n',
      'config.json': {json: LLAMA_CONFIG},
      'model.safetensors': 'x',
    })
    const i = await inspectSnapshot({
      dir: snap.dir,
      files: snap.files.filter((f) => f.path !== 'README.md'),
      name: 'me/x',
    })
    expect(i.framework).to.equal('PyTorch')
    expect(i.frontMatter).to.equal(null)
  })
})
