import {spawn} from 'node:child_process'
import {existsSync} from 'node:fs'
import {join} from 'node:path'

import {MlxkError} from '../errors.js'
import {installedVenvDir, packageRoot, runtimeSourceDir} from '../runtime/locate.js'

export interface RuntimeSetupData {
  /** `checkout`: python-runtime/.venv of a development checkout; `installed`: the versioned venv in the data dir. */
  kind: 'checkout' | 'installed'
  python: string
  venv: string
}

/** A checkout has the runtime's tests beside its sources; an installed copy ships only the package. */
export function runtimeVenvTarget(env: NodeJS.ProcessEnv = process.env): RuntimeSetupData {
  const checkout = existsSync(join(runtimeSourceDir(), 'tests'))
  const venv = checkout ? join(runtimeSourceDir(), '.venv') : installedVenvDir(env)
  return {kind: checkout ? 'checkout' : 'installed', python: join(venv, 'bin', 'python'), venv}
}

/**
 * Creates or repairs the venv with the pinned mlx / mlx-lm, through the same script a checkout's setup uses, so
 * there is one recipe. pip's progress goes to stderr; it is the one step that downloads (from PyPI), and only
 * when the user asks for it.
 */
export async function setupRuntime(
  options: {env?: NodeJS.ProcessEnv; quiet?: boolean} = {},
): Promise<RuntimeSetupData> {
  const target = runtimeVenvTarget(options.env)
  const script = join(packageRoot(), 'scripts', 'setup-runtime.sh')
  if (!existsSync(script)) throw new MlxkError('runtime_setup_failed', `${script} is missing from this installation`)
  // The script's own output (and pip's) goes to stderr: stdout belongs to the command's result.
  const result = await runScript(
    script,
    target.venv,
    {
      ...process.env,
      ...options.env,
      MLXK_RUNTIME_EDITABLE: target.kind === 'checkout' ? '1' : '0',
    },
    options.quiet ?? false,
  )
  if (result.exitCode !== 0) {
    throw new MlxkError(
      'runtime_setup_failed',
      `Setting up the runtime in ${target.venv} failed (exit ${result.exitCode})`,
      {
        details: {output_tail: result.output.slice(-2000)},
        hint: 'Run `mlxk runtime doctor` to see what is missing.',
      },
    )
  }

  return target
}

function runScript(
  script: string,
  venv: string,
  env: NodeJS.ProcessEnv,
  quiet: boolean,
): Promise<{exitCode: null | number; output: string}> {
  return new Promise((resolve) => {
    const child = spawn('bash', [script, venv], {env, stdio: ['ignore', quiet ? 'pipe' : 2, quiet ? 'pipe' : 2]})
    let output = ''
    child.stdout?.setEncoding('utf8').on('data', (c: string) => (output += c))
    child.stderr?.setEncoding('utf8').on('data', (c: string) => (output += c))
    child.on('close', (exitCode) => resolve({exitCode, output}))
  })
}
