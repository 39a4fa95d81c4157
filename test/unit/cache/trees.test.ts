import {expect} from 'chai'
import {mkdir, writeFile} from 'node:fs/promises'
import {join} from 'node:path'

import {readTreesJson} from '../../../src/sdk/cache/scan.js'
import {buildCache, fixtureCommit, mlxChatModelFiles, modelDirOf} from '../../helpers/fixture-cache.js'

describe('cache/trees', () => {
  it('reads the file list huggingface_hub writes to trees/<commit>.json', async () => {
    const root = await buildCache([{repoId: 'org/m', revisions: [{files: mlxChatModelFiles()}], writeTrees: true}])
    const files = await readTreesJson(modelDirOf(root, 'org/m'), fixtureCommit('org/m', 0))
    expect(files?.map((f) => f.path)).to.deep.equal([
      'README.md',
      'config.json',
      'model.safetensors',
      'tokenizer.json',
      'tokenizer_config.json',
    ])
    const weights = files?.find((f) => f.path === 'model.safetensors')
    expect(weights?.lfsSha256).to.match(/^[0-9a-f]{64}$/)
    expect(weights?.size).to.be.above(8)
    expect(files?.find((f) => f.path === 'config.json')?.lfsSha256).to.equal(null)
  })

  it('parses Python’s own output, extra fields included', async () => {
    const dir = join(await buildCache([]), 'models--x--y')
    await mkdir(join(dir, 'trees'), {recursive: true})
    const python = {
      files: {
        'a/b.json': {blob_id: 'b1', size: 3},
        'model.safetensors': {blob_id: 'b2', lfs_sha256: 'f'.repeat(64), lfs_size: 9, size: 9, xet_hash: 'x'},
      },
      format_version: 1,
    }
    await writeFile(join(dir, 'trees', 'c0ffee.json'), JSON.stringify(python, null, 1))
    expect(await readTreesJson(dir, 'c0ffee')).to.deep.equal([
      {blobId: 'b1', lfsSha256: null, path: 'a/b.json', size: 3},
      {blobId: 'b2', lfsSha256: 'f'.repeat(64), path: 'model.safetensors', size: 9},
    ])
  })

  it('returns null when the file is absent, unreadable or in another format', async () => {
    const dir = join(await buildCache([]), 'models--x--y')
    await mkdir(join(dir, 'trees'), {recursive: true})
    expect(await readTreesJson(dir, 'missing')).to.equal(null)
    const cases: Record<string, string> = {
      badfile: JSON.stringify({files: {a: {size: 1}}, format_version: 1}),
      badsize: JSON.stringify({files: {a: {blob_id: 'x', size: '1'}}, format_version: 1}),
      nofiles: JSON.stringify({format_version: 1}),
      notjson: '{',
      v2: JSON.stringify({files: {}, format_version: 2}),
    }
    for (const [commit, text] of Object.entries(cases)) {
      await writeFile(join(dir, 'trees', `${commit}.json`), text)
      expect(await readTreesJson(dir, commit), commit).to.equal(null)
    }

    expect(await readTreesJson(dir, '../trees/v2')).to.equal(null)
  })
})
