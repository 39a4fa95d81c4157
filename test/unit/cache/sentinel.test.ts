import {expect} from 'chai'
import {existsSync} from 'node:fs'
import {join} from 'node:path'

import {assertDeletionAllowed, isTestCache, markTestCache, TEST_SENTINEL} from '../../../src/sdk/cache/sentinel.js'
import {MlxkError} from '../../../src/sdk/errors.js'
import {tempCacheRoot} from '../../helpers/fixture-cache.js'

describe('cache/sentinel', () => {
  it('marks a cache as a test cache', async () => {
    const root = tempCacheRoot()
    expect(await isTestCache(root)).to.equal(false)
    await markTestCache(root)
    expect(existsSync(join(root, TEST_SENTINEL))).to.equal(true)
    expect(await isTestCache(root)).to.equal(true)
  })

  it('guards deletion only in strict mode', async () => {
    const root = tempCacheRoot()
    await assertDeletionAllowed(root, {})
    await assertDeletionAllowed(root, {MLXK_STRICT_TEST_DELETE: '0'})
    const error = await assertDeletionAllowed(root, {MLXK_STRICT_TEST_DELETE: '1'}).then(
      () => null,
      (caught: unknown) => caught,
    )
    expect(error).to.be.instanceOf(MlxkError).with.property('type', 'deletion_failed')
    await markTestCache(root)
    await assertDeletionAllowed(root, {MLXK_STRICT_TEST_DELETE: '1'})
  })
})
