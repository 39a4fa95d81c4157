// `mlxk/sdk/runtime`, the Python MLX runtime: finding the interpreter, talking protocol 1 to the worker, keeping it
// alive, and the flags and defaults of the commands that start it. execa loads with the first worker, so a command
// may import this at the top for its flags.
export {type GroupFlagValues, groupFlags, groupOptionsFrom} from '../group-flags.js'
export * from './distributed/index.js'
export {
  type AnswerFinishReason,
  answerFinishReason,
  collectGeneration,
  type CollectedGeneration,
  type GenerationPiece,
  GenerationReader,
  GenerationText,
  type ToolCallPiece,
} from './generation-reader.js'
export {type GenerateOptions, type LoadParams, RuntimeClient, type RuntimeStartOptions} from './client.js'
export {decodeEmbeddings, dimensionsProblem, vectorToBase64} from './embeddings.js'
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
export {SAMPLING_DEFAULTS} from './sampling.js'
export {RuntimeSupervisor} from './supervisor.js'
export {describeExit, type WorkerExit} from './worker-process.js'
