import {expect} from 'chai'
import {rm, writeFile} from 'node:fs/promises'

import {readHead, SnapshotReader} from '../../../src/sdk/model/snapshot-reader.js'
import {LLAMA_CONFIG, makeSnapshot} from './snapshot-fixture.js'

describe('model/snapshot-reader', () => {
  it('reads each file once: later calls see the first answer even after the file changes', async () => {
    const snap = await makeSnapshot({'config.json': {json: LLAMA_CONFIG}})
    const reader = new SnapshotReader(snap.files)
    const first = await reader.json('config.json')
    await writeFile(snap.files[0]!.absPath, '{broken')
    expect(await reader.json('config.json')).to.deep.equal(first)
    await rm(snap.files[0]!.absPath)
    expect(await reader.text('config.json')).to.equal(JSON.stringify(LLAMA_CONFIG))
  })

  it('tells missing from invalid and treats dangling links as missing', async () => {
    const snap = await makeSnapshot({'bad.json': '{', 'gone.json': {dangling: true}})
    const reader = new SnapshotReader(snap.files)
    expect(await reader.json('bad.json')).to.deep.equal({kind: 'invalid'})
    expect(await reader.json('gone.json')).to.deep.equal({kind: 'missing'})
    expect(await reader.json('absent.json')).to.deep.equal({kind: 'missing'})
    expect(reader.has('gone.json')).to.equal(false)
  })

  it('reads at most the bytes asked for', async () => {
    const snap = await makeSnapshot({'a.txt': 'abcdef'})
    expect((await readHead(snap.files[0]!.absPath, 3))?.toString()).to.equal('abc')
    expect((await readHead(snap.files[0]!.absPath, 100))?.toString()).to.equal('abcdef')
    expect(await readHead(snap.dir + '/nope', 3)).to.equal(null)
  })
})
