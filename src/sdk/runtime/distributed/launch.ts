import {lookup} from 'node:dns/promises'
import {writeFile} from 'node:fs/promises'
import {createServer} from 'node:net'
import {join} from 'node:path'

import {MlxkError} from '../../errors.js'
import {WORKER_MODULE_ARGS} from '../locate.js'

import {type GroupHost, type GroupSpec, rankPython} from './group-spec.js'

/**
 * mlx.launch, run with the runtime's own interpreter so its mlx version is the ranks' version; the runtime's
 * wrapper only stops its I/O loop from spinning (python-runtime/mlxk_runtime/launch.py).
 */
const LAUNCHER = ['-I', '-m', 'mlxk_runtime.launch'] as const
const PORT_TRIES = 50

async function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer()
    server.once('error', () => resolve(false))
    server.listen({exclusive: true, host: '0.0.0.0', port}, () => server.close(() => resolve(true)))
  })
}

/** The first of `count` consecutive ports free on this machine (the ring listens on base + rank, per IP). */
export async function freePortRun(count: number): Promise<number> {
  for (let attempt = 0; attempt < PORT_TRIES; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * (40_000 - count))
    let free = true
    for (let port = base; port < base + count && free; port++) free = await portFree(port)
    if (free) return base
  }

  throw new MlxkError('distributed_launch_failed', `No run of ${count} free TCP ports for the ring backend`, {
    hint: 'Pass --ring-port with the first of a free range',
  })
}

async function withIps(host: GroupHost): Promise<GroupHost> {
  if (host.ips.length > 0) return host
  try {
    const {address} = await lookup(host.ssh)
    return {...host, ips: [address]}
  } catch (error) {
    throw new MlxkError('host_unreachable', `Cannot resolve ${host.ssh} to an address for the ring backend`, {
      cause: error,
      details: {host: host.ssh},
      hint: 'Give its IP in --hosts, or "ips" in the hostfile',
    })
  }
}

/** One POSIX shell word, whatever `text` holds. */
export function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`
}

/**
 * The rank's command: mlx.launch runs one command line on every host, but interpreters may live at different
 * paths per host, so a tiny sh picks this rank's interpreter by MLX_RANK and execs it (the pid stays the rank's).
 */
function rankCommand(hosts: GroupHost[], pythons: string[], workerArgs: string[]): string[] {
  const cases = pythons.map((python, rank) => `${rank}) exec ${shellQuote(python)} "$@";;`).join(' ')
  const script = `case "$MLX_RANK" in ${cases} esac; echo "mlxk: no interpreter for rank $MLX_RANK" >&2; exit 2`
  return ['/bin/sh', '-c', script, `mlxk-rank-of-${hosts.length}`, ...workerArgs]
}

export interface GroupLaunch {
  /** Arguments for the local interpreter: mlx.launch, then every rank's command. */
  args: string[]
  /** The hosts with their IPs resolved, in rank order. */
  hosts: GroupHost[]
  port: number
}

/**
 * Writes the hostfile mlx.launch reads (into `dir`, which must live until the ranks have started) and returns
 * the launcher's arguments. Local ranks start without ssh: mlx.launch treats only the ssh name 127.0.0.1 so.
 */
export async function prepareGroupLaunch(
  spec: GroupSpec,
  options: {dir: string; python: string; socketPath: string},
): Promise<GroupLaunch> {
  const hosts = await Promise.all(spec.hosts.map((host) => withIps(host)))
  const connections = hosts.reduce((sum, host) => sum + host.ips.length, 0)
  const port = spec.ringPort ?? (await freePortRun(connections))
  const hostfile = join(options.dir, 'hostfile.json')
  const entries = hosts.map((host) => ({ips: host.ips, rdma: host.rdma, ssh: host.local ? '127.0.0.1' : host.ssh}))
  await writeFile(hostfile, JSON.stringify({backend: spec.backend, envs: spec.envs, hosts: entries}), {mode: 0o600})
  const pythons = hosts.map((host) => rankPython(host, spec, options.python))
  const backend = spec.backend.startsWith('jaccl') ? 'jaccl' : spec.backend
  const workerArgs = [
    ...WORKER_MODULE_ARGS,
    '--connect',
    options.socketPath,
    '--distributed',
    '--backend',
    backend,
    '--sharding',
    spec.sharding,
  ]
  return {
    args: [
      ...LAUNCHER,
      '--hostfile',
      hostfile,
      '--backend',
      spec.backend,
      '--starting-port',
      String(port),
      '--',
      ...rankCommand(hosts, pythons, workerArgs),
    ],
    hosts,
    port,
  }
}
