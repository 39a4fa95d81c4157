import {expect} from 'chai'

import {runMlxk} from '../helpers/run-cli.js'
import {runtimePython} from '../helpers/runtime.js'

const BOGUS = {MLXK_PYTHON: '/nonexistent/mlxk-python', MLXK_PYTHON_BOOTSTRAP: '/nonexistent/python3'}

interface Check {
  detail: string
  fix: null | string
  name: string
  ok: boolean
}

describe('runtime doctor and runtime info', () => {
  it('doctor names each problem with its exact fix and exits 1', async () => {
    const r = await runMlxk(['runtime', 'doctor'], {env: BOGUS})
    expect(r.exitCode, r.stderr).to.equal(1)
    expect(r.stdout).to.match(/^FAIL python3 +\/nonexistent\/python3 not found\n +fix: Install Python 3\.11 or newer/m)
    expect(r.stdout).to.match(/^FAIL venv +MLXK_PYTHON points to \/nonexistent\/mlxk-python.*\n +fix: \S/m)
  })

  it('doctor --json reports the same checks, ok=false, and exits 1', async () => {
    const r = await runMlxk(['runtime', 'doctor', '--json'], {env: BOGUS})
    expect(r.exitCode, r.stderr).to.equal(1)
    const data = r.json!.data as {checks: Check[]; ok: boolean}
    expect(data.ok).to.equal(false)
    const byName = Object.fromEntries(data.checks.map((c) => [c.name, c]))
    expect(byName.python3).to.include({ok: false})
    expect(byName.python3!.fix).to.include('Python 3.11')
    expect(byName.venv).to.include({ok: false})
    expect(byName.venv!.fix).to.be.a('string').with.length.above(0)
    for (const check of data.checks) expect(check.ok === (check.fix === null), check.name).to.equal(true)
  })

  it('info --json refuses a bogus MLXK_PYTHON with runtime_missing and the setup hint', async () => {
    const r = await runMlxk(['runtime', 'info', '--json'], {env: BOGUS})
    expect(r.exitCode).to.equal(1)
    expect(r.json!.error).to.include({type: 'runtime_missing'})
    expect(r.json!.error!.hint).to.include('mlxk runtime setup')
  })

  it('info --json reports the runtime it started (versions, device, model types)', async () => {
    const python = runtimePython()
    const r = await runMlxk(['runtime', 'info', '--json'], {env: {MLXK_PYTHON: python}})
    expect(r.exitCode, r.stderr).to.equal(0)
    const data = r.json!.data as Record<string, unknown>
    expect(data).to.include({protocol: 1, python, source: 'env'})
    expect(data.mlx_version).to.match(/^\d+\.\d+/)
    expect(data.mlx_lm_version).to.match(/^\d+\.\d+/)
    expect(data.device).to.be.a('string').with.length.above(0)
    expect(data.supported_model_types).to.include('llama')
  })
})
