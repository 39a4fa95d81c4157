import {existsSync, statSync} from 'node:fs'
import {homedir} from 'node:os'
import {basename, isAbsolute, resolve} from 'node:path'

import {listSnapshotFiles} from '../cache/scan.js'
import {MlxkError} from '../errors.js'
import {checkSnapshotHealth} from '../model/health.js'
import {inspectSnapshot} from '../model/inspect.js'
import {checkRuntimeCompatibility} from '../model/runtime-compat.js'
import type {HealthVerdict, Inspection, RuntimeVerdict, SupportedModelTypes} from '../model/types.js'
import {describeModel} from './describe-model.js'
import {resolveSpec} from './resolve-spec.js'

/** A model a runtime can be asked to load: from the cache, or a plain model folder on disk (a "workspace"). */
export interface RunTarget {
  /** Snapshot commit for a cached model; null for a workspace. */
  commit: null | string
  /** Whether `health` passed; a target reaching the caller of `prepareRunTarget` is always healthy. */
  health: HealthVerdict
  inspection: Inspection
  kind: 'cache' | 'workspace'
  /** What users see: `org/name` for a cached model, the path as written for a workspace. */
  name: string
  /** Absolute directory the runtime loads. */
  path: string
  runtime: RuntimeVerdict
}

export interface RunPreflightOptions {
  /** Resolves relative workspace paths; default `process.cwd()`. */
  cwd?: string
  env?: NodeJS.ProcessEnv
  /** The hub cache root (`cacheRoot()`). */
  root: string
  /** Cache name (`name[@rev]`, fuzzy) or a directory path. */
  spec: string
  supported: SupportedModelTypes
}

/**
 * Explicit path syntax (`./x`, `../x`, `/x`, `~/x`, `.`) always means a folder. A bare word means a folder only
 * when such a directory exists and holds a config.json, so a stray directory named like a model never hides the
 * cached one unless it really is a model.
 */
export function isWorkspaceSpec(spec: string, options: {cwd?: string; env?: NodeJS.ProcessEnv} = {}): boolean {
  if (looksLikePath(spec)) return true
  const dir = expandPath(spec, options)
  return isDirectory(dir) && existsSync(resolve(dir, 'config.json'))
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
  return target
}

/** Integrity and runtime verdicts of a plain model folder, judged exactly like a cache snapshot. */
export async function describeWorkspace(options: {
  cwd?: string
  env?: NodeJS.ProcessEnv
  spec: string
  supported: SupportedModelTypes
}): Promise<RunTarget> {
  const dir = expandPath(options.spec, options)
  if (!isDirectory(dir)) {
    throw new MlxkError('workspace_not_found', `No model directory at ${options.spec}`, {
      hint: 'Give the path of a folder that holds config.json, the weights and the tokenizer, or a cached model name',
    })
  }

  // Dot-directories (.git, .cache/huggingface from `hf download --local-dir`) are tooling, not model files.
  const files = (await listSnapshotFiles({dir})).filter(
    (file) => !file.path.split('/').some((part) => part.startsWith('.')),
  )
  const name = basename(dir)
  const inspection = await inspectSnapshot({dir, files, name})
  const health = await checkSnapshotHealth({dir, files, modelType: inspection.modelType})
  const runtime = checkRuntimeCompatibility({files, health, inspection, supported: options.supported})
  return {commit: null, health, inspection, kind: 'workspace', name: options.spec, path: dir, runtime}
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
  embedding_model: 'Embedding models produce vectors, not text; pick a text-generation model',
  framework:
    'mlxk runs MLX models: use an MLX conversion (e.g. from mlx-community) or convert it with `mlx_lm.convert`',
  legacy_format: 'Re-convert the model with a current `mlx_lm.convert`',
  model_type_missing: 'The config.json needs a model_type',
  remote_code: 'mlxk never runs code shipped with a model; use a model that needs no custom code',
  unsupported_model_type:
    'Update the runtime (`mlxk runtime setup`) or pick a model whose architecture mlx-lm supports',
  weights_not_loadable: 'mlx-lm loads only model*.safetensors at the top of the folder; use an MLX conversion',
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

function looksLikePath(spec: string): boolean {
  return spec === '.' || spec === '..' || spec === '~' || /^(\.{1,2}\/|~\/|\/)/.test(spec) || isAbsolute(spec)
}

/** `~` and `~/x` against $HOME (like a shell would have), relative paths against cwd. */
function expandPath(spec: string, options: {cwd?: string; env?: NodeJS.ProcessEnv}): string {
  const home = options.env?.HOME || process.env.HOME || homedir()
  const expanded = spec === '~' ? home : spec.startsWith('~/') ? resolve(home, spec.slice(2)) : spec
  return resolve(options.cwd ?? process.cwd(), expanded)
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory()
  } catch {
    return false
  }
}
