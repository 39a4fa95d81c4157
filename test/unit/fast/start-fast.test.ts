import {expect} from 'chai'
import {spawnSync} from 'node:child_process'
import {existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, utimesSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {stateCacheDir} from '../../../src/sdk/paths.js'
import {ROOT} from '../../helpers/run-cli.js'

interface StartFast {
  compileCacheDir(version: string, env?: NodeJS.ProcessEnv): string
  loadFastPath(
    file: string,
    cacheDir?: string,
  ): undefined | {run(argv: string[], pjson: object, root: string): Promise<boolean>}
}

const START_FAST = join(ROOT, 'bin', 'start-fast.js')
const load = async () => (await import(START_FAST)) as StartFast

/** enableCaches() in a fresh process: it switches on Node's compile cache for the process that calls it. */
function enableIn(dir: string, env: Record<string, string> = {}): string {
  const script = `import(${JSON.stringify(START_FAST)}).then((m) => console.log(m.enableCaches(${JSON.stringify(dir)})))`
  return spawnSync(process.execPath, ['-e', script], {encoding: 'utf8', env: {...process.env, ...env}}).stdout.trim()
}

// A stand-in bundle: runFast answers the id it is given, as the real one answers the command it ran.
const FAKE_BUNDLE = `"use strict";
exports.runFast = async (argv) => { const f = (x) => x + 1; f(1); return argv[0] === 'none' ? undefined : argv[0] }
`

describe('launcher start-up: caches and the bundle loader (bin/start-fast.js)', function () {
  this.timeout(30_000)
  let dir: string

  beforeEach(() => {
    dir = mkdtempSync(join(process.env.MLXK_TEST_SANDBOX!, 'start-fast-'))
  })

  it('keeps compiled code in the state cache dir src/sdk/paths.ts names, per version', async () => {
    const {compileCacheDir} = await load()
    for (const env of [{HOME: '/h'}, {HOME: '/h', XDG_CACHE_HOME: '/x'}, {HOME: '/h', MLXK_CACHE_DIR: '/m'}]) {
      expect(compileCacheDir('1.2.3', env)).to.equal(join(stateCacheDir(env), 'compile-cache', '1.2.3'))
    }
  })

  it('turns on the compile cache, and the first run of a version removes the other versions', () => {
    mkdirSync(join(dir, '0.0.9', 'sub'), {recursive: true})
    expect(enableIn(join(dir, '1.0.0'))).to.equal('true')
    expect(existsSync(join(dir, '1.0.0'))).to.equal(true)
    expect(existsSync(join(dir, '0.0.9'))).to.equal(false)
    mkdirSync(join(dir, '0.0.9'))
    expect(enableIn(join(dir, '1.0.0')), 'an existing version dir removes nothing').to.equal('true')
    expect(existsSync(join(dir, '0.0.9'))).to.equal(true)
  })

  it('stays off, without failing, when the directory cannot exist or the user turned the cache off', () => {
    expect(enableIn('/dev/null/compile-cache/1.0.0')).to.equal('false')
    expect(enableIn(join(dir, '1.0.0'), {NODE_DISABLE_COMPILE_CACHE: '1'})).to.equal('false')
  })

  it('code cache: written after the first run of each command, for this bundle only', async () => {
    const {loadFastPath} = await load()
    const bundle = join(dir, 'bundle.cjs')
    writeFileSync(bundle, FAKE_BUNDLE)
    const cacheFile = join(dir, 'fast-bundle.v8')
    const header = () =>
      JSON.parse(readFileSync(cacheFile, 'utf8').split('\n', 1)[0]!) as {bundle: string; commands: string[]}
    const run = (argv: string[]) => loadFastPath(bundle, dir)!.run(argv, {}, dir)

    expect(await run(['none'])).to.equal(false)
    expect(existsSync(cacheFile), 'nothing ran: nothing cached').to.equal(false)
    expect(await run(['list'])).to.equal(true)
    const identity = `${statSync(bundle).ino}:${statSync(bundle).size}:${statSync(bundle).mtimeMs}`
    expect(header()).to.deep.equal({bundle: identity, commands: ['list']})
    const written = statSync(cacheFile).mtimeMs
    await run(['list'])
    expect(statSync(cacheFile).mtimeMs, 'a known command rewrites nothing').to.equal(written)
    await run(['show'])
    expect(header().commands).to.deep.equal(['list', 'show'])

    utimesSync(bundle, new Date(), new Date(Date.now() + 5000))
    await run(['health'])
    expect(header().commands, 'another bundle starts over').to.deep.equal(['health'])
    writeFileSync(cacheFile, 'garbage')
    expect(await run(['list'])).to.equal(true)
    expect(header().commands).to.deep.equal(['list'])
  })

  it('no bundle, no fast path; no cache dir, no code cache', async () => {
    const {loadFastPath} = await load()
    expect(loadFastPath(join(dir, 'missing.cjs'), dir)).to.equal(undefined)
    writeFileSync(join(dir, 'bundle.cjs'), FAKE_BUNDLE)
    expect(await loadFastPath(join(dir, 'bundle.cjs'))!.run(['list'], {}, dir)).to.equal(true)
    expect(existsSync(join(dir, 'fast-bundle.v8'))).to.equal(false)
  })
})
