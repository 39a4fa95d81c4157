import {Flags} from '@oclif/core'

import {BACKENDS, type GroupOptions, SHARDINGS} from './runtime/distributed/group-spec.js'

const helpGroup = 'DISTRIBUTED'

/** `--hosts`/`--hostfile` and friends, shared by `run` and `server` (docs/distributed.md). */
export const groupFlags = {
  backend: Flags.string({
    description: "mx.distributed backend (default: the hostfile's, else ring).",
    helpGroup,
    options: [...BACKENDS],
  }),
  hostfile: Flags.string({
    description: 'Run the model across the hosts of this mlx.launch hostfile (JSON, as mlx.distributed_config writes).',
    helpGroup,
    helpValue: 'FILE',
  }),
  hosts: Flags.string({
    description: 'Run the model across these hosts, one rank each; the first is this machine (e.g. 10.0.0.1,10.0.0.2).',
    helpGroup,
    helpValue: 'H1,H2,...',
  }),
  'remote-python': Flags.string({
    description: "The runtime's python on the other hosts (default: the same path as here).",
    helpGroup,
    helpValue: 'PATH',
  }),
  'ring-port': Flags.integer({
    description: 'First TCP port of the ring backend, one per rank (default: a free range).',
    helpGroup,
    max: 65_535,
    min: 1,
  }),
  sharding: Flags.string({
    description: 'How the model splits across ranks: tensor, pipeline, or auto (tensor where it works).',
    helpGroup,
    options: [...SHARDINGS],
  }),
}

export interface GroupFlagValues {
  backend?: string | undefined
  hostfile?: string | undefined
  hosts?: string | undefined
  'remote-python'?: string | undefined
  'ring-port'?: number | undefined
  sharding?: string | undefined
}

export function groupOptionsFrom(flags: GroupFlagValues): GroupOptions {
  return {
    backend: flags.backend,
    hostfile: flags.hostfile,
    hosts: flags.hosts,
    remotePython: flags['remote-python'],
    ringPort: flags['ring-port'],
    sharding: flags.sharding,
  }
}
