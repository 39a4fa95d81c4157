import {expect} from 'chai'
import {execFileSync} from 'node:child_process'
import {existsSync, mkdtempSync, readFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {ROOT, runMlxk} from '../helpers/run-cli.js'
import {assertValidEnvelope} from '../helpers/schemas.js'

/** Each test gets its own config and data dirs, so alpha settings and installed plugins never leak between tests. */
function isolatedEnv(extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  const dir = mkdtempSync(join(tmpdir(), 'mlxk-plugins-'))
  return {
    MLXK2_ENABLE_ALPHA_FEATURES: undefined,
    MLXK_ALPHA: undefined,
    XDG_CACHE_HOME: join(dir, 'cache'),
    XDG_CONFIG_HOME: join(dir, 'config'),
    XDG_DATA_HOME: join(dir, 'data'),
    ...extra,
  }
}

const hubCache = mkdtempSync(join(tmpdir(), 'mlxk-empty-hub-'))

describe('alpha gates, per plugin', () => {
  it('refuses a gated command through the JSON envelope, with exit 4 and the way to enable it', async () => {
    const r = await runMlxk(['run', 'some-model', 'hi', '--json'], {env: isolatedEnv(), hubCache})
    expect(r.exitCode).to.equal(4)
    assertValidEnvelope(r.json)
    expect(r.json!.error).to.include({plugin: 'run', type: 'feature_disabled'})
    expect(r.json!.error!.hint).to.include('mlxk alpha enable run')
    const human = await runMlxk(['run', 'some-model', 'hi'], {env: isolatedEnv(), hubCache})
    expect(human.exitCode).to.equal(4)
    expect(human.stderr).to.match(/^mlxk run: Error: 'run' is an alpha feature/)
  })

  it('MLXK_ALPHA enables only the listed plugins; `all` enables every one', async () => {
    const enabled = await runMlxk(['run', 'no-such-model', 'hi', '--json'], {
      env: isolatedEnv({MLXK_ALPHA: 'run'}),
      hubCache,
    })
    expect(enabled.json!.error!.type).to.not.equal('feature_disabled')
    const other = await runMlxk(['run', 'no-such-model', 'hi', '--json'], {
      env: isolatedEnv({MLXK_ALPHA: 'server,push'}),
      hubCache,
    })
    expect(other.json!.error!.type).to.equal('feature_disabled')
    const all = await runMlxk(['run', 'no-such-model', 'hi', '--json'], {
      env: isolatedEnv({MLXK_ALPHA: 'all'}),
      hubCache,
    })
    expect(all.json!.error!.type).to.not.equal('feature_disabled')
  })

  it('upstream MLXK2_ENABLE_ALPHA_FEATURES counts only for 1/true', async () => {
    const on = await runMlxk(['run', 'x', 'hi', '--json'], {
      env: isolatedEnv({MLXK2_ENABLE_ALPHA_FEATURES: '1'}),
      hubCache,
    })
    expect(on.json!.error!.type).to.not.equal('feature_disabled')
    const zero = await runMlxk(['run', 'x', 'hi', '--json'], {
      env: isolatedEnv({MLXK2_ENABLE_ALPHA_FEATURES: '0'}),
      hubCache,
    })
    expect(zero.json!.error!.type).to.equal('feature_disabled')
  })

  it('`mlxk alpha enable` persists; MLXK_ALPHA, when set, takes precedence over it', async () => {
    const env = isolatedEnv()
    const enable = await runMlxk(['alpha', 'enable', 'run', '--json'], {env, hubCache})
    expect(enable.exitCode, enable.stderr).to.equal(0)
    expect(enable.json!.data).to.deep.include({enabled: ['run'], overridden_by: null})
    const config = JSON.parse(readFileSync(join(env.XDG_CONFIG_HOME!, 'mlxk', 'alpha.json'), 'utf8')) as {
      enabled: string[]
    }
    expect(config.enabled).to.deep.equal(['run'])
    const viaConfig = await runMlxk(['run', 'x', 'hi', '--json'], {env, hubCache})
    expect(viaConfig.json!.error!.type).to.not.equal('feature_disabled')
    const envWins = await runMlxk(['run', 'x', 'hi', '--json'], {env: {...env, MLXK_ALPHA: ''}, hubCache})
    expect(envWins.json!.error!.type).to.equal('feature_disabled')
    const list = await runMlxk(['alpha', 'list', '--json'], {env, hubCache})
    const run = (list.json!.data as {plugins: Array<Record<string, unknown>>}).plugins.find((p) => p.key === 'run')
    expect(run).to.include({enabled: true, package: '@mlxk/plugin-run', source: 'config', state: 'alpha'})
    await runMlxk(['alpha', 'disable', 'run'], {env, hubCache})
    const off = await runMlxk(['run', 'x', 'hi', '--json'], {env, hubCache})
    expect(off.json!.error!.type).to.equal('feature_disabled')
    const unknown = await runMlxk(['alpha', 'enable', 'nope', '--json'], {env, hubCache})
    expect(unknown.json!.error!.type).to.equal('unknown_plugin')
  })

  it('help marks the command as alpha', async () => {
    const r = await runMlxk(['run', '--help'], {env: isolatedEnv(), hubCache})
    expect(r.exitCode).to.equal(0)
    expect(r.stdout).to.include('This command is in alpha')
  })
})

describe('bundled plugins with `mlxk plugins`', () => {
  it('lists the bundled plugins as core plugins', async () => {
    const r = await runMlxk(['plugins', '--core'], {env: isolatedEnv(), hubCache})
    expect(r.exitCode, r.stderr).to.equal(0)
    expect(r.stdout).to.include('@mlxk/plugin-run')
  })

  it('uninstalls a bundled plugin (its commands are gone, the rest work) and restores it offline', async () => {
    const env = isolatedEnv({MLXK_ALPHA: 'all'})
    const un = await runMlxk(['plugins', 'uninstall', '@mlxk/plugin-run'], {env, hubCache})
    expect(un.exitCode, un.stderr).to.equal(0)
    const gone = await runMlxk(['run', 'x', 'hi'], {env, hubCache})
    expect(gone.exitCode).to.equal(2)
    expect(gone.stderr).to.include("Error: Unknown command 'run'")
    expect(gone.stderr).to.include('plugins install @mlxk/plugin-run')
    const goneJson = await runMlxk(['run', 'x', '--json'], {env, hubCache})
    assertValidEnvelope(goneJson.json)
    expect(goneJson.json!.error!.type).to.equal('CommandError')
    const list = await runMlxk(['list', '--json'], {env, hubCache})
    expect(list.exitCode).to.equal(0)
    const back = await runMlxk(['plugins', 'install', '@mlxk/plugin-run'], {env, hubCache})
    expect(back.exitCode, back.stderr).to.equal(0)
    const again = await runMlxk(['run', 'no-such-model', 'hi', '--json'], {env, hubCache})
    expect(again.json!.error!.type).to.equal('model_not_found')
  })

  it('a plugin installed by the user from a tarball loads the SDK from the CLI that runs it', async function () {
    this.timeout(120_000)
    const env = isolatedEnv({MLXK_ALPHA: 'all'})
    const packDir = mkdtempSync(join(tmpdir(), 'mlxk-pack-'))
    const tgz = execFileSync('npm', ['pack', '--silent', '--pack-destination', packDir], {
      cwd: join(ROOT, 'plugins', 'run'),
      encoding: 'utf8',
    }).trim()
    expect(existsSync(join(packDir, tgz))).to.equal(true)
    await runMlxk(['plugins', 'uninstall', '@mlxk/plugin-run'], {env, hubCache})
    const install = await runMlxk(['plugins', 'install', `file:${join(packDir, tgz)}`], {
      env,
      hubCache,
      timeoutMs: 110_000,
    })
    expect(install.exitCode, install.stderr).to.equal(0)
    const plugins = await runMlxk(['plugins'], {env, hubCache})
    expect(plugins.stdout).to.include('@mlxk/plugin-run')
    // The plugin imports `mlxk/sdk`; from the data dir that only resolves through the CLI's resolution hook.
    const r = await runMlxk(['run', 'no-such-model', 'hi', '--json'], {env, hubCache})
    expect(r.json!.error!.type, r.stderr).to.equal('model_not_found')
  })
})
