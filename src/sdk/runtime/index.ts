// The Python MLX runtime: finding the interpreter, talking protocol 1 to the worker, keeping it alive.
export * from './distributed/index.js'
export {collectGeneration, type CollectedGeneration} from './collect.js'
export {type GenerateOptions, type LoadParams, RuntimeClient, type RuntimeStartOptions} from './client.js'
export {readRuntimeInfoCache, type RuntimeInfoCache, runtimeInfoCachePath, writeRuntimeInfoCache} from './info-cache.js'
export {
  installedVenvDir,
  locateRuntime,
  packageRoot,
  RUNTIME_SETUP_HINT,
  type RuntimeLocation,
  type RuntimeSource,
  runtimeSourceDir,
  runtimeVersion,
  WORKER_MODULE_ARGS,
} from './locate.js'
export * from './protocol.js'
export {RuntimeSupervisor} from './supervisor.js'
export {describeExit, type WorkerExit} from './worker-process.js'
