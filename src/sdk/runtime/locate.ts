import {accessSync, constants, existsSync, readFileSync, statSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {MlxkError} from '../errors.js'
import {dataDir} from '../paths.js'

type Env = NodeJS.ProcessEnv

export type RuntimeSource = 'checkout' | 'env' | 'installed'

export interface RuntimeLocation {
  /** The interpreter to run, as found: never symlink-resolved, because a venv's python is a symlink. */
  python: string
  /** The Python runtime version this copy of mlxk ships (keys the installed venv). */
  runtimeVersion: string
  source: RuntimeSource
}

export const RUNTIME_SETUP_HINT = 'Run `mlxk runtime setup` (or `bash scripts/setup.sh` in a checkout)'

/** The worker's command line after the interpreter; `-I` keeps cwd and PYTHON* off sys.path (protocol §1). */
export const WORKER_MODULE_ARGS = ['-I', '-m', 'mlxk_runtime.worker'] as const

let cachedRoot: string | undefined

/**
 * The mlxk package root: the nearest ancestor of this module with a package.json named "mlxk". Walking up works
 * for both `src/sdk/runtime/` (tsx, tests) and the compiled `lib/sdk/runtime/`.
 */
export function packageRoot(): string {
  if (cachedRoot !== undefined) return cachedRoot
  let dir = dirname(fileURLToPath(import.meta.url))
  for (;;) {
    if (readPackageName(join(dir, 'package.json')) === 'mlxk') {
      cachedRoot = dir
      return dir
    }

    const parent = dirname(dir)
    if (parent === dir) throw new Error(`No package.json named "mlxk" above ${fileURLToPath(import.meta.url)}`)
    dir = parent
  }
}

/** The Python package's source dir (shipped in the npm files too, so an installed copy can set up its venv). */
export function runtimeSourceDir(): string {
  return join(packageRoot(), 'python-runtime')
}

/** The version in python-runtime/pyproject.toml, else mlxk's own version. */
export function runtimeVersion(): string {
  const pyproject = join(runtimeSourceDir(), 'pyproject.toml')
  if (existsSync(pyproject)) {
    const match = /^\s*version\s*=\s*"([^"]+)"/m.exec(readFileSync(pyproject, 'utf8'))
    if (match?.[1]) return match[1]
  }

  const pkg: unknown = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8'))
  const version = typeof pkg === 'object' && pkg !== null && 'version' in pkg ? pkg.version : undefined
  return typeof version === 'string' ? version : '0.0.0'
}

/** Where an installed (non-checkout) copy keeps its runtime venv, keyed by runtime version. */
export function installedVenvDir(env: Env = process.env): string {
  return join(dataDir(env), 'runtime', runtimeVersion(), 'venv')
}

/**
 * Finds the Python interpreter of the MLX runtime: `MLXK_PYTHON`, else the checkout's `python-runtime/.venv`,
 * else the installed venv in the data dir. Missing is an error naming the fix, never a silent download.
 */
export function locateRuntime(env: Env = process.env): RuntimeLocation {
  const version = runtimeVersion()
  const override = env.MLXK_PYTHON
  if (override) {
    if (isExecutable(override)) return {python: override, runtimeVersion: version, source: 'env'}
    throw missing(`MLXK_PYTHON points to ${override}, which is not an executable file`, {
      hint: `Point MLXK_PYTHON at the runtime venv's python or unset it. ${RUNTIME_SETUP_HINT}`,
      python: override,
    })
  }

  const checkout = join(runtimeSourceDir(), '.venv', 'bin', 'python')
  if (isExecutable(checkout)) return {python: checkout, runtimeVersion: version, source: 'checkout'}
  const installed = join(installedVenvDir(env), 'bin', 'python')
  if (isExecutable(installed)) return {python: installed, runtimeVersion: version, source: 'installed'}
  throw missing('The Python MLX runtime is not set up', {searched: [checkout, installed]})
}

function missing(message: string, facts: {hint?: string; python?: string; searched?: string[]}): MlxkError {
  const {hint = RUNTIME_SETUP_HINT, ...details} = facts
  return new MlxkError('runtime_missing', message, {details, hint})
}

/** An executable regular file (following links, as exec does). */
export function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK)
    return statSync(path).isFile()
  } catch {
    return false
  }
}

function readPackageName(path: string): string | undefined {
  try {
    const pkg: unknown = JSON.parse(readFileSync(path, 'utf8'))
    return typeof pkg === 'object' && pkg !== null && 'name' in pkg && typeof pkg.name === 'string'
      ? pkg.name
      : undefined
  } catch {
    return undefined
  }
}
