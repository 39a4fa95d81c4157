// `mlxk/sdk/services`: find and judge the models a command works on, in the cache and in --workspace folders.
// Push and clone, which write, have their own subpaths (`mlxk/sdk/push`, `mlxk/sdk/clone`).
export {describeModel, type ModelDescription} from './describe-model.js'
export {type ListData, listModels, type ListOptions} from './list.js'
export {resolveSpec, type ResolvedModel} from './resolve-spec.js'
export {
  describeWorkspace,
  isWorkspaceSpec,
  prepareRunTarget,
  type RunPreflightOptions,
  type RunTarget,
} from './run-preflight.js'
export {supportedModelTypes} from './supported.js'
