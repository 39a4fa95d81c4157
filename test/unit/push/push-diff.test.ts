import {expect} from 'chai'
import {createHash} from 'node:crypto'
import {mkdtemp, stat, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import type {RemoteFile} from '../../../src/sdk/hub/remote-file.js'
import {diffWorkspace} from '../../../src/sdk/services/push-diff.js'
import type {LocalFile} from '../../../src/sdk/workspace/files.js'

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex')
const gitSha1 = (b: Buffer) => createHash('sha1').update(`blob ${b.length}\0`).update(b).digest('hex')

describe('push diff (local folder vs remote branch)', () => {
  let dir: string
  const local = async (path: string, content: string): Promise<LocalFile> => {
    await writeFile(join(dir, path), content)
    const s = await stat(join(dir, path))
    return {absPath: join(dir, path), mtimeMs: s.mtimeMs, path, size: s.size}
  }

  const remote = (path: string, content: string, lfs: boolean, blobId?: string): RemoteFile => {
    const b = Buffer.from(content)
    return {
      blobId: blobId ?? (lfs ? '1'.repeat(40) : gitSha1(b)),
      lfsSha256: lfs ? sha256(b) : null,
      path,
      size: b.length,
      xetHash: null,
    }
  }

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mlxk-diff-'))
  })

  it('decides by size first, then by the hash the Hub gives (sha256 for LFS, git sha1 otherwise)', async () => {
    const files = [
      await local('same.txt', 'abc'),
      await local('w.safetensors', 'WXYZ'),
      await local('edited.txt', 'abd'),
      await local('grown.txt', 'abcd'),
      await local('new.txt', 'n'),
    ]
    let hashed = 0
    const diff = await diffWorkspace({
      keepRemote: (p) => p === '.gitattributes',
      local: files,
      onHashBytes: (n) => (hashed += n),
      remote: [
        remote('same.txt', 'abc', false),
        remote('w.safetensors', 'WXYZ', true),
        remote('edited.txt', 'abc', false),
        remote('grown.txt', 'abc', false),
        remote('gone.txt', 'x', false),
        remote('.gitattributes', '*', false),
      ],
    })
    expect(diff.added.map((f) => f.path)).to.deep.equal(['new.txt'])
    expect(diff.modified.map((f) => f.path)).to.deep.equal(['edited.txt', 'grown.txt'])
    expect(diff.deleted).to.deep.equal(['gone.txt'])
    expect(diff.unchanged).to.equal(2)
    expect(hashed, 'only same-size files are read').to.equal(3 + 4 + 3)
  })

  it('a remote file without any hash is unverified (~?), never silently unchanged', async () => {
    const diff = await diffWorkspace({
      keepRemote: () => false,
      local: [await local('a.bin', 'zz')],
      remote: [{...remote('a.bin', 'zz', false), blobId: ''}],
    })
    expect(diff.unverified.map((f) => f.path)).to.deep.equal(['a.bin'])
  })

  it('trusts the sentinel’s recorded hash while size and mtime are unchanged (no read)', async () => {
    const file = await local('big.safetensors', 'content')
    const r = remote('big.safetensors', 'content', true)
    let hashed = 0
    const known = new Map([
      [file.path, {mtime_ms: file.mtimeMs, path: file.path, sha256: r.lfsSha256 as string, size: file.size}],
    ])
    const diff = await diffWorkspace({
      keepRemote: () => false,
      known,
      local: [file],
      onHashBytes: (n) => (hashed += n),
      remote: [r],
    })
    expect(diff.unchanged).to.equal(1)
    expect(hashed).to.equal(0)
    const stale = new Map([
      [file.path, {mtime_ms: file.mtimeMs - 1000, path: file.path, sha256: 'f'.repeat(64), size: file.size}],
    ])
    const rehashed = await diffWorkspace({
      keepRemote: () => false,
      known: stale,
      local: [file],
      onHashBytes: (n) => (hashed += n),
      remote: [r],
    })
    expect(rehashed.unchanged).to.equal(1)
    expect(hashed).to.equal(file.size)
  })
})
