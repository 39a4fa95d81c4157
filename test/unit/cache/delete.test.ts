import {expect} from 'chai'
import {existsSync} from 'node:fs'
import {mkdir, readdir, rm, symlink, writeFile} from 'node:fs/promises'
import {join} from 'node:path'

import {executeDelete, planDelete} from '../../../src/sdk/cache/delete.js'
import {resolveDeletable} from '../../../src/sdk/cache/safe-remove.js'
import {scanModel} from '../../../src/sdk/cache/scan.js'
import {TEST_SENTINEL} from '../../../src/sdk/cache/sentinel.js'
import type {CachedModel} from '../../../src/sdk/cache/types.js'
import {MlxkError} from '../../../src/sdk/errors.js'
import {buildCache, modelDirOf, tempCacheRoot} from '../../helpers/fixture-cache.js'

const c1 = '1'.repeat(40)
const c2 = '2'.repeat(40)
const c3 = '3'.repeat(40)

async function scan(root: string, repoId: string): Promise<CachedModel> {
  return (await scanModel(root, `models--${repoId.replaceAll('/', '--')}`)) as CachedModel
}

async function rejection(promise: Promise<unknown>): Promise<MlxkError> {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  )
  expect(error).to.be.instanceOf(MlxkError)
  return error as MlxkError
}

/** Two revisions sharing config.json and tokenizer.json; each has its own weights. */
async function twoRevisions(extra: {writeTrees?: boolean} = {}): Promise<string> {
  return buildCache([
    {
      locks: ['w1'],
      repoId: 'org/m',
      revisions: [
        {
          commit: c1,
          files: {'config.json': '{"a":1}', 'model.safetensors': {size: 100}, 'tokenizer.json': 'tok'},
          refs: ['main'],
        },
        {
          commit: c2,
          files: {'config.json': '{"a":1}', 'model.safetensors': {size: 70}, 'tokenizer.json': 'tok'},
          refs: ['v1.0', 'pr/1'],
        },
      ],
      ...extra,
    },
    {locks: ['x'], repoId: 'org/m-v2', revisions: [{files: {'a.txt': 'keep me'}}]},
  ])
}

describe('cache/delete', () => {
  describe('whole model', () => {
    it('removes the model directory and its locks, nothing else', async () => {
      const root = await twoRevisions()
      const model = await scan(root, 'org/m')
      const plan = await planDelete(root, model, null)
      expect(plan).to.deep.include({
        commit: null,
        freed_bytes: model.diskBytes,
        kept_blobs: 0,
        model: 'org/m',
        removed_blobs: 4,
        removed_refs: ['main', 'pr/1', 'v1.0'],
        targets: ['models--org--m', '.locks/models--org--m'],
        whole_model: true,
      })
      const result = await executeDelete(root, plan)
      expect(result.deleted).to.deep.equal(plan.targets)
      expect(result.lock_files_cleaned).to.equal(1)
      expect(existsSync(modelDirOf(root, 'org/m'))).to.equal(false)
      expect(existsSync(join(root, '.locks', 'models--org--m'))).to.equal(false)
      expect(existsSync(modelDirOf(root, 'org/m-v2'))).to.equal(true)
      expect(existsSync(join(root, '.locks', 'models--org--m-v2', 'x.lock'))).to.equal(true)
      expect(existsSync(join(root, TEST_SENTINEL))).to.equal(true)
    })
  })

  describe('one revision', () => {
    it('keeps blobs another revision shares and cleans its refs and tree listing', async () => {
      const root = await twoRevisions({writeTrees: true})
      const model = await scan(root, 'org/m')
      const plan = await planDelete(root, model, 'v1.0')
      expect(plan.whole_model).to.equal(false)
      expect(plan.commit).to.equal(c2)
      expect(plan.removed_refs).to.deep.equal(['pr/1', 'v1.0'])
      expect(plan.removed_blobs).to.equal(1)
      expect(plan.kept_blobs).to.equal(2)
      expect(plan.freed_bytes).to.equal(70)
      expect(plan.targets[0]).to.equal(`models--org--m/snapshots/${c2}`)
      expect(plan.targets).to.include.members([
        'models--org--m/refs/pr/1',
        'models--org--m/refs/v1.0',
        `models--org--m/trees/${c2}.json`,
      ])
      await executeDelete(root, plan)

      const after = await scan(root, 'org/m')
      expect(after.snapshots.map((s) => s.commit)).to.deep.equal([c1])
      expect(after.refs).to.deep.equal({main: c1})
      expect(existsSync(join(after.dir, 'trees', `${c1}.json`))).to.equal(true)
      expect(existsSync(join(after.dir, 'trees', `${c2}.json`))).to.equal(false)
      expect(await readdir(join(after.dir, 'blobs'))).to.have.length(3)
      expect(existsSync(join(root, '.locks', 'models--org--m', 'w1.lock'))).to.equal(true)
    })

    it('selects the revision by commit prefix and counts plain files as freed', async () => {
      const root = await buildCache([
        {
          repoId: 'org/p',
          revisions: [
            {commit: c1, files: {'a.txt': 'aaaa'}},
            {commit: c2, files: {'a.txt': 'bb'}, plainFiles: true},
          ],
        },
      ])
      const plan = await planDelete(root, await scan(root, 'org/p'), '222')
      expect(plan).to.deep.include({commit: c2, freed_bytes: 2, removed_blobs: 0, removed_refs: [], whole_model: false})
    })

    it('takes the whole model when the revision is its last snapshot', async () => {
      const root = await buildCache([
        {locks: ['l'], repoId: 'org/one', revisions: [{commit: c1, files: {'a.txt': 'a'}}]},
      ])
      const plan = await planDelete(root, await scan(root, 'org/one'), 'main')
      expect(plan.whole_model).to.equal(true)
      expect(plan.revision).to.equal('main')
      expect(plan.targets).to.deep.equal(['models--org--one', '.locks/models--org--one'])
      await executeDelete(root, plan)
      expect(existsSync(modelDirOf(root, 'org/one'))).to.equal(false)
    })

    it('refuses a revision that is not cached', async () => {
      const root = await twoRevisions()
      const error = await rejection(planDelete(root, await scan(root, 'org/m'), c3))
      expect(error.type).to.equal('revision_not_found')
    })

    it('never counts a blob a third revision still needs', async () => {
      const root = await buildCache([
        {
          repoId: 'org/t',
          revisions: [
            {commit: c1, files: {'w.safetensors': {size: 10}}},
            {commit: c2, files: {'w.safetensors': {size: 10}}},
            {commit: c3, files: {'w.safetensors': {size: 10}}},
          ],
        },
      ])
      const plan = await planDelete(root, await scan(root, 'org/t'), c1)
      expect(plan).to.deep.include({freed_bytes: 0, kept_blobs: 1, removed_blobs: 0})
    })
  })

  describe('safety', () => {
    it('never deletes through a model directory that is a symlink to outside the cache', async () => {
      const root = await buildCache([])
      const outside = join(tempCacheRoot(), 'victim-dir')
      await mkdir(join(outside, 'snapshots', c1), {recursive: true})
      await writeFile(join(outside, 'victim.txt'), 'precious')
      await symlink(outside, join(root, 'models--evil--m'))
      const model = await scan(root, 'evil/m')
      expect(model).to.not.equal(null)
      const error = await rejection(executeDelete(root, await planDelete(root, model, null)))
      expect(error.type).to.equal('unsafe_path')
      expect(existsSync(join(outside, 'victim.txt'))).to.equal(true)
      expect(existsSync(join(root, 'models--evil--m'))).to.equal(true)
    })

    it('removes a snapshot symlinked to outside as a link, never what it points to', async () => {
      const root = await twoRevisions()
      const outside = join(tempCacheRoot(), 'victim-snapshot')
      await mkdir(outside)
      await writeFile(join(outside, 'victim.txt'), 'precious')
      const dir = modelDirOf(root, 'org/m')
      await symlink(outside, join(dir, 'snapshots', c3))
      await writeFile(join(dir, 'refs', 'evil'), c3)
      const model = await scan(root, 'org/m')
      const plan = await planDelete(root, model, 'evil')
      expect(plan.targets).to.deep.equal([`models--org--m/snapshots/${c3}`, 'models--org--m/refs/evil'])
      await executeDelete(root, plan)
      expect(existsSync(join(outside, 'victim.txt'))).to.equal(true)
      expect(existsSync(join(dir, 'snapshots', c3))).to.equal(false)
      expect((await scan(root, 'org/m')).snapshots).to.have.length(2)
    })

    it('leaves the target of a snapshot entry that points outside the cache', async () => {
      const root = await twoRevisions()
      const victim = join(tempCacheRoot(), 'victim.bin')
      await writeFile(victim, 'precious')
      await symlink(victim, join(modelDirOf(root, 'org/m'), 'snapshots', c2, 'escape.bin'))
      await executeDelete(root, await planDelete(root, await scan(root, 'org/m'), c2))
      await executeDelete(root, await planDelete(root, await scan(root, 'org/m'), null))
      expect(existsSync(victim)).to.equal(true)
    })

    it('refuses when an inner directory is a symlink that leads outside', async () => {
      const root = await twoRevisions()
      const outside = join(tempCacheRoot(), 'fake-blobs')
      await mkdir(outside)
      await writeFile(join(outside, 'victim'), 'precious')
      const dir = modelDirOf(root, 'org/m')
      await rm(join(dir, 'trees'), {force: true, recursive: true})
      await symlink(outside, join(dir, 'trees'))
      const error = await rejection(resolveDeletable(root, 'models--org--m', 'models--org--m/trees/victim'))
      expect(error.type).to.equal('unsafe_path')
      expect(existsSync(join(outside, 'victim'))).to.equal(true)
    })

    it('checks every target before deleting any', async () => {
      const root = await twoRevisions()
      const model = await scan(root, 'org/m')
      const plan = await planDelete(root, model, c2)
      for (const target of [
        '',
        '.',
        '..',
        '../x',
        '/etc',
        'models--org--m-v2',
        'models--org--m/../models--org--m-v2',
        '.locks',
        '.locks/models--org--m-v2/x.lock',
      ]) {
        const error = await rejection(executeDelete(root, {...plan, targets: [...plan.targets, target]}))
        expect(error.type, target).to.equal('unsafe_path')
      }

      expect((await scan(root, 'org/m')).snapshots).to.have.length(2)
      expect(existsSync(modelDirOf(root, 'org/m-v2'))).to.equal(true)
    })

    it('refuses a locks directory that is a symlink', async () => {
      const root = await twoRevisions()
      const outside = join(tempCacheRoot(), 'fake-locks')
      await mkdir(outside)
      await writeFile(join(outside, 'victim.lock'), '')
      await rm(join(root, '.locks', 'models--org--m'), {recursive: true})
      await symlink(outside, join(root, '.locks', 'models--org--m'))
      const error = await rejection(executeDelete(root, await planDelete(root, await scan(root, 'org/m'), null)))
      expect(error.type).to.equal('unsafe_path')
      expect(existsSync(join(outside, 'victim.lock'))).to.equal(true)
      expect(existsSync(modelDirOf(root, 'org/m'))).to.equal(true)
    })

    it('in strict test mode, refuses a cache without the sentinel and deletes nothing', async () => {
      expect(process.env.MLXK_STRICT_TEST_DELETE).to.equal('1')
      const root = await twoRevisions()
      await rm(join(root, TEST_SENTINEL))
      const victim = join(modelDirOf(root, 'org/m'), 'snapshots', c1, 'config.json')
      const error = await rejection(executeDelete(root, await planDelete(root, await scan(root, 'org/m'), null)))
      expect(error.type).to.equal('deletion_failed')
      expect(error.message).to.equal(`Expected a test cache, but using: ${root}`)
      expect(existsSync(victim)).to.equal(true)
    })
  })
})
