import {MlxkError} from '../errors.js'
import type {SupportedModelTypes} from '../model/types.js'
import {describeWorkspace, isWorkspaceSpec, type RunTarget} from '../workspace/describe.js'
import {describeModel} from './describe-model.js'
import {resolveSpec} from './resolve-spec.js'

// Part of the run preflight's surface: plugins and the services index import them from here.
export {describeWorkspace, isWorkspaceSpec, type RunTarget} from '../workspace/describe.js'

export interface RunPreflightOptions {
  /** Resolves relative workspace paths; default `process.cwd()`. */
  cwd?: string
  env?: NodeJS.ProcessEnv
  /** The hub cache root (`cacheRoot()`). */
  root: string
  /** Cache name (`name[@rev]`, fuzzy) or a directory path. */
  spec: string
  /** What the model is wanted for; the other kind of model is refused by name. Default `generate`. */
  purpose?: 'embed' | 'generate'
  supported: SupportedModelTypes
}

/**
 * Everything `run` (and later `server`) checks before it spends seconds starting Python: resolve the spec,
 * judge integrity, judge runtime compatibility. Every failure is a typed MlxkError with a hint.
 */
export async function prepareRunTarget(options: RunPreflightOptions): Promise<RunTarget> {
  const target = isWorkspaceSpec(options.spec, options)
    ? await describeWorkspace(options)
    : await describeCached(options)
  assertRunnable(target)
  assertPurpose(target, options.purpose ?? 'generate')
  return target
}

async function describeCached(options: RunPreflightOptions): Promise<RunTarget> {
  const resolved = await resolveSpec(options.root, options.spec)
  const description = await describeModel(resolved.model, {
    revision: resolved.revision,
    supported: options.supported,
    ...(resolved.snapshot ? {snapshot: resolved.snapshot} : {}),
  })
  const {health, inspection, runtime, snapshot} = description
  if (!snapshot || !inspection) {
    throw new MlxkError('model_unhealthy', `Model '${resolved.model.name}' has no usable snapshot: ${health.reason}`, {
      details: {code: health.code},
      hint: `Download it again with \`mlxk pull ${resolved.model.name}\``,
    })
  }

  return {
    commit: snapshot.commit,
    health,
    inspection,
    kind: 'cache',
    name: resolved.model.name,
    path: snapshot.dir,
    runtime,
  }
}

/** Hints by runtime-compat code: what the user can actually do about each gate. */
const NOT_RUNNABLE_HINTS: Record<string, string> = {
  config_missing: 'The model folder needs a config.json',
  framework:
    'mlxk runs MLX models: use an MLX conversion (e.g. from mlx-community) or convert it with `mlx_lm.convert`',
  legacy_format: 'Re-convert the model with a current `mlx_lm.convert`',
  model_type_missing: 'The config.json needs a model_type',
  remote_code: 'mlxk never runs code shipped with a model; use a model that needs no custom code',
  unsupported_embedding_model:
    'mlxk embeds with BERT-style encoders (bert, roberta, xlm-roberta) and mlx-lm decoders (e.g. Qwen3-Embedding)',
  unsupported_model_type:
    'Update the runtime (`mlxk runtime setup`) or pick a model whose architecture mlx-lm supports',
  weights_not_loadable: 'mlx-lm loads only model*.safetensors at the top of the folder; use an MLX conversion',
}

/** An embedder asked to generate, or a text model asked to embed: say which kind it is and what to use. */
function assertPurpose(target: RunTarget, purpose: 'embed' | 'generate'): void {
  const {modelType} = target.inspection
  if ((modelType === 'embedding') === (purpose === 'embed')) return
  const label = target.kind === 'workspace' ? `Model folder '${target.name}'` : `Model '${target.name}'`
  const details = {code: purpose === 'embed' ? 'not_an_embedding_model' : 'embedding_model', model_type: modelType}
  if (purpose === 'generate') {
    throw new MlxkError('model_not_runnable', `${label} is an embedding model: it produces vectors, not text`, {
      details,
      hint: 'Embed with `mlxk embed`, or POST /v1/embeddings on `mlxk serve`; pick a chat model to run',
    })
  }

  throw new MlxkError('model_not_runnable', `${label} is a ${modelType} model: it generates text, not embeddings`, {
    details,
    hint: "Pick an embedding model (`mlxk list` shows each model's type)",
  })
}

function assertRunnable(target: RunTarget): void {
  const label = target.kind === 'workspace' ? `Model folder '${target.name}'` : `Model '${target.name}'`
  if (!target.health.healthy) {
    const repair =
      target.kind === 'cache'
        ? `Check it with \`mlxk health ${target.name}\`; download it again with \`mlxk pull ${target.name}\``
        : 'Complete or replace the files in the folder'
    throw new MlxkError('model_unhealthy', `${label} is not healthy: ${target.health.reason}`, {
      details: {code: target.health.code},
      hint: repair,
    })
  }

  if (!target.runtime.compatible) {
    throw new MlxkError(
      'model_not_runnable',
      `${label} cannot run with mlx-lm: ${target.runtime.reason ?? target.runtime.code}`,
      {
        details: {code: target.runtime.code, framework: target.inspection.framework},
        hint: NOT_RUNNABLE_HINTS[target.runtime.code] ?? 'Pick another model (`mlxk list` shows the runnable ones)',
      },
    )
  }
}
