import {expect} from 'chai'

import type {CachedModel, Snapshot} from '../../../src/sdk/cache/types.js'
import {buildModelObject, quantizationLabel, utcTimestamp} from '../../../src/sdk/model/model-object.js'
import type {HealthVerdict, Inspection, RuntimeVerdict} from '../../../src/sdk/model/types.js'

const SHA = 'a'.repeat(40)
const MTIME = Date.UTC(2025, 0, 2, 3, 4, 5, 678)

const snapshot: Snapshot = {
  commit: SHA,
  dir: '/c/models--org--m/snapshots/' + SHA,
  mtimeMs: MTIME,
  refs: ['v1', 'main'],
}
const model: CachedModel = {
  dir: '/c/models--org--m',
  dirName: 'models--org--m',
  diskBytes: 5000,
  incompleteBlobs: [],
  name: 'org/m',
  refs: {main: SHA, v1: SHA},
  snapshots: [snapshot, {...snapshot, commit: 'b'.repeat(40), refs: []}],
}
const inspection: Inspection = {
  architecture: 'LlamaForCausalLM',
  capabilities: ['text-generation', 'chat'],
  config: {model_type: 'llama'},
  configModelType: 'llama',
  contextLength: 8192,
  framework: 'MLX',
  hasTokenizer: true,
  modelType: 'chat',
  quantization: {bits: 4, group_size: 64, mode: 'affine'},
  requiresRemoteCode: false,
}
const HEALTHY: HealthVerdict = {code: 'ok', healthy: true, reason: 'Model is healthy'}
const COMPATIBLE: RuntimeVerdict = {code: 'ok', compatible: true, reason: null}

describe('model/model-object', () => {
  it('builds the upstream fields and the additions', () => {
    const o = buildModelObject({
      files: [],
      health: HEALTHY,
      inspection,
      model,
      runtime: COMPATIBLE,
      sizeBytes: 1234,
      snapshot,
    })
    expect(o).to.deep.equal({
      architecture: 'LlamaForCausalLM',
      cached: true,
      capabilities: ['text-generation', 'chat'],
      context_length: 8192,
      disk_bytes: 5000,
      framework: 'MLX',
      hash: SHA,
      health: 'healthy',
      health_code: 'ok',
      last_modified: '2025-01-02T03:04:05Z',
      model_type: 'chat',
      name: 'org/m',
      partial_download: null,
      quantization: {bits: 4, group_size: 64, mode: 'affine'},
      quantization_label: '4bit',
      reason: null,
      refs: ['main', 'v1'],
      revisions: 2,
      runtime_code: 'ok',
      runtime_compatible: true,
      size_bytes: 1234,
    })
    expect(Object.keys(o).slice(0, 12)).to.deep.equal([
      'name',
      'hash',
      'size_bytes',
      'last_modified',
      'framework',
      'model_type',
      'capabilities',
      'health',
      'runtime_compatible',
      'reason',
      'cached',
      'quantization',
    ])
  })

  it("keeps config.json's quantization as an object (upstream's type); the label is for people", () => {
    const objectOf = (i: Inspection) =>
      buildModelObject({files: [], health: HEALTHY, inspection: i, model, runtime: COMPATIBLE, sizeBytes: 0, snapshot})
    const o = objectOf(inspection)
    expect(o.quantization).to.deep.equal({bits: 4, group_size: 64, mode: 'affine'})
    expect(o.quantization).not.to.equal(inspection.quantization)
    const plain = objectOf({...inspection, quantization: null})
    expect([plain.quantization, plain.quantization_label]).to.deep.equal([null, null])
    expect(quantizationLabel({bits: 8, group_size: null, mode: 'gptq'})).to.equal('8bit')
    expect(quantizationLabel({bits: null, group_size: null, mode: 'fp8'})).to.equal('fp8')
    expect(quantizationLabel({bits: null, group_size: null, mode: null})).to.equal(null)
  })

  it('gives the integrity reason and never runtime_compatible when unhealthy', () => {
    const health = {code: 'shards_missing', healthy: false, reason: 'Missing weight shards: x'}
    const o = buildModelObject({files: [], health, inspection, model, runtime: COMPATIBLE, sizeBytes: 0, snapshot})
    expect([o.health, o.runtime_compatible, o.reason, o.health_code]).to.deep.equal([
      'unhealthy',
      false,
      'Missing weight shards: x',
      'shards_missing',
    ])
  })

  it('gives the runtime reason when healthy but not runnable', () => {
    const runtime = {code: 'framework', compatible: false, reason: 'Incompatible: GGUF'}
    const o = buildModelObject({files: [], health: HEALTHY, inspection, model, runtime, sizeBytes: 0, snapshot})
    expect([o.health, o.runtime_compatible, o.reason, o.runtime_code]).to.deep.equal([
      'healthy',
      false,
      'Incompatible: GGUF',
      'framework',
    ])
  })

  it('has a null hash for a snapshot dir that is not a sha, and reports partial downloads', () => {
    const partialModel = {
      ...model,
      incompleteBlobs: [
        {etag: 'e', name: 'e.incomplete', size: 10},
        {etag: 'f', name: 'f.1234abcd.incomplete', size: 5},
      ],
    }
    const o = buildModelObject({
      files: [],
      health: HEALTHY,
      inspection,
      model: partialModel,
      runtime: COMPATIBLE,
      sizeBytes: 0,
      snapshot: {...snapshot, commit: 'main'},
    })
    expect(o.hash).to.equal(null)
    expect(o.partial_download).to.deep.equal({bytes: 15, count: 2})
  })

  it('falls back sensibly with no snapshot and no inspection', () => {
    const health = {code: 'snapshot_missing', healthy: false, reason: 'No snapshots found'}
    const o = buildModelObject({
      files: [],
      health,
      inspection: null,
      model: {...model, snapshots: []},
      runtime: {code: 'snapshot_missing', compatible: false, reason: 'No snapshots found'},
      sizeBytes: 0,
      snapshot: null,
    })
    expect(o).to.deep.include({
      framework: 'Unknown',
      hash: null,
      last_modified: '1970-01-01T00:00:00Z',
      model_type: 'base',
      refs: [],
      revisions: 0,
    })
  })

  it('formats true UTC regardless of the local time zone', () => {
    expect(utcTimestamp(0)).to.equal('1970-01-01T00:00:00Z')
    expect(utcTimestamp(Number.NaN)).to.equal('1970-01-01T00:00:00Z')
    expect(utcTimestamp(MTIME)).to.match(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/)
  })
})
