// Serving one model across several machines with mlx's own distributed engine (docs/distributed.md).
export {
  type Backend,
  BACKENDS,
  type GroupHost,
  type GroupOptions,
  type GroupSpec,
  isThisMachine,
  parseHostList,
  pathOnHost,
  rankPython,
  readHostfile,
  resolveGroupSpec,
  type Sharding,
  SHARDINGS,
} from './group-spec.js'
export {freePortRun, type GroupLaunch, prepareGroupLaunch} from './launch.js'
export {checkGroupHosts, type HostCheck, planSharding, preflightGroup} from './preflight.js'
