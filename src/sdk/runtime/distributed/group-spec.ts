import {readFileSync} from 'node:fs'
import {hostname, networkInterfaces} from 'node:os'
import {isIP} from 'node:net'

import {ExitCode, MlxkError} from '../../errors.js'

/** The backends `mlx.launch` starts; `ring` runs over TCP (Ethernet, Thunderbolt bridge, or loopback). */
export const BACKENDS = ['ring', 'jaccl', 'jaccl-ring', 'mpi'] as const
export type Backend = (typeof BACKENDS)[number]

export const SHARDINGS = ['auto', 'tensor', 'pipeline'] as const
export type Sharding = (typeof SHARDINGS)[number]

/** One rank's host, as mlx.launch's hostfile describes it, plus mlxk's own per-host settings. */
export interface GroupHost {
  /** This machine: the rank starts here without ssh. */
  local: boolean
  /** Addresses the ring backend connects to (the ring needs IPs, not names). */
  ips: string[]
  /** Local path prefix → the same folder's path on that host, for models kept at another path there. */
  pathMap: Record<string, string>
  /** RDMA devices for jaccl, passed through untouched. */
  rdma: unknown[]
  /** The runtime's interpreter on that host (hostfile `python`); default: `--remote-python`, else this one's path. */
  python?: string | undefined
  /** What ssh connects to. */
  ssh: string
}

/** A distributed worker group: every rank of it, in rank order (rank 0 is this machine). */
export interface GroupSpec {
  backend: Backend
  /** Extra environment for every rank (the hostfile's `envs`). */
  envs: string[]
  hosts: GroupHost[]
  /** The runtime's interpreter on the other hosts; default: the same path as here. */
  remotePython?: string | undefined
  /** First TCP port of the ring backend (one per rank and IP); default: a free run on this machine. */
  ringPort?: number | undefined
  sharding: Sharding
}

export interface GroupOptions {
  backend?: string | undefined
  hostfile?: string | undefined
  hosts?: string | undefined
  remotePython?: string | undefined
  ringPort?: number | undefined
  sharding?: string | undefined
}

function invalid(message: string, details: Record<string, unknown> = {}): MlxkError {
  return new MlxkError('distributed_config_invalid', message, {
    details,
    exitCode: ExitCode.usage,
    hint: 'See docs/distributed.md for --hosts and the hostfile format',
  })
}

const LOCAL_NAMES = new Set(['127.0.0.1', '::1', 'localhost'])

/** Whether `host` names this machine: loopback, its host name, or one of its interface addresses. */
export function isThisMachine(host: string): boolean {
  if (LOCAL_NAMES.has(host) || host.startsWith('127.')) return true
  const own = hostname()
  if (host === own || host === own.split('.')[0] || `${host}.local` === own || host === `${own}.local`) return true
  return Object.values(networkInterfaces()).some((list) => list?.some((entry) => entry.address === host))
}

function localIp(host: string): string {
  return host === 'localhost' ? '127.0.0.1' : host
}

/**
 * `--hosts h1,h2,…`: one rank per entry (repeat an entry for several ranks on one host). A name that is not an
 * IP is kept for ssh and resolved to an IP at launch (the ring backend connects to IPs).
 */
export function parseHostList(list: string): GroupHost[] {
  const names = list.split(',').map((name) => name.trim())
  if (names.length < 2 || names.some((name) => name === '')) {
    throw invalid(`--hosts needs at least two comma-separated hosts, got ${JSON.stringify(list)}`)
  }

  return names.map((name) => {
    const local = isThisMachine(name)
    const ips = isIP(name) || LOCAL_NAMES.has(name) ? [localIp(name)] : []
    return {ips, local, pathMap: {}, rdma: [], ssh: name}
  })
}

function stringList(value: unknown, what: string): string[] {
  if (value === undefined) return []
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) {
    throw invalid(`${what} must be a list of strings`)
  }

  return value as string[]
}

function hostFromEntry(entry: unknown, index: number, file: string): GroupHost {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
    throw invalid(`${file}: hosts[${index}] is not an object`)
  }

  const record = entry as Record<string, unknown>
  if (typeof record.ssh !== 'string' || record.ssh === '') {
    throw invalid(`${file}: hosts[${index}] has no "ssh" host name`)
  }

  const pathMap = record.path_map ?? {}
  if (typeof pathMap !== 'object' || pathMap === null || Array.isArray(pathMap)) {
    throw invalid(`${file}: hosts[${index}].path_map must map local path prefixes to paths on that host`)
  }

  for (const [from, to] of Object.entries(pathMap)) {
    if (typeof to !== 'string' || !from.startsWith('/') || !to.startsWith('/')) {
      throw invalid(`${file}: hosts[${index}].path_map entries must map absolute paths to absolute paths`)
    }
  }

  const local = isThisMachine(record.ssh)
  const ips = stringList(record.ips, `${file}: hosts[${index}].ips`)
  return {
    ips: ips.length === 0 && LOCAL_NAMES.has(record.ssh) ? [localIp(record.ssh)] : ips,
    local,
    pathMap: pathMap as Record<string, string>,
    python: typeof record.python === 'string' && record.python !== '' ? record.python : undefined,
    rdma: Array.isArray(record.rdma) ? record.rdma : [],
    ssh: record.ssh,
  }
}

/** mlx.launch's JSON hostfile (a list of hosts, or {backend, envs, hosts}), as `mlx.distributed_config` writes it. */
export function readHostfile(file: string): {backend?: string; envs: string[]; hosts: GroupHost[]} {
  let data: unknown
  try {
    data = JSON.parse(readFileSync(file, 'utf8'))
  } catch (error) {
    throw invalid(`Cannot read the hostfile ${file}: ${(error as Error).message}`, {hostfile: file})
  }

  const object = Array.isArray(data) ? {hosts: data} : data
  if (typeof object !== 'object' || object === null || !Array.isArray((object as {hosts?: unknown}).hosts)) {
    throw invalid(`${file}: expected a list of hosts or an object with "hosts"`, {hostfile: file})
  }

  const record = object as {backend?: unknown; envs?: unknown; hosts: unknown[]}
  const hosts = record.hosts.map((entry, index) => hostFromEntry(entry, index, file))
  if (hosts.length < 2) throw invalid(`${file}: a group needs at least two hosts`, {hostfile: file})
  const backend = typeof record.backend === 'string' && record.backend !== '' ? record.backend : undefined
  return {backend, envs: stringList(record.envs, `${file}: envs`), hosts}
}

function oneOf<T extends string>(value: string, allowed: readonly T[], flag: string): T {
  if ((allowed as readonly string[]).includes(value)) return value as T
  throw invalid(`${flag} must be one of ${allowed.join(', ')}, not ${JSON.stringify(value)}`)
}

/** The group the flags describe, or undefined when none was asked for (a single-process runtime). */
export function resolveGroupSpec(options: GroupOptions): GroupSpec | undefined {
  if (options.hosts !== undefined && options.hostfile !== undefined) {
    throw invalid('Use either --hosts or --hostfile, not both')
  }

  if (options.hosts === undefined && options.hostfile === undefined) {
    for (const [flag, value] of [
      ['--backend', options.backend],
      ['--sharding', options.sharding],
      ['--remote-python', options.remotePython],
      ['--ring-port', options.ringPort],
    ] as const) {
      if (value !== undefined) throw invalid(`${flag} needs --hosts or --hostfile`)
    }

    return undefined
  }

  const fromFile = options.hostfile === undefined ? undefined : readHostfile(options.hostfile)
  const hosts = fromFile?.hosts ?? parseHostList(options.hosts ?? '')
  const backend = oneOf(options.backend ?? fromFile?.backend ?? 'ring', BACKENDS, '--backend')
  if (!hosts[0]!.local) {
    throw invalid(`The first host (${hosts[0]!.ssh}) must be this machine: rank 0 talks to mlxk over a local socket`, {
      host: hosts[0]!.ssh,
    })
  }

  return {
    backend,
    envs: fromFile?.envs ?? [],
    hosts,
    remotePython: options.remotePython,
    ringPort: options.ringPort,
    sharding: oneOf(options.sharding ?? 'auto', SHARDINGS, '--sharding'),
  }
}

/** Where `path` (as seen here) lives on `host`: the longest matching `path_map` prefix, else the same path. */
export function pathOnHost(path: string, host: GroupHost): string {
  let best: [string, string] | undefined
  for (const [from, to] of Object.entries(host.pathMap)) {
    const prefix = from.endsWith('/') ? from.slice(0, -1) : from
    if ((path === prefix || path.startsWith(`${prefix}/`)) && (best === undefined || prefix.length > best[0].length)) {
      best = [prefix, to.endsWith('/') ? to.slice(0, -1) : to]
    }
  }

  return best === undefined ? path : best[1] + path.slice(best[0].length)
}

/** The runtime interpreter a rank on `host` runs: this one here, else the host's own, `--remote-python`, or ours. */
export function rankPython(host: GroupHost, spec: GroupSpec, python: string): string {
  return host.local ? python : (host.python ?? spec.remotePython ?? python)
}
