import {spawnSync} from 'node:child_process'
import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {expect} from 'chai'

import {ROOT} from '../helpers/run-cli.js'

/*
 * A plugin the user installs lives in the data dir, outside this package: its `import 'mlxk/sdk/…'` resolves only
 * through the launcher's hook (bin/sdk-resolution.js). Here a module in a temp dir, loaded with that hook, imports
 * every named subpath of the built SDK, as such a plugin would.
 */
const PROBE = `
const report = {}
for (const specifier of JSON.parse(process.argv[2])) {
  try {
    report[specifier] = Object.keys(await import(specifier)).length
  } catch (error) {
    report[specifier] = error.code ?? String(error)
  }
}
process.stdout.write(JSON.stringify(report))
`

describe('the SDK entry points resolve for a plugin outside the package', function () {
  this.timeout(60_000)

  it('every named subpath loads; other `mlxk/…` specifiers are left to Node (and do not resolve there)', () => {
    const {exports} = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {exports: object}
    const named = Object.keys(exports)
      .filter((key) => key.startsWith('./sdk') && !key.includes('*'))
      .map((key) => `mlxk${key.slice(1)}`)
    const dir = mkdtempSync(join(process.env.MLXK_TEST_SANDBOX!, 'sdk-entry-'))
    writeFileSync(join(dir, 'probe.mjs'), PROBE)
    const asked = [...named, 'mlxk/package.json', 'mlxk/sdk/cache/locate']
    const r = spawnSync(
      process.execPath,
      ['--import', join(ROOT, 'bin', 'register-sdk.js'), join(dir, 'probe.mjs'), JSON.stringify(asked)],
      {cwd: dir, encoding: 'utf8'},
    )
    expect(r.status, r.stderr).to.equal(0)
    const report = JSON.parse(r.stdout) as Record<string, number | string>
    for (const specifier of named) expect(report[specifier], specifier).to.be.a('number').greaterThan(0)
    expect(report['mlxk/package.json']).to.equal('ERR_MODULE_NOT_FOUND')
    expect(report['mlxk/sdk/cache/locate'], 'a deep path').to.equal('ERR_MODULE_NOT_FOUND')
  })
})
