import {expect} from 'chai'

import {resolveModel} from '../../../src/sdk/cache/resolve.js'
import type {CachedModel, Resolution, Snapshot} from '../../../src/sdk/cache/types.js'
import {MlxkError} from '../../../src/sdk/errors.js'

function model(name: string, snapshots: Array<[string, string[]?]> = [['0'.repeat(40), ['main']]]): CachedModel {
  const dirName = `models--${name.replaceAll('/', '--')}`
  const refs: Record<string, string> = {}
  const list: Snapshot[] = snapshots.map(([commit, names = []]) => {
    for (const ref of names) refs[ref] = commit
    return {commit, dir: `/cache/${dirName}/snapshots/${commit}`, mtimeMs: 0, refs: names}
  })
  return {dir: `/cache/${dirName}`, dirName, diskBytes: 0, incompleteBlobs: [], name, refs, snapshots: list}
}

// The models of upstream's test fixtures (spec §4.3), plus a few that exercise the edge cases.
const upstream = [
  model('Qwen/Qwen3-Coder-480B-A35B-Instruct', [['a1b2c3d4' + '0'.repeat(32), ['main']]]),
  model('microsoft/DialoGPT-small'),
  model('mlx-community/Phi-3-mini-4k-instruct-4bit'),
  model('mlx-community/Qwen3-30B-A3B-Instruct-2507-4bit', [['e96c1f2a' + '0'.repeat(32), ['main']]]),
]

function found(resolution: Resolution): Extract<Resolution, {kind: 'found'}> {
  expect(
    resolution.kind,
    JSON.stringify(resolution.kind === 'ambiguous' ? resolution.matches : resolution.kind),
  ).to.equal('found')
  return resolution as Extract<Resolution, {kind: 'found'}>
}

describe('cache/resolve', () => {
  describe("upstream's examples", () => {
    it('Phi-3-mini → mlx-community/Phi-3-mini-4k-instruct-4bit', () => {
      const result = found(resolveModel(upstream, 'Phi-3-mini'))
      expect(result.model.name).to.equal('mlx-community/Phi-3-mini-4k-instruct-4bit')
      expect(result.exact).to.equal(false)
      expect(result.revision).to.equal(null)
      expect(result.snapshot?.refs).to.deep.equal(['main'])
    })

    it('DialoGPT → microsoft/DialoGPT-small', () => {
      expect(found(resolveModel(upstream, 'DialoGPT')).model.name).to.equal('microsoft/DialoGPT-small')
    })

    it('Qwen → ambiguous, with sorted matches', () => {
      expect(resolveModel(upstream, 'Qwen')).to.deep.equal({
        kind: 'ambiguous',
        matches: ['Qwen/Qwen3-Coder-480B-A35B-Instruct', 'mlx-community/Qwen3-30B-A3B-Instruct-2507-4bit'],
        spec: 'Qwen',
      })
    })

    it('Qwen3@e96 → the Qwen3 model that has a snapshot starting e96', () => {
      const result = found(resolveModel(upstream, 'Qwen3@e96'))
      expect(result.model.name).to.equal('mlx-community/Qwen3-30B-A3B-Instruct-2507-4bit')
      expect(result.snapshot?.commit).to.match(/^e96c1f2a/)
      expect(result.revision).to.equal('e96')
    })

    it('nonexistent-model → not found', () => {
      expect(resolveModel(upstream, 'nonexistent-model')).to.deep.equal({
        kind: 'not_found',
        revision: null,
        spec: 'nonexistent-model',
      })
    })
  })

  describe('name rules', () => {
    it('an exact full name wins over substrings and is exact', () => {
      const models = [model('org/llama'), model('org/llama-2'), model('org/llama-3')]
      const result = found(resolveModel(models, 'org/llama'))
      expect(result.model.name).to.equal('org/llama')
      expect(result.exact).to.equal(true)
    })

    it('matches the full name case-insensitively, but not as exact', () => {
      const models = [model('Org/Llama'), model('Org/Llama-2')]
      const result = found(resolveModel(models, 'org/llama'))
      expect(result.model.name).to.equal('Org/Llama')
      expect(result.exact).to.equal(false)
    })

    it('prefers the case-sensitive name when two names differ only in case', () => {
      const models = [model('org/Model'), model('org/model')]
      expect(found(resolveModel(models, 'org/model')).model.name).to.equal('org/model')
      expect(resolveModel(models, 'ORG/MODEL')).to.deep.include({
        kind: 'ambiguous',
        matches: ['org/Model', 'org/model'],
      })
    })

    it('a bare name equal to one name part resolves; several orgs prefer mlx-community', () => {
      expect(found(resolveModel([model('a/Phi-3'), model('a/Phi-3-mini')], 'Phi-3')).model.name).to.equal('a/Phi-3')
      const both = [model('other/Phi-3'), model('mlx-community/Phi-3'), model('x/Phi-3-big')]
      expect(found(resolveModel(both, 'Phi-3')).model.name).to.equal('mlx-community/Phi-3')
      expect(resolveModel([model('a/Phi-3'), model('b/Phi-3')], 'Phi-3')).to.deep.include({
        kind: 'ambiguous',
        matches: ['a/Phi-3', 'b/Phi-3'],
      })
      expect(found(resolveModel([model('a/Phi-3'), model('a/Phi-3-mini')], 'phi-3')).model.name).to.equal('a/Phi-3')
    })

    it('substring matches are case-insensitive; one match is found, not exact', () => {
      const result = found(resolveModel([model('mlx-community/Llama-3.2-1B-4bit'), model('org/gemma')], 'llama-3.2'))
      expect(result.model.name).to.equal('mlx-community/Llama-3.2-1B-4bit')
      expect(result.exact).to.equal(false)
    })

    it('a base with / is matched as a substring of the full name too', () => {
      expect(
        found(resolveModel([model('mlx-community/abc-4bit'), model('org/abc')], 'community/abc')).model.name,
      ).to.equal('mlx-community/abc-4bit')
    })

    it('never hides test-sentinel models', () => {
      const models = [model('org/TEST-CACHE-SENTINEL-x'), model('org/real')]
      expect(found(resolveModel(models, 'TEST-CACHE-SENTINEL')).model.name).to.equal('org/TEST-CACHE-SENTINEL-x')
    })

    it('finds nothing in an empty cache', () => {
      expect(resolveModel([], 'x').kind).to.equal('not_found')
    })

    it('refuses specs that could name a path', () => {
      for (const spec of ['../etc', '/abs', 'a\\b', '']) {
        expect(() => resolveModel(upstream, spec))
          .to.throw(MlxkError)
          .with.property('type', 'invalid_model_name')
      }
    })

    it('finds models whose directory names are corrupted', () => {
      const corrupted = {...model('x'), dirName: 'models--org--model---corrupted', name: 'org/model/-corrupted'}
      expect(found(resolveModel([corrupted], 'corrupted')).model.dirName).to.equal('models--org--model---corrupted')
    })
  })

  describe('revisions', () => {
    const c1 = 'abc1' + '0'.repeat(36)
    const c2 = 'abd2' + '0'.repeat(36)
    const m = model('org/m', [
      [c1, ['main']],
      [c2, ['v1.0', 'pr/1']],
    ])

    it('selects by commit prefix, ref name and nested ref', () => {
      expect(found(resolveModel([m], 'org/m@abc')).snapshot?.commit).to.equal(c1)
      expect(found(resolveModel([m], 'org/m@ABD2')).snapshot?.commit).to.equal(c2)
      expect(found(resolveModel([m], 'org/m@v1.0')).snapshot?.commit).to.equal(c2)
      expect(found(resolveModel([m], 'org/m@pr/1')).snapshot?.commit).to.equal(c2)
      expect(found(resolveModel([m], 'org/m@main')).exact).to.equal(true)
    })

    it('reports a missing revision with what is available', () => {
      expect(resolveModel([m], 'org/m@fff')).to.deep.equal({
        available: ['abc10000', 'abd20000', 'main', 'pr/1', 'v1.0'],
        kind: 'revision_not_found',
        model: m,
        revision: 'fff',
        spec: 'org/m@fff',
      })
    })

    it('throws ambiguous_revision for a prefix of several commits', () => {
      expect(() => resolveModel([m], 'org/m@ab'))
        .to.throw(MlxkError)
        .with.property('type', 'ambiguous_revision')
    })

    it('a revision narrows an ambiguous name only when exactly one model has it', () => {
      const other = model('org/m2', [['abc9' + '0'.repeat(36), ['main']]])
      expect(found(resolveModel([m, other], 'org/m@abd')).model.name).to.equal('org/m')
      expect(resolveModel([model('org/mm'), other], 'm@abc')).to.deep.include({kind: 'found'})
      expect(resolveModel([m, other], 'org@main')).to.deep.include({kind: 'ambiguous', matches: ['org/m', 'org/m2']})
      expect(resolveModel([model('org/x1'), model('org/x2')], 'x@fff')).to.deep.include({kind: 'ambiguous'})
    })

    it('a name not in the cache stays not found, keeping the revision', () => {
      expect(resolveModel([m], 'other/x@main')).to.deep.equal({
        kind: 'not_found',
        revision: 'main',
        spec: 'other/x@main',
      })
    })
  })
})
