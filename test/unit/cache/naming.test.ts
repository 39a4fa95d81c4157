import {expect} from 'chai'

import {MlxkError} from '../../../src/sdk/errors.js'
import {dirNameToRepoId, parseModelSpec, repoIdToDirName, validateRepoId} from '../../../src/sdk/cache/naming.js'

function errorOf(fn: () => unknown): MlxkError {
  try {
    fn()
  } catch (error) {
    expect(error).to.be.instanceOf(MlxkError)
    return error as MlxkError
  }

  throw new Error('expected a throw')
}

describe('cache/naming', () => {
  describe('repoIdToDirName / dirNameToRepoId', () => {
    it('maps every / to -- and back', () => {
      expect(repoIdToDirName('org/name')).to.equal('models--org--name')
      expect(repoIdToDirName('org/sub/model')).to.equal('models--org--sub--model')
      expect(repoIdToDirName('gpt2')).to.equal('models--gpt2')
      expect(dirNameToRepoId('models--org--name')).to.equal('org/name')
      expect(dirNameToRepoId('models--org--sub--model')).to.equal('org/sub/model')
    })

    it('round-trips clean names', () => {
      for (const id of ['mlx-community/Llama-3.2-1B-Instruct-4bit', 'a/b', 'x/y.z_w', 'org/sub/model']) {
        expect(dirNameToRepoId(repoIdToDirName(id))).to.equal(id)
      }
    })

    it('passes through names that are already directory names, and non-model names', () => {
      expect(repoIdToDirName('models--org--name')).to.equal('models--org--name')
      expect(dirNameToRepoId('datasets--x--y')).to.equal('datasets--x--y')
      expect(repoIdToDirName('')).to.equal('models--')
      expect(dirNameToRepoId('models--')).to.equal('')
    })

    it('converts corrupted names mechanically instead of throwing', () => {
      expect(dirNameToRepoId('models--org--model---corrupted')).to.equal('org/model/-corrupted')
      expect(dirNameToRepoId('models--org----model')).to.equal('org//model')
      expect(dirNameToRepoId('models--microsoft--DialogGPT---small')).to.equal('microsoft/DialogGPT/-small')
    })
  })

  describe('validateRepoId', () => {
    it('accepts ordinary ids', () => {
      for (const id of [
        'mlx-community/Phi-3-mini-4k-instruct-4bit',
        'gpt2',
        'a.b/c_d-1',
        'org/sub/model',
        'x'.repeat(96),
      ]) {
        expect(validateRepoId(id)).to.equal(id)
      }
    })

    const bad: Array<[string, RegExp]> = [
      ['', /empty/],
      ['   ', /empty/],
      ['x'.repeat(97), /96/],
      ['/org/name', /starts with/],
      ['org/name/', /ends with/],
      ['org//name', /"\/\/"/],
      ['org/../etc', /"\.\." segment/],
      ['../x', /"\.\." segment/],
      ['org/./x', /segment/],
      ['org/na\0me', /NUL/],
      ['org\\name', /backslash/],
      ['org/na me', /only letters/],
      ['org/näme', /only letters/],
      ['org/name@main', /only letters/],
      ['org/a--b', /"--"/],
    ]
    for (const [id, message] of bad) {
      it(`rejects ${JSON.stringify(id).slice(0, 40)}`, () => {
        const error = errorOf(() => validateRepoId(id))
        expect(error.type).to.equal('ValidationError')
        expect(error.message).to.match(message)
      })
    }
  })

  describe('parseModelSpec', () => {
    it('splits at the last @', () => {
      expect(parseModelSpec('org/name')).to.deep.equal({base: 'org/name', revision: null})
      expect(parseModelSpec('org/name@abc123')).to.deep.equal({base: 'org/name', revision: 'abc123'})
      expect(parseModelSpec('Qwen3@e96')).to.deep.equal({base: 'Qwen3', revision: 'e96'})
      expect(parseModelSpec('a@b@c')).to.deep.equal({base: 'a@b', revision: 'c'})
      expect(parseModelSpec('org/name@refs/pr/1')).to.deep.equal({base: 'org/name', revision: 'refs/pr/1'})
    })

    for (const spec of [
      '../x',
      'org/../../etc',
      '/etc/passwd',
      '~/x',
      'a\\b',
      'a\0b',
      'org/x@ab\0',
      '',
      '@abc',
      'x@',
    ]) {
      it(`rejects ${JSON.stringify(spec)}`, () => {
        expect(errorOf(() => parseModelSpec(spec)).type).to.equal('invalid_model_name')
      })
    }
  })
})
