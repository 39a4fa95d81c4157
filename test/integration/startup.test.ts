import {expect} from 'chai'
import {spawnSync} from 'node:child_process'
import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {buildCache, mlxChatModelFiles} from '../helpers/fixture-cache.js'
import {BIN, ROOT} from '../helpers/run-cli.js'

// A module hook that records every module Node loads (ESM and require alike) and writes the list at exit.
const TRACER = `
import {registerHooks} from 'node:module'
import {writeFileSync} from 'node:fs'
const seen = new Set()
registerHooks({load(url, context, next) { seen.add(url); return next(url, context) }})
process.on('exit', () => writeFileSync(process.env.MLXK_TRACE_OUT, [...seen].join('\\n')))
`

// Code that `--version` and `list --json` must not pay for: plugins, the hub client, the runtime and the heavy
// dependencies only pull/run/server need.
const FORBIDDEN: [string, RegExp][] = [
  ['plugin code', /\/plugins\/[^/]+\/lib\/|\/node_modules\/@mlxk\//],
  ['oclif plugins', /\/node_modules\/@oclif\/plugin-/],
  ['the hub client', /\/node_modules\/@huggingface\//],
  ['the runtime', /\/lib\/sdk\/runtime\//],
  ['listr2', /\/node_modules\/listr2\//],
  ['koa', /\/node_modules\/koa\//],
  ['execa', /\/node_modules\/execa\//],
]

describe('start-up stays lean: what `--version` and `list --json` load', function () {
  this.timeout(60_000)
  let dir: string
  let hub: string

  before(async () => {
    dir = mkdtempSync(join(process.env.MLXK_TEST_SANDBOX!, 'startup-'))
    writeFileSync(join(dir, 'trace.mjs'), TRACER)
    hub = await buildCache(join(dir, 'hub'), [{repoId: 'acme/tiny-mlx', revisions: [{files: mlxChatModelFiles()}]}])
  })

  function loaded(args: string[], env: Record<string, string> = {}): string[] {
    const out = join(dir, `trace-${args.join('-')}.txt`)
    const r = spawnSync(process.execPath, ['--import', join(dir, 'trace.mjs'), BIN, ...args], {
      cwd: ROOT,
      encoding: 'utf8',
      env: {...process.env, HF_HUB_CACHE: hub, MLXK_TRACE_OUT: out, ...env},
    })
    // The control run fails on purpose (no such model); the two measured commands must succeed.
    if (!env.MLXK_ALPHA) expect(r.status, r.stderr).to.equal(0)
    return readFileSync(out, 'utf8')
      .split('\n')
      .filter((url) => url.startsWith('file:'))
      .map((url) => fileURLToPath(url))
  }

  function offenders(paths: string[]): string[] {
    return FORBIDDEN.flatMap(([what, re]) => paths.filter((p) => re.test(p)).map((p) => `${what}: ${p}`))
  }

  it('the tracer sees plugin code when a plugin command runs (so an empty list below means something)', () => {
    const paths = loaded(['run', 'no-such-model', '--json'], {MLXK_ALPHA: 'run'})
    expect(paths.some((p) => /\/plugins\/run\/lib\/|\/@mlxk\/plugin-run\//.test(p))).to.equal(true)
  })

  it('`mlxk --version` loads none of it', () => {
    expect(offenders(loaded(['--version']))).to.deep.equal([])
  })

  it('`mlxk list --json` loads none of it', () => {
    const paths = loaded(['list', '--json'])
    expect(
      paths.some((p) => p.endsWith('/lib/sdk/cache/scan.js')),
      'list must scan the cache',
    ).to.equal(true)
    expect(offenders(paths)).to.deep.equal([])
  })
})
