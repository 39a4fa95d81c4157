import {existsSync, statSync} from 'node:fs'
import {homedir} from 'node:os'
import {basename, isAbsolute, resolve} from 'node:path'

import {listSnapshotFilesSync} from '../cache/scan.js'
import {MlxkError} from '../errors.js'
import {checkSnapshotHealth} from '../model/health.js'
import {inspectSnapshot} from '../model/inspect.js'
import {checkRuntimeCompatibility} from '../model/runtime-compat.js'
import type {HealthVerdict, Inspection, RuntimeVerdict, SupportedModelTypes} from '../model/types.js'

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
  const files = listSnapshotFilesSync({dir}).filter(
    (file) => !file.path.split('/').some((part) => part.startsWith('.')),
  )
  const inspection = inspectSnapshot({dir, files, name: basename(dir)})
  const health = checkSnapshotHealth({dir, files, modelType: inspection.modelType})
  const runtime = checkRuntimeCompatibility({files, health, inspection, supported: options.supported})
  return {commit: null, health, inspection, kind: 'workspace', name: options.spec, path: dir, runtime}
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
