import {Config} from '@oclif/core'
import {expect} from 'chai'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'

import {FastConfig, type RootPjson} from '../../../src/fast/config.js'
import {ROOT} from '../../helpers/run-cli.js'

const pjson = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as RootPjson & {oclif: {plugins: string[]}}

const FIELDS = ['arch', 'bin', 'binAliases', 'cacheDir', 'configDir', 'dataDir', 'dirname', 'home', 'name', 'root']
const MORE_FIELDS = ['topicSeparator', 'version', 'windows', 'isSingleCommandCLI', 'flexibleTaxonomy']
const ENVS: Record<string, string | undefined>[] = [
  {},
  {XDG_CACHE_HOME: '/x/cache', XDG_CONFIG_HOME: '/x/config', XDG_DATA_HOME: '/x/data'},
  {MLXK_CACHE_DIR: '/m/cache', MLXK_CONFIG_DIR: '/m/config', MLXK_DATA_DIR: '/m/data'},
  {HOME: '/elsewhere', XDG_CACHE_HOME: undefined, XDG_CONFIG_HOME: undefined, XDG_DATA_HOME: undefined},
]

function withEnv<T>(env: Record<string, string | undefined>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]))
  const apply = (values: Record<string, string | undefined>) => {
    for (const [k, v] of Object.entries(values)) {
      if (v === undefined) delete process.env[k]
      else process.env[k] = v
    }
  }

  apply(env)
  return fn().finally(() => apply(saved))
}

describe('fast path: its config is the one oclif computes', function () {
  this.timeout(30_000)

  for (const env of ENVS) {
    it(`directories, names and env keys agree with Config.load (${JSON.stringify(env)})`, async () => {
      const [fast, oclif] = await withEnv(env, async () => {
        // Without plugins: none of these fields depends on them, and loading seven would only be slow.
        const loaded = await Config.load({pjson: {...pjson, oclif: {...pjson.oclif, plugins: []}} as never, root: ROOT})
        return [new FastConfig(pjson, loaded.root), loaded] as const
      })
      const pick = (c: object) => Object.fromEntries([...FIELDS, ...MORE_FIELDS].map((k) => [k, (c as never)[k]]))
      expect(pick(fast)).to.deep.equal(pick(oclif))
      if (oclif.platform !== 'wsl') expect(fast.userAgent).to.equal(oclif.userAgent)
      for (const key of ['CONTENT_TYPE', 'REDIRECTED', 'DEBUG']) {
        expect(fast.scopedEnvVarKey(key)).to.equal(oclif.scopedEnvVarKey(key))
        expect(fast.scopedEnvVarKeys(key)).to.deep.equal(oclif.scopedEnvVarKeys(key))
      }

      await withEnv({MLXK_CONTENT_TYPE: 'json', MLXK_DEBUG: 'true'}, async () => {
        expect(fast.scopedEnvVar('CONTENT_TYPE')).to.equal(oclif.scopedEnvVar('CONTENT_TYPE'))
        expect(fast.scopedEnvVarTrue('DEBUG')).to.equal(oclif.scopedEnvVarTrue('DEBUG'))
      })
    })
  }

  it('runs the root postrun hook as oclif does: a no-op for a command other than autocomplete', async () => {
    const config = new FastConfig(pjson, ROOT)
    const result = await config.runHook('postrun', {argv: [], Command: {id: 'list'}})
    expect(result).to.deep.equal({failures: [], successes: [{plugin: config.rootPlugin, result: undefined}]})
    expect(await config.runHook('init', {argv: [], id: 'list'})).to.deep.equal({failures: [], successes: []})
  })
})
