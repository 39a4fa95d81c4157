import {expect} from 'chai'
import {rm, writeFile} from 'node:fs/promises'

import {type HeadReader, readHead, SnapshotReader} from '../../../src/sdk/model/snapshot-reader.js'
import {LLAMA_CONFIG, makeSnapshot} from './snapshot-fixture.js'

/** A HeadReader that records each read (path and limit) before doing it. */
function countingReads(): {log: Array<[string, number]>; readHead: HeadReader} {
  const log: Array<[string, number]> = []
  return {
    log,
    readHead: (absPath, maxBytes, knownSize) => {
      log.push([absPath.slice(absPath.lastIndexOf('/') + 1), maxBytes])
      return readHead(absPath, maxBytes, knownSize)
    },
  }
}

describe('model/snapshot-reader', () => {
  it('reads each file once: later calls see the first answer even after the file changes', async () => {
    const snap = await makeSnapshot({'config.json': {json: LLAMA_CONFIG}})
    const reader = new SnapshotReader(snap.files)
    const first = reader.json('config.json')
    await writeFile(snap.files[0]!.absPath, '{broken')
    expect(reader.json('config.json')).to.deep.equal(first)
    await rm(snap.files[0]!.absPath)
    expect(reader.text('config.json')).to.equal(JSON.stringify(LLAMA_CONFIG))
  })

  it('tells missing from invalid and treats dangling links as missing', async () => {
    const snap = await makeSnapshot({'bad.json': '{', 'gone.json': {dangling: true}})
    const reader = new SnapshotReader(snap.files)
    expect(reader.json('bad.json')).to.deep.equal({kind: 'invalid'})
    expect(reader.json('gone.json')).to.deep.equal({kind: 'missing'})
    expect(reader.json('absent.json')).to.deep.equal({kind: 'missing'})
    expect(reader.has('gone.json')).to.equal(false)
  })

  it('answers a shorter read from a longer one, and any read from a whole file', async () => {
    const snap = await makeSnapshot({'big.md': 'x'.repeat(1000), 'small.json': '{"a":1}'})
    const {log, readHead: counting} = countingReads()
    const reader = new SnapshotReader(snap.files, {readHead: counting})
    expect(reader.text('small.json', 100)).to.equal('{"a":1}')
    expect(reader.json('small.json')).to.deep.equal({kind: 'ok', value: {a: 1}})
    expect(reader.bytes('big.md', 500)?.length).to.equal(500)
    expect(reader.bytes('big.md', 100)?.length).to.equal(100)
    // 500 bytes cannot answer for 1000: the one case that reads again.
    expect(reader.text('big.md')?.length).to.equal(1000)
    expect(reader.bytes('big.md', 10)?.toString()).to.equal('xxxxxxxxxx')
    expect(log).to.deep.equal([
      ['small.json', 100],
      ['big.md', 500],
      ['big.md', 32 * 1024 * 1024],
    ])
  })

  it('reads at most the bytes asked for', async () => {
    const snap = await makeSnapshot({'a.txt': 'abcdef'})
    const path = snap.files[0]!.absPath
    expect(readHead(path, 3)?.toString()).to.equal('abc')
    expect(readHead(path, 100)?.toString()).to.equal('abcdef')
    expect(readHead(snap.dir + '/nope', 3)).to.equal(null)
  })

  it('trusts a known size as the limit but stops at EOF when the file shrank', async () => {
    const snap = await makeSnapshot({'a.txt': 'abcdef'})
    const path = snap.files[0]!.absPath
    expect(readHead(path, 100, 4)?.toString()).to.equal('abcd')
    await writeFile(path, 'ab')
    expect(readHead(path, 100, 6)?.toString()).to.equal('ab')
  })
})
