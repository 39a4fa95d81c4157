import {expect} from 'chai'
import {spawnSync} from 'node:child_process'
import {existsSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {
  buildCache,
  type FixtureModel,
  mlxChatModelFiles,
  modelDirOf,
  pytorchModelFiles,
  shardedModelFiles,
} from '../helpers/fixture-cache.js'
import {BIN} from '../helpers/run-cli.js'
import {ranOclif, type TracedRun, tracedRun} from '../helpers/trace-modules.js'

// bin/run.js starts the hot commands from lib/fast/bundle.cjs; MLXK_FAST_PATH=0 sends the same call through
// oclif's full start-up. Both must answer byte for byte alike: output, errors, exit codes, envelopes.
const OLD = new Date('2025-01-02T03:04:05Z') // far enough back that "N ago" cannot tick between the two runs
const MODELS: FixtureModel[] = [
  {repoId: 'acme/tiny-mlx', revisions: [{files: mlxChatModelFiles(), mtime: OLD}]},
  {repoId: 'acme/broken-mlx', revisions: [{files: shardedModelFiles(3, [2]), mtime: OLD}]},
  {repoId: 'acme/torch', revisions: [{files: pytorchModelFiles(), mtime: OLD}]},
]

const FAST_CALLS: string[][] = [
  ['--version'],
  ['-v'],
  ['--version', '--json'],
  ['version', '--json', '--log-json'],
  ['version', 'a=b'],
  ['list'],
  ['list', '--json'],
  ['ls', '--json'],
  ['list', '--all', '--verbose', '--health'],
  ['list', 'tiny'],
  ['list', '--all', '--filter', 'size>1B', '--sort', 'name:desc', '--limit', '1', '--json'],
  ['list', '--limit', 'x'],
  ['list', '--limit', '-1', '--json'],
  ['list', '--bogus'],
  ['list', '--bogus', '--json'],
  ['list', 'a', 'b'],
  ['list', '--sort', 'nope', '--json'],
  ['list', '--filter', 'size>>1', '--json'],
  ['list', '--', '--json'],
  ['show', 'acme/tiny-mlx'],
  ['show', 'tiny', '--json', '--files', '--config'],
  ['show'],
  ['show', '--json'],
  ['show', 'nope', '--json'],
  ['show', 'nope'],
  ['health'],
  ['health', '--json'],
  ['health', 'tiny'],
  ['health', './no-such-folder', '--json'],
  ['health', '-h'],
  ['rm', 'acme/tiny-mlx'],
  ['rm', 'acme/tiny-mlx', '--json'],
  ['rm', 'tiny', '--dry-run'],
  ['rm', 'nope', '--force', '--json'],
  ['complete', 'models'],
  ['complete', 'models', 'acme/t'],
  ['complete:models', '--json'],
]

// Calls the fast path leaves to oclif: help, a command it does not run, an id oclif reads further.
const OCLIF_CALLS: string[][] = [['version', 'foo'], ['list', '--help'], ['complete'], ['nosuch', '--json']]

describe('the fast path answers exactly as oclif does', function () {
  this.timeout(60_000)
  let env: Record<string, string>

  before(async () => {
    const dir = mkdtempSync(join(process.env.MLXK_TEST_SANDBOX!, 'fast-path-'))
    env = {HF_HUB_CACHE: await buildCache(join(dir, 'hub'), MODELS)}
  })

  function both(args: string[], extra: Record<string, string> = {}): [TracedRun, TracedRun] {
    return [tracedRun(args, {...env, ...extra}), tracedRun(args, {...env, ...extra, MLXK_FAST_PATH: '0'})]
  }

  // Node's warnings carry the process id, the one thing that differs between two runs.
  const answer = (run: TracedRun) => ({
    exit: run.exitCode,
    stderr: run.stderr.replaceAll(/^\(node:\d+\)/gm, '(node:PID)'),
    stdout: run.stdout,
  })

  function expectSame(fast: TracedRun, oclif: TracedRun): void {
    expect(ranOclif(oclif), 'MLXK_FAST_PATH=0 goes through oclif').to.equal(true)
    expect(answer(fast)).to.deep.equal(answer(oclif))
  }

  for (const args of FAST_CALLS) {
    it(`mlxk ${args.join(' ')}`, () => {
      const [fast, oclif] = both(args)
      expect(ranOclif(fast), 'ran through the fast path').to.equal(false)
      expectSame(fast, oclif)
    })
  }

  for (const args of OCLIF_CALLS) {
    it(`mlxk ${args.join(' ')} (left to oclif)`, () => {
      const [fast, oclif] = both(args)
      expect(ranOclif(fast), 'left to oclif').to.equal(true)
      expectSame(fast, oclif)
    })
  }

  it('MLXK_CONTENT_TYPE=json turns on JSON in both', () => {
    const [fast, oclif] = both(['list'], {MLXK_CONTENT_TYPE: 'json'})
    expect(fast.stdout).to.match(/"status": "success"/)
    expectSame(fast, oclif)
  })

  it('answers the same with no usable cache dir (read-only, missing or in the way)', () => {
    const [fast, oclif] = both(['list', '--json'], {MLXK_CACHE_DIR: '/dev/null/mlxk'})
    expect(ranOclif(fast)).to.equal(false)
    expectSame(fast, oclif)
  })

  it('warns once about a working directory that is gone, as oclif does, on both ways', () => {
    const gone = join(mkdtempSync(join(process.env.MLXK_TEST_SANDBOX!, 'cwd-')), 'gone')
    const run = (args: string[], fastPath: string) =>
      spawnSync(
        'sh',
        ['-c', 'mkdir "$0" && cd "$0" && rmdir "$0" && exec "$@"', gone, process.execPath, BIN, ...args],
        {
          encoding: 'utf8',
          env: {...process.env, ...env, MLXK_FAST_PATH: fastPath},
        },
      )
    for (const args of [['--version'], ['version', 'foo']]) {
      const [fast, oclif] = [run(args, '1'), run(args, '0')]
      expect(fast.stderr).to.match(/^WARNING: current directory does not exist\n(?!WARNING)/)
      expect([fast.status, fast.stdout, fast.stderr]).to.deep.equal([oclif.status, oclif.stdout, oclif.stderr])
    }
  })

  it('rm --force deletes the same model and answers the same', async () => {
    const results: TracedRun[] = []
    for (const fastPath of ['1', '0']) {
      rmSync(env.HF_HUB_CACHE!, {force: true, recursive: true})
      await buildCache(env.HF_HUB_CACHE, MODELS)
      results.push(tracedRun(['rm', 'acme/tiny-mlx', '--force', '--json'], {...env, MLXK_FAST_PATH: fastPath}))
      expect(existsSync(modelDirOf(env.HF_HUB_CACHE!, 'acme/tiny-mlx'))).to.equal(false)
      expect(existsSync(modelDirOf(env.HF_HUB_CACHE!, 'acme/torch'))).to.equal(true)
    }

    expect(ranOclif(results[0]!)).to.equal(false)
    expectSame(results[0]!, results[1]!)
  })

  it('DEBUG output and user-installed plugins are oclif business', () => {
    expect(ranOclif(tracedRun(['--version'], {...env, DEBUG: 'nothing-matches'}))).to.equal(true)
    expect(ranOclif(tracedRun(['--version'], {...env, MLXK_DEBUG: '1'}))).to.equal(true)
    const data = mkdtempSync(join(process.env.MLXK_TEST_SANDBOX!, 'user-plugins-'))
    writeFileSync(
      join(data, 'package.json'),
      JSON.stringify({oclif: {plugins: [{name: 'x', type: 'link', root: data}]}}),
    )
    expect(ranOclif(tracedRun(['--version'], {...env, MLXK_DATA_DIR: data}))).to.equal(true)
    writeFileSync(join(data, 'package.json'), JSON.stringify({oclif: {plugins: []}}))
    expect(ranOclif(tracedRun(['--version'], {...env, MLXK_DATA_DIR: data}))).to.equal(false)
  })
})
