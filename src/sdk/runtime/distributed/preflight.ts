import {statSync} from 'node:fs'
import {join} from 'node:path'

import {MlxkError} from '../../errors.js'
import {isExecutable} from '../locate.js'

import {type GroupSpec, pathOnHost, rankPython} from './group-spec.js'
import {shellQuote} from './launch.js'

const SSH_OPTIONS = ['-o', 'BatchMode=yes', '-o', 'ConnectTimeout=5'] as const
const SSH_TIMEOUT_MS = 20_000

/** What `checkGroup` found on one host. */
export interface HostCheck {
  host: string
  modelPaths: string[]
  python: string
  rank: number
}

function isModelDir(path: string): boolean {
  try {
    return statSync(join(path, 'config.json')).isFile()
  } catch {
    return false
  }
}

function modelMissing(check: HostCheck, path: string): MlxkError {
  return new MlxkError('model_missing_on_host', `${check.host} (rank ${check.rank}) has no model at ${path}`, {
    details: {host: check.host, model_path: path, rank: check.rank},
    hint: 'Copy the model there (e.g. `mlxk pull` on that host), or map its location with "path_map" in the hostfile',
  })
}

function runtimeMissing(check: HostCheck): MlxkError {
  return new MlxkError(
    'runtime_missing_on_host',
    `${check.host} (rank ${check.rank}) has no runtime at ${check.python}`,
    {
      details: {host: check.host, python: check.python, rank: check.rank},
      hint: 'Run `mlxk runtime setup` on that host, or point --remote-python (or "python" in the hostfile) at it',
    },
  )
}

// Prints one verdict line; a shell on the other side, so paths travel as positional arguments, never as code.
const REMOTE_CHECK = [
  'py=$1; shift',
  '[ -x "$py" ] || { echo runtime-missing; exit 0; }',
  'for p in "$@"; do [ -f "$p/config.json" ] || { echo "model-missing $p"; exit 0; }; done',
  'echo ok',
].join('; ')

async function checkRemote(check: HostCheck): Promise<void> {
  const command = ['sh', '-c', REMOTE_CHECK, 'mlxk-check', check.python, ...check.modelPaths].map(shellQuote).join(' ')
  const {execa} = await import('execa')
  const result = await execa('ssh', [...SSH_OPTIONS, check.host, command], {
    reject: false,
    stdin: 'ignore',
    timeout: SSH_TIMEOUT_MS,
  })
  const verdict = result.stdout.trim().split('\n').at(-1) ?? ''
  if (result.exitCode !== 0 || verdict === '') {
    throw new MlxkError('host_unreachable', `Cannot reach ${check.host} (rank ${check.rank}) over ssh`, {
      details: {exit_code: result.exitCode ?? null, host: check.host, rank: check.rank, stderr: result.stderr.trim()},
      hint: 'mlx.launch starts remote ranks over ssh: set up key-based ssh login to that host (docs/distributed.md)',
    })
  }

  if (verdict === 'runtime-missing') throw runtimeMissing(check)
  if (verdict.startsWith('model-missing ')) throw modelMissing(check, verdict.slice('model-missing '.length))
}

function checkLocal(check: HostCheck): void {
  if (!isExecutable(check.python)) throw runtimeMissing(check)
  const missing = check.modelPaths.find((path) => !isModelDir(path))
  if (missing !== undefined) throw modelMissing(check, missing)
}

/**
 * Before launch: every host answers over ssh (local ones are checked directly) and has the runtime and each
 * model (at the same path, or where its `path_map` says). Hosts are checked in parallel; the first failure wins.
 */
export async function checkGroupHosts(
  spec: GroupSpec,
  options: {modelPaths: string[]; python: string},
): Promise<HostCheck[]> {
  const checks = spec.hosts.map((host, rank) => ({
    host: host.ssh,
    local: host.local,
    modelPaths: options.modelPaths.map((path) => pathOnHost(path, host)),
    python: rankPython(host, spec, options.python),
    rank,
  }))
  await Promise.all(checks.map(async (check) => (check.local ? checkLocal(check) : checkRemote(check))))
  return checks.map(({local: _local, ...check}) => check)
}

/** How the runtime will split a model over the group, or `unshardable_model`: asked of the runtime itself. */
export async function planSharding(
  spec: GroupSpec,
  options: {modelPath: string; python: string},
): Promise<Record<string, unknown>> {
  const {execa} = await import('execa')
  const result = await execa(
    options.python,
    [
      '-I',
      '-m',
      'mlxk_runtime.sharding',
      options.modelPath,
      '--world-size',
      String(spec.hosts.length),
      '--sharding',
      spec.sharding,
    ],
    {env: {HF_HUB_OFFLINE: '1'}, reject: false, stdin: 'ignore'},
  )
  let answer: unknown
  try {
    answer = JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '')
  } catch {
    throw new MlxkError(
      'runtime_start_failed',
      `The runtime could not plan the sharding: ${result.stderr.trim().slice(-800)}`,
    )
  }

  const {error, ok, plan} = answer as {
    error?: {message?: string; type?: string}
    ok?: boolean
    plan?: Record<string, unknown>
  }
  if (ok === true && plan !== undefined) return plan
  const {message = 'cannot be sharded', type = 'unshardable_model', ...details} = error ?? {}
  throw new MlxkError(type, `${options.modelPath}: ${message}`, {
    details,
    hint: 'Use a group size that divides the model (heads, quantization groups), --sharding pipeline, or one machine',
  })
}

/** Everything checked before a group is launched: the hosts, then each model's sharding plan (one at a time). */
export async function preflightGroup(
  spec: GroupSpec,
  options: {modelPaths: string[]; python: string},
): Promise<Record<string, unknown>[]> {
  await checkGroupHosts(spec, options)
  const plans: Record<string, unknown>[] = []
  for (const modelPath of options.modelPaths) plans.push(await planSharding(spec, {modelPath, python: options.python}))
  return plans
}
