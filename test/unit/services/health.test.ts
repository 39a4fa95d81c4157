import {expect} from 'chai'
import {symlink, writeFile} from 'node:fs/promises'
import {join} from 'node:path'

import {scanCache} from '../../../src/sdk/cache/scan.js'
import {checkHealth} from '../../../src/sdk/services/health.js'
import {describeModel} from '../../../src/sdk/services/describe-model.js'
import {supportedModelTypes} from '../../../src/sdk/services/supported.js'
import {
  buildCache,
  fixtureCommit,
  mlxChatModelFiles,
  modelDirOf,
  pytorchModelFiles,
  shardedModelFiles,
} from '../../helpers/fixture-cache.js'

describe('services/health', () => {
  // health scans with `sizesOnly`; its verdicts must be the ones the full pipeline (list, show) reaches.
  it('judges every model as a full scan and describe do', async () => {
    const root = await buildCache([
      {repoId: 'acme/ok', revisions: [{files: mlxChatModelFiles()}]},
      {repoId: 'acme/shard-gap', revisions: [{files: shardedModelFiles(3, [2])}]},
      {incomplete: [{bytes: 9}], repoId: 'acme/partial', revisions: [{files: shardedModelFiles(2, [1])}]},
      {repoId: 'acme/torch', revisions: [{files: pytorchModelFiles()}]},
      {repoId: 'acme/empty-weights', revisions: [{files: {...mlxChatModelFiles(), 'model.safetensors': ''}}]},
      {repoId: 'acme/dangling', revisions: [{files: mlxChatModelFiles()}]},
    ])
    const snapshot = join(modelDirOf(root, 'acme/dangling'), 'snapshots', fixtureCommit('acme/dangling', 0))
    await symlink('../../blobs/absent', join(snapshot, 'extra.safetensors'))
    await writeFile(join(snapshot, 'weights.partial'), '')

    const supported = supportedModelTypes()
    const expected = await Promise.all(
      (await scanCache(root)).map(async (model) => {
        const {health, object, runtime} = await describeModel(model, {supported})
        return {
          code: health.code,
          hash: object.hash,
          name: object.name,
          partial_download: object.partial_download,
          reason: health.reason,
          runtime_compatible: object.runtime_compatible,
          runtime_reason: health.healthy ? runtime.reason : null,
          status: health.healthy ? 'healthy' : 'unhealthy',
        }
      }),
    )
    const report = await checkHealth({root})
    expect([...report.healthy, ...report.unhealthy].sort((a, b) => (a.name < b.name ? -1 : 1))).to.deep.equal(
      expected.sort((a, b) => (a.name < b.name ? -1 : 1)),
    )
    expect(report.unhealthy.length, 'the fixture has problems to find').to.be.greaterThan(3)
  })
})
