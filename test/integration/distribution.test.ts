import {expect} from 'chai'
import {execFile, execFileSync, spawnSync} from 'node:child_process'
import {mkdirSync, mkdtempSync, readFileSync, symlinkSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {promisify} from 'node:util'

import {buildCache, mlxChatModelFiles} from '../helpers/fixture-cache.js'
import {ROOT} from '../helpers/run-cli.js'
import {readTrace, tracer} from '../helpers/trace-modules.js'

const exec = promisify(execFile)
const pjson = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  oclif: {plugins: string[]}
  version: string
}
const tarball = (target: string) => `mlxk-v${pjson.version}-${target}.tar.gz`
const hasRuby = spawnSync('ruby', ['--version']).status === 0

/*
 * The release as a user gets it: the tarballs are built from the current lib/ (the test command builds first),
 * the linux one is unpacked into an empty prefix and run from PATH with an empty HOME and no Node on PATH at
 * all, so only what the tarball carries can make it work.
 */
describe('distribution: release tarballs and the Homebrew formula', function () {
  this.timeout(300_000)
  let work: string
  let dist: string
  let env: Record<string, string>
  let hub: string

  before(async () => {
    work = mkdtempSync(join(process.env.MLXK_TEST_SANDBOX!, 'release-'))
    dist = join(work, 'dist')
    const scripts = join(ROOT, 'scripts', 'release')
    await exec(
      process.execPath,
      [join(scripts, 'build-tarballs.js'), '--skip-build', '--out', dist, '--work', join(work, 'tmp')],
      {
        cwd: ROOT,
      },
    )
    await exec(
      process.execPath,
      [join(scripts, 'homebrew-formula.js'), '--dist', dist, '--base-url', 'https://example.invalid/v1'],
      {
        cwd: ROOT,
      },
    )

    const prefix = join(work, 'prefix')
    mkdirSync(join(prefix, 'lib'), {recursive: true})
    mkdirSync(join(prefix, 'bin'))
    execFileSync('tar', ['-xzf', join(dist, tarball('linux-x64')), '-C', join(prefix, 'lib')])
    symlinkSync('../lib/mlxk/bin/mlxk', join(prefix, 'bin', 'mlxk'))
    // The launcher needs only readlink; a PATH of nothing else proves the bundled node is the one that runs.
    const tools = join(work, 'tools')
    mkdirSync(tools)
    symlinkSync(execFileSync('sh', ['-c', 'command -v readlink'], {encoding: 'utf8'}).trim(), join(tools, 'readlink'))

    const home = join(work, 'home')
    env = {
      HOME: home,
      PATH: `${join(prefix, 'bin')}:${tools}`,
      XDG_CACHE_HOME: join(home, 'cache'),
      XDG_CONFIG_HOME: join(home, 'config'),
      XDG_DATA_HOME: join(home, 'data'),
    }
    mkdirSync(home)
    hub = await buildCache(join(work, 'hub'), [
      {repoId: 'mlx-community/Qwen3-4B-4bit', revisions: [{files: mlxChatModelFiles()}]},
      {repoId: 'acme/tiny-mlx', revisions: [{files: mlxChatModelFiles()}]},
    ])
  })

  async function mlxk(args: string[], extra: Record<string, string> = {}) {
    const r = spawnSync('mlxk', args, {cwd: env.HOME, encoding: 'utf8', env: {...env, HF_HUB_CACHE: hub, ...extra}})
    return {exitCode: r.status, stderr: r.stderr, stdout: r.stdout}
  }

  it('ships production files only: no dev dependencies, no venv, no tests; Node only in the linux tarball', () => {
    const list = (target: string) =>
      execFileSync('tar', ['-tzf', join(dist, tarball(target))], {encoding: 'utf8', maxBuffer: 64 << 20}).split('\n')
    const linux = list('linux-x64')
    for (const entry of [
      'mlxk/bin/mlxk',
      'mlxk/bin/node',
      'mlxk/oclif.manifest.json',
      'mlxk/python-runtime/pyproject.toml',
      'mlxk/python-runtime/mlxk_runtime/worker.py',
      'mlxk/scripts/setup-runtime.sh',
      'mlxk/schemas/list.schema.json',
      'mlxk/completions/_mlxk',
      'mlxk/node_modules/@mlxk/plugin-run/oclif.manifest.json',
    ]) {
      expect(linux, entry).to.include(entry)
    }

    const forbidden =
      /^mlxk\/(node_modules\/(typescript|oclif|openai|mocha|tsx|chai|eslint|@aws-sdk|@types)\/|python-runtime\/(\.venv|tests)\/|src\/|test\/|plugins\/)|__pycache__/
    expect(linux.filter((e) => forbidden.test(e))).to.deep.equal([])
    expect(list('darwin-arm64')).to.not.include('mlxk/bin/node')
    const sums = readFileSync(join(dist, 'SHA256SUMS'), 'utf8')
    expect(sums).to.match(new RegExp(`^[0-9a-f]{64}  ${tarball('linux-x64').replaceAll('.', '\\.')}$`, 'm'))
  })

  it('`mlxk --version` runs from PATH with the bundled Node', async () => {
    const r = await mlxk(['--version'])
    expect(r.exitCode, r.stderr).to.equal(0)
    expect(r.stdout.trim()).to.equal(`mlxk ${pjson.version}`)
  })

  it('starts the hot commands the fast way: the launcher runs the bundle, oclif stays unloaded', async () => {
    const trace = tracer()
    for (const args of [['--version'], ['list', '--json']]) {
      const out = trace.out()
      const r = await mlxk(args, trace.env(out))
      expect(r.exitCode, r.stderr).to.equal(0)
      expect(readTrace(out).map((p) => p.slice(p.indexOf('/mlxk/') + 1))).to.deep.equal([
        'mlxk/bin/run.js',
        'mlxk/bin/start-fast.js',
      ])
    }
  })

  it('`mlxk list --json` lists the fixture cache', async () => {
    const r = await mlxk(['list', '--json'])
    expect(r.exitCode, r.stderr).to.equal(0)
    const data = JSON.parse(r.stdout).data as {models: {name: string}[]}
    expect(data.models.map((m) => m.name)).to.deep.equal(['acme/tiny-mlx', 'mlx-community/Qwen3-4B-4bit'])
  })

  it('`mlxk plugins --core` lists every bundled plugin', async () => {
    const r = await mlxk(['plugins', '--core'])
    expect(r.exitCode, r.stderr).to.equal(0)
    for (const plugin of pjson.oclif.plugins) expect(r.stdout).to.include(`${plugin} `)
  })

  it('`mlxk alpha list` shows the gated plugins, all off', async () => {
    const r = await mlxk(['alpha', 'list', '--json'])
    expect(r.exitCode, r.stderr).to.equal(0)
    const plugins = (JSON.parse(r.stdout).data as {plugins: {enabled: boolean; key: string}[]}).plugins
    expect(plugins.map((p) => p.key)).to.include('run')
    expect(plugins.every((p) => !p.enabled)).to.equal(true)
  })

  it('a gated command refuses with feature_disabled and exit 4', async () => {
    const r = await mlxk(['run', 'x', '--json'])
    expect(r.exitCode).to.equal(4)
    expect(JSON.parse(r.stdout).error).to.include({type: 'feature_disabled'})
  })

  it('completes model names from the cache', async () => {
    const r = await mlxk(['complete', 'models'])
    expect(r.stdout.split('\n').filter(Boolean)).to.deep.equal(['acme/tiny-mlx', 'mlx-community/Qwen3-4B-4bit'])
  })

  describe('the generated Homebrew formula', () => {
    const formula = () => join(dist, 'mlxk.rb')

    it('is rendered from the template with the tarballs’ sha256 and the dependencies', () => {
      const text = readFileSync(formula(), 'utf8')
      expect(text).to.match(/^# GENERATED .*\n# Do not edit this file: edit the template/)
      expect(text).to.not.include('{{')
      for (const line of readFileSync(join(dist, 'SHA256SUMS'), 'utf8').trim().split('\n')) {
        const [sha, file] = line.split(/\s+/)
        expect(text).to.include(`url "https://example.invalid/v1/${file}"`)
        expect(text).to.include(`sha256 "${sha}"`)
      }

      expect(text).to.include('depends_on "node"').and.include('depends_on "python@3.12"')
    })

    it('passes `ruby -c`', function () {
      if (!hasRuby) this.skip() // no ruby on this machine: `apt-get install ruby` (or brew install ruby) enables it
      expect(execFileSync('ruby', ['-c', formula()], {encoding: 'utf8'})).to.include('Syntax OK')
    })

    it('installs and passes its `test do` on linux (bundled Node)', function () {
      if (!hasRuby) this.skip()
      const out = simulate('linux', 'intel', tarball('linux-x64'), env.PATH)
      expect(out).to.include('test: passed')
    })

    it('installs and passes its `test do` on macOS arm64 (the node on PATH)', function () {
      if (!hasRuby) this.skip()
      // The darwin tree is the linux one without bin/node, so it runs here with the Node running this test.
      const out = simulate('macos', 'arm', tarball('darwin-arm64'), `${dirname(process.execPath)}:${env.PATH}`)
      expect(out).to.include('test: passed')
    })

    function simulate(os: string, arch: string, file: string, path: string): string {
      const prefix = mkdtempSync(join(work, `cellar-${os}-`))
      const script = join(ROOT, 'scripts', 'release', 'brew-simulate.rb')
      const rubyDir = dirname(execFileSync('sh', ['-c', 'command -v ruby'], {encoding: 'utf8'}).trim())
      const r = spawnSync('ruby', [script, formula(), join(dist, file), join(prefix, 'mlxk'), os, arch], {
        encoding: 'utf8',
        // tar and sh for the simulation itself; the formula's commands run bin/mlxk by its absolute path.
        env: {...env, PATH: `${path}:${rubyDir}:/usr/bin:/bin`},
      })
      expect(r.status, r.stderr + r.stdout).to.equal(0)
      return r.stdout
    }
  })
})
