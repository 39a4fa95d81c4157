import {expect} from 'chai'
import {mkdtempSync} from 'node:fs'
import {join, relative} from 'node:path'

import {buildCache, mlxChatModelFiles} from '../helpers/fixture-cache.js'
import {ROOT} from '../helpers/run-cli.js'
import {ranOclif, tracedRun} from '../helpers/trace-modules.js'

// Code that the hot commands must not pay for: plugins, the hub client, the runtime and the heavy dependencies
// only pull/run/server need.
const FORBIDDEN: [string, RegExp][] = [
  ['plugin code', /\/plugins\/[^/]+\/lib\/|\/node_modules\/@mlxk\//],
  ['oclif plugins', /\/node_modules\/@oclif\/plugin-/],
  ['the hub client', /\/node_modules\/@huggingface\//],
  ['the runtime', /\/lib\/sdk\/runtime\//],
  ['listr2', /\/node_modules\/listr2\//],
  ['koa', /\/node_modules\/koa\//],
  ['execa', /\/node_modules\/execa\//],
]

// All the modules a fast call loads: the launcher and its start-up helper, which reads and runs lib/fast/bundle.cjs
// itself (through vm.Script, with V8's code cache), so the bundle is no module load of its own.
const FAST_FILES = ['bin/run.js', 'bin/start-fast.js']

const MODEL = 'acme/tiny-mlx'
const HOT_CALLS = [
  ['--version'],
  ['-v', '--json'],
  ['list', '--json'],
  ['ls'],
  ['show', MODEL, '--json'],
  ['health', '--json'],
  ['rm', MODEL, '--dry-run', '--json'],
  ['complete', 'models'],
]

describe('start-up stays lean: what the hot commands load', function () {
  this.timeout(60_000)
  let env: Record<string, string>

  before(async () => {
    const dir = mkdtempSync(join(process.env.MLXK_TEST_SANDBOX!, 'startup-'))
    env = {
      HF_HUB_CACHE: await buildCache(join(dir, 'hub'), [{repoId: MODEL, revisions: [{files: mlxChatModelFiles()}]}]),
    }
  })

  function offenders(paths: string[]): string[] {
    return FORBIDDEN.flatMap(([what, re]) => paths.filter((p) => re.test(p)).map((p) => `${what}: ${p}`))
  }

  it('the tracer sees plugin code when a plugin command runs (so an empty list below means something)', () => {
    const run = tracedRun(['run', 'no-such-model', '--json'], {MLXK_ALPHA: 'run'})
    expect(run.loaded.some((p) => /\/plugins\/run\/lib\/|\/@mlxk\/plugin-run\//.test(p))).to.equal(true)
    expect(ranOclif(run)).to.equal(true)
  })

  for (const args of HOT_CALLS) {
    it(`\`mlxk ${args.join(' ')}\` loads only the launcher and runs the fast-path bundle`, () => {
      const run = tracedRun(args, env)
      expect(run.exitCode, run.stderr).to.equal(0)
      expect(run.loaded.map((p) => relative(ROOT, p))).to.deep.equal(FAST_FILES)
    })
  }

  it('through oclif (MLXK_FAST_PATH=0) `--version` and `list --json` still load none of the heavy code', () => {
    for (const args of [['--version'], ['list', '--json']]) {
      const run = tracedRun(args, {...env, MLXK_FAST_PATH: '0'})
      expect(run.exitCode, run.stderr).to.equal(0)
      expect(ranOclif(run), 'went through oclif').to.equal(true)
      expect(offenders(run.loaded)).to.deep.equal([])
    }
  })
})
