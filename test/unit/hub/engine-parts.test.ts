import {expect} from 'chai'
import type {FileHandle} from 'node:fs/promises'

import {filterPaths} from '../../../src/sdk/hub/globs.js'
import {gateProbeTarget} from '../../../src/sdk/hub/hub-api.js'
import {hubErrorToMlxk} from '../../../src/sdk/hub/hub-errors.js'
import {
  decodeTrailer,
  encodeTrailer,
  partialName,
  planParts,
  TRAILER_BYTES,
  TrailerWriter,
} from '../../../src/sdk/hub/partial-file.js'
import {formatDuration, progressLine} from '../../../src/sdk/progress/rate.js'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe('download engine parts', () => {
  describe('globs (Python fnmatch semantics)', () => {
    const files = [
      'config.json',
      'model-00001-of-00002.safetensors',
      'sub/dir/x.json',
      'README.md',
      'onnx/model.onnx',
    ].map((path) => ({path}))
    const pick = (include?: string[], exclude?: string[]) => filterPaths(files, include, exclude).map((f) => f.path)

    it('`*` crosses directories; no patterns keeps everything', () => {
      expect(pick(['*.json'])).to.deep.equal(['config.json', 'sub/dir/x.json'])
      expect(pick()).to.have.length(5)
    })

    it('a trailing slash means the whole folder; exclude wins over include', () => {
      expect(pick(undefined, ['onnx/', 'sub/'])).to.deep.equal([
        'config.json',
        'model-00001-of-00002.safetensors',
        'README.md',
      ])
      expect(pick(['*'], ['*.md'])).not.to.include('README.md')
      expect(pick(['model-0000[1-2]-of-*'])).to.deep.equal(['model-00001-of-00002.safetensors'])
    })
  })

  describe('partial file trailer', () => {
    it('splits into bounded parts that cover the file exactly', () => {
      const parts = planParts(10_000_001, 1_000_000, 4)
      expect(parts).to.have.length(4)
      expect(parts[0]!.start).to.equal(0)
      expect(parts.at(-1)!.end).to.equal(10_000_000)
      for (let i = 1; i < parts.length; i++) expect(parts[i]!.start).to.equal(parts[i - 1]!.end + 1)
      expect(planParts(100, 1_000_000, 16)).to.have.length(1)
      expect(planParts(0, 1, 1)).to.deep.equal([])
    })

    it('round-trips, and rejects a trailer for another blob or size', () => {
      const state = {etag: 'abc', parts: planParts(5000, 1000, 5).map((p, i) => ({...p, done: i * 10})), size: 5000}
      const buffer = encodeTrailer(state)
      expect(buffer.length).to.equal(TRAILER_BYTES)
      expect(decodeTrailer(buffer, 'abc', 5000)).to.deep.equal(state)
      expect(decodeTrailer(buffer, 'other', 5000)).to.equal(null)
      expect(decodeTrailer(buffer, 'abc', 5001)).to.equal(null)
      expect(decodeTrailer(Buffer.alloc(TRAILER_BYTES), 'abc', 5000)).to.equal(null)
    })

    it('the trailer writer catches up after the last bytes, when no later chunk comes to carry it', async () => {
      const written: Array<null | number> = []
      const handle = {
        write: async (buffer: Buffer) => written.push(decodeTrailer(buffer, 'abc', 100)?.parts[0]?.done ?? null),
      } as unknown as FileHandle
      const state = {etag: 'abc', parts: planParts(100, 100, 1), size: 100}
      const part = state.parts[0]!
      const trailer = new TrailerWriter(handle, state)
      for (const done of [10, 20]) {
        part.done = done
        trailer.progressed()
      }

      await sleep(10)
      // A burst: the first write at once, the rest coalesced into one per interval.
      expect(written).to.deep.equal([20])
      part.done = 30
      trailer.progressed()
      part.done = 40
      trailer.progressed()
      await sleep(20)
      expect(written).to.deep.equal([20])
      // Then the transfer stalls: the trailing write records the last bytes anyway.
      await sleep(250)
      expect(written).to.deep.equal([20, 40])
      part.done = 50
      await trailer.flush()
      expect(written).to.deep.equal([20, 40, 50])
    })

    it('names the partial file in the form huggingface_hub 2.4 and mlxk health recognise', () => {
      expect(partialName('e3b0c442')).to.match(/^e3b0c442\.[0-9a-f]{8}\.incomplete$/)
    })
  })

  describe('gated repo probe', () => {
    const file = (path: string, size: number, lfs: boolean) => ({
      blobId: 'b',
      lfsSha256: lfs ? 's' : null,
      path,
      size,
      xetHash: null,
    })
    it('asks for the largest LFS file, never the card or .gitattributes the Hub serves to anyone', () => {
      const files = [
        file('README.md', 9_000_000, false),
        file('.gitattributes', 1519, false),
        file('tokenizer.json', 7_000_000, false),
        file('model-00002-of-00002.safetensors', 2_000_000, true),
        file('model-00001-of-00002.safetensors', 5_000_000, true),
      ]
      expect(gateProbeTarget(files)?.path).to.equal('model-00001-of-00002.safetensors')
      expect(gateProbeTarget(files.slice(0, 3))?.path).to.equal('tokenizer.json')
      expect(gateProbeTarget(files.slice(0, 2))).to.equal(null)
    })
  })

  describe('Hub error mapping', () => {
    const context = (hasToken: boolean) => ({hasToken, repoId: 'o/m', revision: 'main'})
    it('maps the X-Error-Code answers and leaves transient ones to retry', () => {
      expect(hubErrorToMlxk({code: 'GatedRepo', status: 403, timedOut: false}, context(true))?.type).to.equal(
        'access_denied',
      )
      expect(hubErrorToMlxk({code: 'RepoNotFound', status: 401, timedOut: false}, context(false))?.type).to.equal(
        'access_denied',
      )
      expect(hubErrorToMlxk({code: 'RepoNotFound', status: 404, timedOut: false}, context(true))?.type).to.equal(
        'model_not_found',
      )
      expect(hubErrorToMlxk({code: 'RevisionNotFound', status: 404, timedOut: false}, context(false))?.type).to.equal(
        'revision_not_found',
      )
      expect(hubErrorToMlxk({code: null, status: 503, timedOut: false}, context(false))).to.equal(null)
      expect(hubErrorToMlxk({code: null, status: null, timedOut: true}, context(false))).to.equal(null)
    })
  })

  describe('progress text', () => {
    it('shows bytes, speed and ETA', () => {
      expect(progressLine(5_000_000, 10_000_000, 1_000_000)).to.equal('5.0MB/10.0MB  1.0MB/s  ETA 5s')
      expect(formatDuration(3725)).to.equal('1h02m')
      expect(progressLine(0, 10, 0)).to.match(/ETA --$/)
    })
  })
})
