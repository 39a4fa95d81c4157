import {expect} from 'chai'
import {mkdtemp, readFile, rm, utimes, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {hashFile} from '../../../src/sdk/workspace/hash.js'
import {
  fingerprintDigest,
  readSentinel,
  SENTINEL_NAME,
  sentinelEntry,
  workspaceStatus,
  writeSentinel,
} from '../../../src/sdk/workspace/sentinel.js'

describe('workspace sentinel', () => {
  let dir: string
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mlxk-sentinel-'))
    await writeFile(join(dir, 'config.json'), '{"a":1}')
    await writeFile(join(dir, 'model.safetensors'), 'weights!')
    const files = [
      await sentinelEntry(dir, 'config.json', {gitSha1: (await hashFile(join(dir, 'config.json'), 7)).gitSha1}),
      await sentinelEntry(dir, 'model.safetensors', {
        sha256: (await hashFile(join(dir, 'model.safetensors'), 8)).sha256,
      }),
    ]
    await writeSentinel(dir, {
      created_at: new Date().toISOString(),
      fingerprint: {digest: fingerprintDigest(files), files},
      format: 1,
      kind: 'mlxk-workspace',
      mlxk_version: '0.0.0-test',
      source: {commit: 'a'.repeat(40), repo_id: 'org/m', revision: 'main'},
    })
  })

  it('is written atomically as JSON, with a real UTC timestamp', async () => {
    const raw = JSON.parse(await readFile(join(dir, SENTINEL_NAME), 'utf8')) as {created_at: string}
    expect(raw.created_at).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
    expect(Math.abs(Date.parse(raw.created_at) - Date.now())).to.be.lessThan(60_000)
    expect((await readSentinel(dir))?.source.repo_id).to.equal('org/m')
  })

  it('a fresh workspace is clean without hashing anything', async () => {
    const status = await workspaceStatus(dir)
    expect(status).to.include({hashed: 0, managed: true, state: 'clean'})
  })

  it('detects an edited, a touched-but-equal, an added and a removed file', async () => {
    await writeFile(join(dir, 'config.json'), '{"a":2}')
    const later = new Date(Date.now() + 5000)
    await utimes(join(dir, 'model.safetensors'), later, later)
    await writeFile(join(dir, 'extra.txt'), 'x')
    let status = await workspaceStatus(dir)
    expect(status.state).to.equal('modified')
    expect(status.modified).to.deep.equal(['config.json'])
    expect(status.added).to.deep.equal(['extra.txt'])
    expect(status.hashed, 'equal sizes with a new mtime are hashed').to.equal(2)
    await rm(join(dir, 'extra.txt'))
    await rm(join(dir, 'model.safetensors'))
    status = await workspaceStatus(dir)
    expect(status.removed).to.deep.equal(['model.safetensors'])
  })

  it('a folder without a sentinel is unmanaged', async () => {
    await rm(join(dir, SENTINEL_NAME))
    expect((await workspaceStatus(dir)).state).to.equal('unmanaged')
  })
})
