import {expect} from 'chai'
import {spawnSync} from 'node:child_process'
import {chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {buildCache, mlxChatModelFiles} from '../helpers/fixture-cache.js'
import {BIN, ROOT, runMlxk} from '../helpers/run-cli.js'

const has = (shell: string) => spawnSync(shell, ['-c', 'exit 0']).status === 0
const MODELS = ['acme/tiny-mlx', 'mlx-community/Qwen3-4B-4bit']

/*
 * The completion scripts call `mlxk complete models` at <TAB>; these tests run them in the real shells against a
 * fixture cache, with an `mlxk` on PATH that is the built CLI.
 */
describe('shell completion with model names', function () {
  this.timeout(120_000)
  let hub: string
  let env: Record<string, string | undefined>
  let scripts: Record<string, string>

  before(async () => {
    hub = await buildCache(
      undefined,
      MODELS.map((repoId) => ({repoId, revisions: [{files: mlxChatModelFiles()}]})),
    )
    mkdirSync(join(hub, 'datasets--acme--not-a-model'))
    const bin = mkdtempSync(join(process.env.MLXK_TEST_SANDBOX!, 'bin-'))
    writeFileSync(join(bin, 'mlxk'), `#!/bin/sh\nexec '${process.execPath}' '${BIN}' "$@"\n`)
    chmodSync(join(bin, 'mlxk'), 0o755)
    env = {...process.env, HF_HUB_CACHE: hub, PATH: `${bin}:${process.env.PATH}`}
    scripts = {}
    for (const shell of ['bash', 'zsh', 'fish']) {
      const r = await runMlxk(['complete', 'script', shell], {hubCache: hub})
      expect(r.exitCode, r.stderr).to.equal(0)
      scripts[shell] = r.stdout
    }
  })

  it('`complete models` prints the cached model names, one per line, and nothing else', async () => {
    const r = await runMlxk(['complete', 'models'], {hubCache: hub})
    expect(r.exitCode, r.stderr).to.equal(0)
    expect(r.stdout).to.equal(MODELS.join('\n') + '\n')
    const prefixed = await runMlxk(['complete', 'models', 'mlx-'], {hubCache: hub})
    expect(prefixed.stdout).to.equal('mlx-community/Qwen3-4B-4bit\n')
    const json = await runMlxk(['complete', 'models', '--json'], {hubCache: hub})
    expect(json.json!.data).to.deep.equal({models: MODELS})
  })

  it('`complete models` on a missing cache prints nothing and succeeds', async () => {
    const r = await runMlxk(['complete', 'models'], {hubCache: join(hub, 'nope')})
    expect(r.exitCode).to.equal(0)
    expect(r.stdout).to.equal('')
  })

  it('stays out of help', async () => {
    const r = await runMlxk(['--help'])
    expect(r.stdout).to.not.match(/^\s+complete\b/m)
  })

  it('bash: models after show/run/rm, commands and flags from oclif otherwise', () => {
    const complete = (words: string[]) => {
      const file = join(hub, '..', 'mlxk.bash')
      writeFileSync(file, scripts.bash!)
      const program = `source '${file}'; COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _mlxk_with_models; printf '%s\\n' "\${COMPREPLY[@]}"`
      const r = spawnSync('bash', ['-c', program], {encoding: 'utf8', env})
      expect(r.status, r.stderr).to.equal(0)
      return r.stdout.split('\n').filter(Boolean)
    }

    expect(complete(['mlxk', 'show', ''])).to.deep.equal(MODELS)
    expect(complete(['mlxk', 'rm', 'acme/'])).to.deep.equal(['acme/tiny-mlx'])
    expect(complete(['mlxk', 'run', 'mlx'])).to.deep.equal(['mlx-community/Qwen3-4B-4bit'])
    expect(complete(['mlxk', 'lis'])).to.deep.equal(['list'])
    expect(complete(['mlxk', 'list', '--js'])).to.deep.equal(['--json'])
  })

  it('zsh: the wrapper hands show/run/rm arguments to the model list, the rest to oclif', function () {
    if (!has('zsh')) this.skip() // zsh is not installed here
    const file = join(hub, '..', '_mlxk')
    writeFileSync(file, scripts.zsh!)
    // compadd and _arguments stand in for the completion system: they print what they were asked to offer.
    const program = [
      'zmodload zsh/parameter',
      'compadd() { [[ $1 == -a ]] && print -l -- ${(P)2} }',
      '_arguments() { print -- oclif }',
      'words=(mlxk show ""); CURRENT=3',
      `source '${file}'`,
      'words=(mlxk list ""); CURRENT=3; _mlxk',
    ].join('\n')
    const r = spawnSync('zsh', ['-f', '-c', program], {encoding: 'utf8', env})
    expect(r.status, r.stderr).to.equal(0)
    expect(r.stdout.split('\n').filter(Boolean)).to.deep.equal([...MODELS, 'oclif'])
  })

  it('fish: models after show/run/rm, subcommands per topic, flags per command', function () {
    if (!has('fish')) this.skip() // fish is not installed here
    const file = join(hub, '..', 'mlxk.fish')
    writeFileSync(file, scripts.fish!)
    const complete = (line: string) => {
      const r = spawnSync('fish', ['--no-config', '-c', `source '${file}'; complete -C '${line}'`], {
        encoding: 'utf8',
        env,
      })
      expect(r.status, r.stderr).to.equal(0)
      return r.stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split('\t')[0])
    }

    expect(complete('mlxk show ')).to.deep.equal(MODELS)
    expect(complete('mlxk alpha ')).to.deep.equal(['disable', 'enable', 'list'])
    expect(complete('mlxk list --js')).to.deep.equal(['--json'])
  })

  it('`mlxk autocomplete` output gains model names through the postrun hook', async function () {
    const pjson = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      oclif: {hooks?: Record<string, unknown>}
    }
    // The hook is wired in package.json (oclif.hooks.postrun); until then only `complete script` has model names.
    if (!JSON.stringify(pjson.oclif.hooks?.postrun ?? '').includes('autocomplete-models')) this.skip()
    const cache = mkdtempSync(join(process.env.MLXK_TEST_SANDBOX!, 'xdg-cache-'))
    const r = await runMlxk(['autocomplete', '--refresh-cache'], {env: {XDG_CACHE_HOME: cache}, hubCache: hub})
    expect(r.exitCode, r.stderr).to.equal(0)
    for (const file of [
      join(cache, 'mlxk/autocomplete/functions/bash/mlxk.bash'),
      join(cache, 'mlxk/autocomplete/functions/zsh/_mlxk'),
    ]) {
      expect(existsSync(file), file).to.equal(true)
      expect(readFileSync(file, 'utf8')).to.include('mlxk complete models')
    }
  })
})
