import {expect} from 'chai'
import {chmod, mkdir, readlink, rm, symlink, writeFile} from 'node:fs/promises'
import {join} from 'node:path'

import {
  listModelDirs,
  listSnapshotFiles,
  listSnapshotFilesSync,
  scanCache,
  scanModel,
  scanModelDir,
  selectSnapshot,
  snapshotSizeBytes,
} from '../../../src/sdk/cache/scan.js'
import type {CachedModel} from '../../../src/sdk/cache/types.js'
import {MlxkError} from '../../../src/sdk/errors.js'
import {
  buildCache,
  type FixtureRevision,
  fixtureCommit,
  mlxChatModelFiles,
  modelDirOf,
  shardedModelFiles,
  tempCacheRoot,
} from '../../helpers/fixture-cache.js'

const day = 24 * 3600 * 1000

describe('cache/scan', () => {
  describe('scanCache', () => {
    it('returns [] for a missing cache root', async () => {
      expect(await scanCache(join(tempCacheRoot(), 'nope'))).to.deep.equal([])
    })

    it('lists only models--* directories, sorted by name in code-point order', async () => {
      const root = await buildCache([
        {repoId: 'zeta/m', revisions: [{files: {'a.txt': 'a'}}]},
        {repoId: 'Alpha/m', revisions: [{files: {'a.txt': 'a'}}]},
        {repoId: 'alpha/m', revisions: [{files: {'a.txt': 'a'}}]},
        {repoId: 'org/TEST-CACHE-SENTINEL', revisions: [{files: {'a.txt': 'a'}}]},
      ])
      await mkdir(join(root, 'datasets--org--data'))
      await writeFile(join(root, 'models--a-file'), '')
      await mkdir(join(root, '.locks'), {recursive: true})
      const models = await scanCache(root)
      expect(models.map((m) => m.name)).to.deep.equal(['Alpha/m', 'alpha/m', 'org/TEST-CACHE-SENTINEL', 'zeta/m'])
    })

    it('keeps going when one model is damaged', async () => {
      const root = await buildCache([
        {repoId: 'ok/a', revisions: [{files: {'a.txt': 'a'}}]},
        {repoId: 'ok/b', revisions: [{files: {'a.txt': 'b'}}]},
      ])
      const broken = join(root, 'models--broken--x')
      await mkdir(broken)
      await writeFile(join(broken, 'snapshots'), 'not a directory')
      await writeFile(join(broken, 'refs'), 'not a directory')
      await rm(join(modelDirOf(root, 'ok/b'), 'blobs'), {recursive: true})
      const models = await scanCache(root)
      expect(models.map((m) => m.name)).to.deep.equal(['broken/x', 'ok/a', 'ok/b'])
      expect(models[0]?.snapshots).to.deep.equal([])
      const b = models[2] as CachedModel
      const files = await listSnapshotFiles(b.snapshots[0]!)
      expect(files[0]).to.include({blob: files[0]?.blob, dangling: true, size: 0})
    })

    it('stays fast for a thousand models', async () => {
      const models = Array.from({length: 1000}, (_, i) => ({
        repoId: `org/m${i}`,
        revisions: [{files: {'config.json': `{"i":${i}}`}}],
      }))
      const root = await buildCache(models)
      const started = Date.now()
      const scanned = await scanCache(root)
      expect(scanned).to.have.length(1000)
      expect(Date.now() - started).to.be.below(5000)
    })
  })

  describe('listModelDirs and scanModelDir', () => {
    it('give the models of scanCache, in its order, one at a time', async () => {
      const root = await buildCache([
        {repoId: 'zeta/m', revisions: [{files: {'a.txt': 'a'}}]},
        {repoId: 'Alpha/m', revisions: [{files: {'a.txt': 'a'}}]},
        {repoId: 'alpha/m--x', revisions: [{files: {'a.txt': 'a'}}]},
      ])
      await writeFile(join(root, 'models--a-file'), '')
      await symlink(join(root, 'nowhere'), join(root, 'models--dangling--link'))
      await symlink(modelDirOf(root, 'zeta/m'), join(root, 'models--linked--m'))
      const dirs = listModelDirs(root)
      expect(dirs.map((d) => [d.name, d.isDirectory])).to.deep.equal([
        ['Alpha/m', true],
        ['alpha/m/x', true],
        ['dangling/link', false],
        ['linked/m', false],
        ['zeta/m', true],
      ])
      const one = dirs.flatMap((d) => scanModelDir(root, d) ?? [])
      expect(one.map((m) => m.name)).to.deep.equal(['Alpha/m', 'alpha/m/x', 'linked/m', 'zeta/m'])
      expect(one).to.deep.equal(await scanCache(root))
    })
  })

  describe('scanModel', () => {
    it('reads refs (nested too), snapshots, blobs and partial downloads', async () => {
      const c1 = 'a'.repeat(40)
      const c2 = 'b'.repeat(40)
      const root = await buildCache([
        {
          incomplete: [
            {bytes: 10, etag: 'e1'},
            {bytes: 5, etag: 'e2', unique: true},
          ],
          repoId: 'org/model',
          revisions: [
            {commit: c1, files: {'config.json': '{}', 'model.safetensors': {size: 100}}, refs: ['main', 'v1.0']},
            {commit: c2, files: {'config.json': '{}', 'model.safetensors': {size: 50}}, refs: ['pr/1']},
          ],
        },
      ])
      const model = (await scanModel(root, 'models--org--model')) as CachedModel
      expect(model.name).to.equal('org/model')
      expect(model.dir).to.equal(join(root, 'models--org--model'))
      expect(model.refs).to.deep.equal({main: c1, 'pr/1': c2, 'v1.0': c1})
      expect(model.snapshots.map((s) => [s.commit, s.refs])).to.deep.equal([
        [c1, ['main', 'v1.0']],
        [c2, ['pr/1']],
      ])
      expect(model.incompleteBlobs.map((b) => [b.etag, b.size])).to.deep.equal([
        ['e1', 10],
        ['e2', 5],
      ])
      expect(model.incompleteBlobs[1]?.name).to.match(/^e2\.[0-9a-f]{8}\.incomplete$/)
      // '{}' shared by both revisions: 2 + 100 + 50, plus 15 bytes of partials.
      expect(model.diskBytes).to.equal(2 + 100 + 50 + 15)
    })

    it('counts plain snapshot files toward diskBytes', async () => {
      const root = await buildCache([
        {plainFiles: true, repoId: 'org/plain', revisions: [{files: {'a.txt': 'abc', 'sub/b.txt': 'de'}}]},
      ])
      const model = (await scanModel(root, 'models--org--plain')) as CachedModel
      expect(model.diskBytes).to.equal(5)
    })

    it('returns null for something that is not a model directory', async () => {
      const root = tempCacheRoot()
      await writeFile(join(root, 'models--f'), '')
      expect(await scanModel(root, 'models--f')).to.equal(null)
      expect(await scanModel(root, 'models--missing')).to.equal(null)
    })

    it('tolerates refs with a trailing newline and ignores empty ones', async () => {
      const root = await buildCache([{repoId: 'org/m', revisions: [{files: {'a.txt': 'a'}, refs: []}]}])
      const dir = modelDirOf(root, 'org/m')
      await mkdir(join(dir, 'refs'))
      await writeFile(join(dir, 'refs', 'main'), `${fixtureCommit('org/m', 0)}\n`)
      await writeFile(join(dir, 'refs', 'empty'), '')
      const model = (await scanModel(root, 'models--org--m')) as CachedModel
      expect(model.refs).to.deep.equal({main: fixtureCommit('org/m', 0)})
    })

    it('skips unreadable directories without throwing', async function () {
      if (process.getuid?.() === 0) this.skip()
      const root = await buildCache([{repoId: 'org/m', revisions: [{files: {'a.txt': 'a'}}]}])
      const blobs = join(modelDirOf(root, 'org/m'), 'blobs')
      await chmod(blobs, 0)
      try {
        expect((await scanModel(root, 'models--org--m'))?.diskBytes).to.equal(0)
      } finally {
        await chmod(blobs, 0o755)
      }
    })
  })

  describe('listSnapshotFiles', () => {
    it('lists relative links into blobs recursively, sorted, with sizes and blob names', async () => {
      const root = await buildCache([
        {
          repoId: 'org/m',
          revisions: [{files: {'b.txt': 'bb', 'a/deep/x.json': '{}', 'model.safetensors': {size: 32}}}],
        },
      ])
      const model = (await scanModel(root, 'models--org--m')) as CachedModel
      const files = await listSnapshotFiles(model.snapshots[0]!)
      expect(files.map((f) => [f.path, f.size, f.dangling])).to.deep.equal([
        ['a/deep/x.json', 2, false],
        ['b.txt', 2, false],
        ['model.safetensors', 32, false],
      ])
      expect(await readlink(files[0]!.absPath)).to.match(/^\.\.\/\.\.\/\.\.\/\.\.\/blobs\/[0-9a-f]{40}$/)
      expect(files[2]!.blob).to.match(/^[0-9a-f]{64}$/)
      expect(files[1]!.blob).to.match(/^[0-9a-f]{40}$/)
    })

    it('reads plain files as well', async () => {
      const root = await buildCache([{plainFiles: true, repoId: 'org/p', revisions: [{files: {'x/y.txt': 'hello'}}]}])
      const model = (await scanModel(root, 'models--org--p')) as CachedModel
      expect(await listSnapshotFiles(model.snapshots[0]!)).to.deep.equal([
        {absPath: join(model.snapshots[0]!.dir, 'x', 'y.txt'), blob: null, dangling: false, path: 'x/y.txt', size: 5},
      ])
    })

    it('reports dangling links and links that leave blobs/', async () => {
      const outside = join(tempCacheRoot(), 'outside.txt')
      await writeFile(outside, '1234')
      const root = await buildCache([{repoId: 'org/m', revisions: [{files: {'a.txt': 'a'}}]}])
      const model = (await scanModel(root, 'models--org--m')) as CachedModel
      const dir = model.snapshots[0]!.dir
      await symlink('../../blobs/gone', join(dir, 'gone.bin'))
      await symlink(outside, join(dir, 'outside.txt'))
      const files = await listSnapshotFiles(model.snapshots[0]!)
      expect(files.find((f) => f.path === 'gone.bin')).to.include({blob: 'gone', dangling: true, size: 0})
      expect(files.find((f) => f.path === 'outside.txt')).to.include({blob: null, dangling: false, size: 4})
    })

    it('lists the same files from the scan it follows as from disk, and reads afresh unless asked', async () => {
      const root = await buildCache([
        {
          repoId: 'org/m',
          revisions: [
            {files: {'a/deep/x.json': '{}', 'b.txt': 'bb', 'model.safetensors': {size: 32}}},
            {files: {'c.txt': 'c'}, plainFiles: true},
          ],
        },
      ])
      const dir = modelDirOf(root, 'org/m')
      const snapshotDir = join(dir, 'snapshots', fixtureCommit('org/m', 0))
      await symlink(join(dir, 'blobs', 'absent'), join(snapshotDir, 'gone.bin'))
      await symlink('../../blobs/../blobs/extra', join(snapshotDir, 'odd.txt'))
      await writeFile(join(dir, 'blobs', 'extra'), 'xyz')
      await symlink(tempCacheRoot(), join(snapshotDir, 'a-dir-link'))
      const model = (await scanModel(root, 'models--org--m')) as CachedModel
      const fromDisk = model.snapshots.map((s) => listSnapshotFilesSync({dir: s.dir}))
      expect(fromDisk[0]!.map((f) => [f.path, f.blob !== null, f.dangling, f.size])).to.deep.equal([
        ['a/deep/x.json', true, false, 2],
        ['b.txt', true, false, 2],
        ['gone.bin', true, true, 0],
        ['model.safetensors', true, false, 32],
        ['odd.txt', true, false, 3],
      ])
      expect(fromDisk[0]!.find((f) => f.path === 'odd.txt')?.blob).to.equal('extra')
      expect(model.snapshots.map((s) => listSnapshotFilesSync(s, {reuseScan: true}))).to.deep.equal(fromDisk)

      // The view is what the scan saw, used by the first listing only; any other listing reads the directory.
      const paths = (files: readonly {path: string}[]) => files.map((f) => f.path)
      const again = (await scanModel(root, 'models--org--m')) as CachedModel
      const fresh = (await scanModel(root, 'models--org--m')) as CachedModel
      await writeFile(join(snapshotDir, 'new.txt'), 'new')
      expect(paths(listSnapshotFilesSync(again.snapshots[0]!, {reuseScan: true}))).to.not.include('new.txt')
      expect(paths(listSnapshotFilesSync(again.snapshots[0]!, {reuseScan: true}))).to.include('new.txt')
      expect(paths(await listSnapshotFiles(fresh.snapshots[0]!))).to.include('new.txt')
      expect(paths(listSnapshotFilesSync(fresh.snapshots[0]!, {reuseScan: true}))).to.include('new.txt')
    })

    it('a sizesOnly scan lists the same files, sizes and dangling links, naming no blob', async () => {
      const root = await buildCache([
        {
          incomplete: [{bytes: 7}],
          repoId: 'org/m',
          revisions: [{files: {'a/deep/x.json': '{}', 'b.txt': 'bb', 'model.safetensors': {size: 32}}}],
        },
      ])
      const dir = modelDirOf(root, 'org/m')
      const snapshotDir = join(dir, 'snapshots', fixtureCommit('org/m', 0))
      await symlink(join(dir, 'blobs', 'absent'), join(snapshotDir, 'gone.bin'))
      await symlink('../../blobs/../blobs/extra', join(snapshotDir, 'odd.txt'))
      await writeFile(join(dir, 'blobs', 'extra'), 'xyz')
      await symlink(tempCacheRoot(), join(snapshotDir, 'a-dir-link'))
      await writeFile(join(snapshotDir, 'plain.txt'), 'plain')
      const [entry] = listModelDirs(root)
      const full = scanModelDir(root, entry!)!
      const sizes = scanModelDir(root, entry!, {sizesOnly: true})!
      const files = (model: CachedModel) => listSnapshotFilesSync(model.snapshots[0]!, {reuseScan: true})
      const fullFiles = files(full)
      expect(files(sizes)).to.deep.equal(fullFiles.map((f) => ({...f, blob: null})))
      expect(sizes.incompleteBlobs).to.deep.equal(full.incompleteBlobs)
      expect({...sizes, diskBytes: 0, snapshots: []}).to.deep.equal({...full, diskBytes: 0, snapshots: []})
      expect(sizes.diskBytes, 'not measured').to.be.NaN
    })

    it('returns [] for a missing snapshot directory', async () => {
      expect(await listSnapshotFiles({dir: join(tempCacheRoot(), 'x', 'snapshots', 'y')})).to.deep.equal([])
    })
  })

  describe('snapshotSizeBytes', () => {
    it('counts a blob once even when two paths link to it', async () => {
      const root = await buildCache([
        {repoId: 'org/m', revisions: [{files: {'a.txt': 'same', 'b.txt': 'same', 'c.txt': 'other!'}}]},
      ])
      const model = (await scanModel(root, 'models--org--m')) as CachedModel
      const files = await listSnapshotFiles(model.snapshots[0]!)
      expect(files).to.have.length(3)
      expect(snapshotSizeBytes(files)).to.equal(4 + 6)
    })

    it('counts every plain file', async () => {
      const root = await buildCache([
        {plainFiles: true, repoId: 'org/m', revisions: [{files: {'a.txt': 'same', 'b.txt': 'same'}}]},
      ])
      const model = (await scanModel(root, 'models--org--m')) as CachedModel
      expect(snapshotSizeBytes(await listSnapshotFiles(model.snapshots[0]!))).to.equal(8)
    })
  })

  describe('selectSnapshot', () => {
    const old = new Date(Date.now() - 10 * day)
    const recent = new Date(Date.now() - day)
    const c = (ch: string) => ch.repeat(40)
    async function modelWith(revisions: FixtureRevision[]): Promise<CachedModel> {
      const root = await buildCache([{repoId: 'org/m', revisions}])
      return (await scanModel(root, 'models--org--m')) as CachedModel
    }

    it('picks the snapshot refs/main names, even when another is newer', async () => {
      const model = await modelWith([
        {commit: c('a'), files: {'x.txt': '1'}, mtime: old, refs: ['main']},
        {commit: c('b'), files: {'x.txt': '2'}, mtime: recent, refs: []},
      ])
      expect(selectSnapshot(model)?.commit).to.equal(c('a'))
      expect(selectSnapshot(model, null)?.commit).to.equal(c('a'))
    })

    it('falls back to the only snapshot, then the newest by mtime', async () => {
      const single = await modelWith([{commit: c('a'), files: {'x.txt': '1'}, refs: []}])
      expect(selectSnapshot(single)?.commit).to.equal(c('a'))
      const several = await modelWith([
        {commit: c('a'), files: {'x.txt': '1'}, mtime: recent, refs: []},
        {commit: c('b'), files: {'x.txt': '2'}, mtime: old, refs: []},
      ])
      expect(selectSnapshot(several)?.commit).to.equal(c('a'))
    })

    it('falls back when refs/main names a snapshot that is not there', async () => {
      const model = await modelWith([{commit: c('a'), files: {'x.txt': '1'}, refs: []}])
      model.refs.main = c('f')
      expect(selectSnapshot(model)?.commit).to.equal(c('a'))
    })

    it('returns null for a model without snapshots', async () => {
      const model = await modelWith([])
      expect(selectSnapshot(model)).to.equal(null)
      expect(selectSnapshot(model, 'main')).to.equal(null)
    })

    it('selects by ref name, tag, nested ref, full commit and case-insensitive prefix', async () => {
      const model = await modelWith([
        {commit: 'abc1' + '0'.repeat(36), files: {'x.txt': '1'}, refs: ['main']},
        {commit: 'abd2' + '0'.repeat(36), files: {'x.txt': '2'}, refs: ['v1.0', 'pr/1']},
        {commit: 'ffff' + '0'.repeat(36), files: {'x.txt': '3'}, refs: []},
      ])
      expect(selectSnapshot(model, 'main')?.commit).to.match(/^abc1/)
      expect(selectSnapshot(model, 'v1.0')?.commit).to.match(/^abd2/)
      expect(selectSnapshot(model, 'pr/1')?.commit).to.match(/^abd2/)
      expect(selectSnapshot(model, 'ABD')?.commit).to.match(/^abd2/)
      expect(selectSnapshot(model, 'f')?.commit).to.match(/^ffff/)
      expect(selectSnapshot(model, 'ffff' + '0'.repeat(36))?.commit).to.match(/^ffff/)
      expect(selectSnapshot(model, 'abc10')?.commit).to.match(/^abc1/)
      expect(selectSnapshot(model, 'e')).to.equal(null)
      expect(selectSnapshot(model, 'v2.0')).to.equal(null)
      expect(selectSnapshot(model, 'constructor')).to.equal(null)
    })

    it('reports an ambiguous commit prefix with its matches', async () => {
      const model = await modelWith([
        {commit: 'abc1' + '0'.repeat(36), files: {'x.txt': '1'}},
        {commit: 'abd2' + '0'.repeat(36), files: {'x.txt': '2'}},
      ])
      let error: unknown
      try {
        selectSnapshot(model, 'ab')
      } catch (caught) {
        error = caught
      }

      expect(error).to.be.instanceOf(MlxkError)
      expect((error as MlxkError).type).to.equal('ambiguous_revision')
      expect((error as MlxkError).details.matches).to.deep.equal(['abc1' + '0'.repeat(36), 'abd2' + '0'.repeat(36)])
    })
  })

  describe('fixture layout', () => {
    it('writes what Python writes: etag-named blobs, relative links, refs with the bare sha', async () => {
      const root = await buildCache([{repoId: 'mlx-community/x', revisions: [{files: shardedModelFiles(3, [2])}]}])
      const model = (await scanModel(root, 'models--mlx-community--x')) as CachedModel
      const files = await listSnapshotFiles(model.snapshots[0]!)
      expect(files.map((f) => f.path))
        .to.include('model-00001-of-00003.safetensors')
        .and.not.include('model-00002-of-00003.safetensors')
      expect(model.refs.main).to.equal(fixtureCommit('mlx-community/x', 0))
      const mlx = mlxChatModelFiles()
      expect(Object.keys(mlx)).to.include.members([
        'config.json',
        'model.safetensors',
        'tokenizer.json',
        'tokenizer_config.json',
        'README.md',
      ])
    })
  })
})
