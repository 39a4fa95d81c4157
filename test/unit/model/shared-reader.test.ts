import {expect} from 'chai'

import {checkSnapshotHealth} from '../../../src/sdk/model/health.js'
import {inspectSnapshot} from '../../../src/sdk/model/inspect.js'
import {type HeadReader, readHead as readFileHead, SnapshotReader} from '../../../src/sdk/model/snapshot-reader.js'
import {type Entry, LLAMA_CONFIG, makeSnapshot} from './snapshot-fixture.js'

/** The reads a reader makes, counted by file name. */
function counted(): {counts: Map<string, number>; readHead: HeadReader} {
  const counts = new Map<string, number>()
  return {
    counts,
    readHead: (absPath, maxBytes, knownSize) => {
      const name = absPath.slice(absPath.lastIndexOf('/') + 1)
      counts.set(name, (counts.get(name) ?? 0) + 1)
      return readFileHead(absPath, maxBytes, knownSize)
    },
  }
}

function safetensors(format: string): Buffer {
  const json = JSON.stringify({__metadata__: {format}, w: {data_offsets: [0, 0], dtype: 'F32', shape: [0]}})
  const length = Buffer.alloc(8)
  length.writeBigUInt64LE(BigInt(json.length))
  return Buffer.concat([length, Buffer.from(json)])
}

const MLX_CHAT: Record<string, Entry> = {
  'README.md': '---\nlibrary_name: mlx\ntags:\n- mlx\n---\n# card\n',
  'config.json': {json: {...LLAMA_CONFIG, quantization: {bits: 4, group_size: 64}}},
  'model.safetensors': safetensors('mlx'),
  'tokenizer.json': '{"model":{"type":"BPE"}}',
  'tokenizer_config.json': {json: {chat_template: '{{ messages }}', eos_token: '</s>'}},
}

describe('model: inspection and health share one reader', () => {
  it('reads config.json, README.md and tokenizer_config.json once for both', async () => {
    const snap = await makeSnapshot(MLX_CHAT)
    const {counts, readHead} = counted()
    const reader = new SnapshotReader(snap.files, {readHead})
    const inspection = inspectSnapshot({dir: snap.dir, files: snap.files, name: 'me/x', reader})
    const afterInspect = new Map(counts)
    const health = checkSnapshotHealth({dir: snap.dir, files: snap.files, modelType: inspection.modelType, reader})

    expect([inspection.framework, inspection.frameworkEvidence, inspection.modelType]).to.deep.equal([
      'MLX',
      'readme',
      'chat',
    ])
    expect(health.code).to.equal('ok')
    for (const name of ['config.json', 'README.md', 'tokenizer_config.json']) {
      expect(afterInspect.get(name), `${name} by inspection`).to.equal(1)
      expect(counts.get(name), `${name} in all`).to.equal(1)
    }

    // The LFS probe of small files reads only what inspection had not; nothing is read twice.
    expect([...counts.values()].every((n) => n === 1)).to.equal(true)
  })

  it('reads no safetensors header when the README already decided the framework', async () => {
    const snap = await makeSnapshot({...MLX_CHAT, 'model.safetensors': {size: 4096}})
    const {counts, readHead} = counted()
    const reader = new SnapshotReader(snap.files, {readHead})
    inspectSnapshot({dir: snap.dir, files: snap.files, name: 'me/x', reader})
    checkSnapshotHealth({dir: snap.dir, files: snap.files, modelType: 'chat', reader})
    expect(counts.has('model.safetensors')).to.equal(false)
  })

  it('reads the header once when only it can decide, and the LFS probe reuses that read', async () => {
    const {'README.md': _readme, ...rest} = MLX_CHAT
    const snap = await makeSnapshot({...rest, 'config.json': {json: LLAMA_CONFIG}})
    const {counts, readHead} = counted()
    const reader = new SnapshotReader(snap.files, {readHead})
    const inspection = inspectSnapshot({dir: snap.dir, files: snap.files, name: 'me/x', reader})
    checkSnapshotHealth({dir: snap.dir, files: snap.files, modelType: inspection.modelType, reader})
    expect(inspection.frameworkEvidence).to.equal('safetensors_metadata')
    expect(counts.get('model.safetensors')).to.equal(1)
    expect([...counts.values()].every((n) => n === 1)).to.equal(true)
  })

  it('gives the same verdicts with or without a shared reader', async () => {
    const snap = await makeSnapshot(MLX_CHAT)
    const input = {dir: snap.dir, files: snap.files, name: 'me/x'}
    const shared = new SnapshotReader(snap.files)
    const alone = await inspectSnapshot(input)
    expect(await inspectSnapshot({...input, reader: shared})).to.deep.equal(alone)
    expect(await checkSnapshotHealth({...input, modelType: alone.modelType, reader: shared})).to.deep.equal(
      await checkSnapshotHealth({...input, modelType: alone.modelType}),
    )
  })
})
