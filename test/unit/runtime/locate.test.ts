import {expect} from 'chai'
import {chmodSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {isMlxkError, type MlxkError} from '../../../src/sdk/errors.js'
import {
  installedVenvDir,
  locateRuntime,
  packageRoot,
  RUNTIME_SETUP_HINT,
  RuntimeClient,
  runtimeSourceDir,
  runtimeVersion,
} from '../../../src/sdk/runtime/index.js'
import {processExists, runtimePython, waitUntil} from '../../helpers/runtime.js'

function thrown(fn: () => unknown): MlxkError {
  try {
    fn()
  } catch (error) {
    if (isMlxkError(error)) return error
    throw error
  }

  throw new Error('expected an error')
}

async function rejected(promise: Promise<unknown>): Promise<MlxkError> {
  try {
    await promise
  } catch (error) {
    if (isMlxkError(error)) return error
    throw error
  }

  throw new Error('expected a rejection')
}

const scratch = join(process.env.MLXK_TEST_SANDBOX!, 'runtime-locate')

/** A fake interpreter: a shell script standing in for python. */
function fakePython(name: string, body: string): string {
  mkdirSync(scratch, {recursive: true})
  const path = join(scratch, name)
  writeFileSync(path, `#!/bin/sh\n${body}\n`)
  chmodSync(path, 0o755)
  return path
}

describe('runtime: locating the interpreter', () => {
  it('finds the mlxk package root from the module location', () => {
    const pkg = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8'))
    expect(pkg.name).to.equal('mlxk')
    expect(runtimeSourceDir()).to.equal(join(packageRoot(), 'python-runtime'))
    expect(runtimeVersion()).to.match(/^\d+\.\d+\.\d+/)
  })

  it("uses the checkout's venv in a development checkout (fails with the setup hint when it is missing)", () => {
    const location = locateRuntime({...process.env, MLXK_PYTHON: ''})
    expect(location).to.deep.equal({
      python: join(runtimeSourceDir(), '.venv', 'bin', 'python'),
      runtimeVersion: runtimeVersion(),
      source: 'checkout',
    })
  })

  it('keys the installed venv by runtime version under the data dir', () => {
    expect(installedVenvDir({MLXK_DATA_DIR: '/d'})).to.equal(join('/d', 'runtime', runtimeVersion(), 'venv'))
  })

  it('lets MLXK_PYTHON override, without resolving the venv symlink', () => {
    const python = runtimePython()
    expect(locateRuntime({...process.env, MLXK_PYTHON: python})).to.include({python, source: 'env'})
  })

  it('reports runtime_missing with the setup hint for a bogus MLXK_PYTHON, also from start()', async () => {
    const error = thrown(() => locateRuntime({MLXK_PYTHON: '/nonexistent/python'}))
    expect(error.type).to.equal('runtime_missing')
    expect(error.hint).to.include(RUNTIME_SETUP_HINT)
    expect(error.details.python).to.equal('/nonexistent/python')
    expect(thrown(() => locateRuntime({MLXK_PYTHON: packageRoot()})).type).to.equal('runtime_missing')

    const saved = process.env.MLXK_PYTHON
    process.env.MLXK_PYTHON = '/nonexistent/python'
    try {
      expect((await rejected(RuntimeClient.start())).type).to.equal('runtime_missing')
    } finally {
      if (saved === undefined) delete process.env.MLXK_PYTHON
      else process.env.MLXK_PYTHON = saved
    }
  })
})

describe('runtime: a worker that fails to start', () => {
  it('reports runtime_start_failed with the exit code and the output tail', async () => {
    const python = fakePython('broken-python', 'echo "No module named mlxk_runtime.worker" >&2\nexit 3')
    const error = await rejected(RuntimeClient.start({python}))
    expect(error.type).to.equal('runtime_start_failed')
    expect(error.message).to.include('No module named mlxk_runtime.worker')
    expect(error.details).to.include({exit_code: 3, signal: null})
    expect(error.details.stderr_tail).to.include('No module named')
    expect(error.hint).to.equal(RUNTIME_SETUP_HINT)
  })

  it('gives up after the start timeout and kills the silent process', async () => {
    const pidFile = join(scratch, 'silent.pid')
    const python = fakePython('silent-python', `echo $$ > ${pidFile}\necho "still importing" >&2\nexec sleep 60`)
    const started = Date.now()
    const error = await rejected(RuntimeClient.start({python, startTimeoutMs: 500}))
    // Far below the silent process's 60 s: the bound only proves the timeout fired, even on a loaded machine.
    expect(Date.now() - started).to.be.lessThan(15_000)
    expect(error.type).to.equal('runtime_start_failed')
    expect(error.message).to.include('no hello').and.to.include('still importing')
    const pid = Number(readFileSync(pidFile, 'utf8').trim())
    expect(await waitUntil(() => !processExists(pid), 3000)).to.equal(true)
  })
})
