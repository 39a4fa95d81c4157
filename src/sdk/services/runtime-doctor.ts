import {execFile} from 'node:child_process'
import {existsSync} from 'node:fs'
import {promisify} from 'node:util'

import {isMlxkError} from '../errors.js'
import {locateRuntime} from '../runtime/locate.js'
import {runtimeVenvTarget} from './runtime-setup.js'

const run = promisify(execFile)

export interface DoctorCheck {
  detail: string
  /** The exact command or step that fixes it; null when the check passed. */
  fix: null | string
  name: string
  ok: boolean
}

export interface DoctorData {
  checks: DoctorCheck[]
  ok: boolean
}

const SUPPORTED_PLATFORMS = new Set(['darwin-arm64', 'linux-arm64', 'linux-x64'])

/** The usual reasons the runtime does not start, each with the exact fix. */
export async function diagnoseRuntime(env: NodeJS.ProcessEnv = process.env): Promise<DoctorData> {
  const checks: DoctorCheck[] = []
  const platform = `${process.platform}-${process.arch}`
  checks.push(
    SUPPORTED_PLATFORMS.has(platform)
      ? {detail: platform, fix: null, name: 'platform', ok: true}
      : {
          detail: `${platform} has no mlx wheel`,
          fix: 'Use macOS on Apple silicon, or Linux (x86_64/arm64) for the CPU backend',
          name: 'platform',
          ok: false,
        },
  )
  const bootstrap = env.MLXK_PYTHON_BOOTSTRAP || 'python3'
  const version = await pythonVersion(bootstrap)
  checks.push(
    version === null
      ? {
          detail: `${bootstrap} not found`,
          fix: 'Install Python 3.11 or newer (e.g. `brew install python@3.12`)',
          name: 'python3',
          ok: false,
        }
      : version.ok
        ? {detail: `${bootstrap} ${version.text}`, fix: null, name: 'python3', ok: true}
        : {
            detail: `${bootstrap} ${version.text} is older than 3.11`,
            fix: 'Install Python 3.11 or newer and set MLXK_PYTHON_BOOTSTRAP to it',
            name: 'python3',
            ok: false,
          },
  )
  const target = runtimeVenvTarget(env)
  let python: null | string = null
  try {
    python = locateRuntime(env).python
    checks.push({detail: python, fix: null, name: 'venv', ok: true})
  } catch (error) {
    const detail = isMlxkError(error) ? error.message : String(error)
    // A bad override says nothing about the venv itself: never suggest deleting a working one.
    const fix = env.MLXK_PYTHON
      ? `unset MLXK_PYTHON, or point it at a runtime venv's python (e.g. ${target.python})`
      : 'mlxk runtime setup'
    checks.push({detail, fix, name: 'venv', ok: false})
  }

  if (python) {
    const imports = await run(
      python,
      ['-I', '-c', 'import mlx.core, mlx_lm, mlxk_runtime; print(mlx_lm.__version__)'],
      {env: {...env}},
    ).then(
      (r) => ({detail: `mlx-lm ${r.stdout.trim()}`, ok: true}),
      (error: {stderr?: string}) => ({
        detail: (error.stderr ?? '').trim().split('\n').at(-1) ?? 'import failed',
        ok: false,
      }),
    )
    checks.push({
      ...imports,
      fix: imports.ok ? null : `mlxk runtime setup   (repairs ${target.venv})`,
      name: 'imports',
      ok: imports.ok,
    })
  } else if (!env.MLXK_PYTHON && existsSync(target.venv)) {
    checks.push({
      detail: `${target.venv} exists but has no working python`,
      fix: `rm -rf '${target.venv}' && mlxk runtime setup`,
      name: 'imports',
      ok: false,
    })
  }

  return {checks, ok: checks.every((c) => c.ok)}
}

async function pythonVersion(python: string): Promise<null | {ok: boolean; text: string}> {
  try {
    const {stdout} = await run(python, ['-c', 'import sys; print("%d.%d.%d" % sys.version_info[:3])'])
    const [major = 0, minor = 0] = stdout.trim().split('.').map(Number)
    return {ok: major > 3 || (major === 3 && minor >= 11), text: stdout.trim()}
  } catch {
    return null
  }
}
