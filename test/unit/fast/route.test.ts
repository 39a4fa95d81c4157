import {expect} from 'chai'
import {mkdirSync, mkdtempSync, utimesSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {bundleIsStale, continuesId, environmentNeedsOclif, fastRoute, hasUserPlugins} from '../../../src/fast/route.js'

describe('fast path: which calls it takes', () => {
  it('finds the command id as oclif reads space-separated ids, aliases included', () => {
    expect(fastRoute(['list', '--json'])).to.deep.equal({argv: ['--json'], id: 'list'})
    expect(fastRoute(['ls', 'qwen'])).to.deep.equal({argv: ['qwen'], id: 'list'})
    expect(fastRoute(['complete', 'models', 'q'])).to.deep.equal({argv: ['q'], id: 'complete:models'})
    expect(fastRoute(['complete:models'])).to.deep.equal({argv: [], id: 'complete:models'})
    expect(fastRoute(['rm', 'list'])).to.deep.equal({argv: ['list'], id: 'rm'})
    expect(fastRoute(['list', '--', '--help'])).to.deep.equal({argv: ['--', '--help'], id: 'list'})
  })

  it('leaves help, other commands and flags before the id to oclif', () => {
    for (const argv of [
      [],
      ['--help'],
      ['list', '--help'],
      ['complete'],
      ['complete', 'script', 'bash'],
      ['pull', 'x'],
    ]) {
      expect(fastRoute(argv), argv.join(' ')).to.equal(undefined)
    }

    expect(fastRoute(['--json', 'list'])).to.equal(undefined)
    expect(fastRoute(['a=b', 'list'])).to.equal(undefined)
    expect(fastRoute(['list', '-h'], ['-h'])).to.equal(undefined)
    expect(fastRoute(['list', '-h'])).to.deep.equal({argv: ['-h'], id: 'list'})
  })

  it('leaves to oclif a word it would read into the id of a command without arguments', () => {
    expect(fastRoute(['version', 'foo'])).to.equal(undefined)
    expect(fastRoute(['version', '--json'])).to.deep.equal({argv: ['--json'], id: 'version'})
    expect(fastRoute(['version', 'a=b'])).to.deep.equal({argv: ['a=b'], id: 'version'})
    expect(continuesId(false, ['foo'])).to.equal(true)
    expect(continuesId(false, [])).to.equal(false)
    expect(continuesId(true, ['foo'])).to.equal(false)
  })

  it('leaves DEBUG, MLXK_DEBUG and MLXK_FAST_PATH=0 to oclif', () => {
    const scoped = (env: NodeJS.ProcessEnv) => (key: string) => env[`MLXK_${key}`]
    const needs = (env: NodeJS.ProcessEnv) => environmentNeedsOclif(env, scoped(env))
    expect(needs({})).to.equal(false)
    expect(needs({DEBUG: ''})).to.equal(false)
    expect(needs({DEBUG: '*'})).to.equal(true)
    expect(needs({MLXK_DEBUG: 'true'})).to.equal(true)
    expect(needs({MLXK_DEBUG: '0'})).to.equal(false)
    expect(needs({MLXK_FAST_PATH: '0'})).to.equal(true)
    expect(needs({MLXK_FAST_PATH: '1'})).to.equal(false)
  })

  it('sees plugins the user installed or linked in oclif’s list', () => {
    const dir = mkdtempSync(join(process.env.MLXK_TEST_SANDBOX!, 'user-plugins-'))
    const file = join(dir, 'package.json')
    expect(hasUserPlugins(file)).to.equal(false)
    writeFileSync(file, JSON.stringify({dependencies: {}, oclif: {plugins: []}}))
    expect(hasUserPlugins(file)).to.equal(false)
    writeFileSync(file, JSON.stringify({oclif: {plugins: [{name: 'x', type: 'user'}]}}))
    expect(hasUserPlugins(file)).to.equal(true)
    writeFileSync(file, '{not json')
    expect(hasUserPlugins(file), 'oclif decides about a broken file').to.equal(true)
  })

  it('finds a bundle older than its sources, in a checkout only', () => {
    const root = mkdtempSync(join(process.env.MLXK_TEST_SANDBOX!, 'stale-'))
    mkdirSync(join(root, 'lib'))
    writeFileSync(join(root, 'lib', 'a.js'), '')
    utimesSync(join(root, 'lib', 'a.js'), 1000, 1000)
    const inputs = [['lib/a.js', 1_000_000]] as const
    expect(bundleIsStale(root, inputs), 'an installed copy has no src/').to.equal(false)
    mkdirSync(join(root, 'src'))
    expect(bundleIsStale(root, inputs)).to.equal(false)
    utimesSync(join(root, 'lib', 'a.js'), 2000, 2000)
    expect(bundleIsStale(root, inputs)).to.equal(true)
    expect(bundleIsStale(root, [['lib/gone.js', 1]])).to.equal(true)
  })
})
