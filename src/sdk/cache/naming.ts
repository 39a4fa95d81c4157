import {MlxkError} from '../errors.js'

const PREFIX = 'models--'
const MAX_REPO_ID_LENGTH = 96
const REPO_ID_CHARS = /^[A-Za-z0-9._\-/]+$/

/**
 * `org/name` → `models--org--name`: every `/` becomes `--`. A name that already is a directory name is returned
 * as is, so callers may pass either.
 */
export function repoIdToDirName(repoId: string): string {
  if (repoId.startsWith(PREFIX)) return repoId
  return PREFIX + repoId.replaceAll('/', '--')
}

/**
 * `models--org--name` → `org/name`: every `--` becomes `/`. Corrupted names (`---`, `----`) convert mechanically
 * so the damage stays visible in listings; this never throws.
 */
export function dirNameToRepoId(dirName: string): string {
  if (!dirName.startsWith(PREFIX)) return dirName
  return dirName.slice(PREFIX.length).replaceAll('--', '/')
}

/** Checks a repo id typed by the user before it is used for a download or a directory name. Returns it unchanged. */
export function validateRepoId(repoId: string): string {
  const fail = (why: string): never => {
    throw new MlxkError('ValidationError', `Invalid repository id ${JSON.stringify(repoId)}: ${why}`, {
      hint: 'Use the form org/name, e.g. mlx-community/Llama-3.2-1B-Instruct-4bit',
    })
  }

  if (repoId.trim() === '') fail('it is empty')
  if (repoId.includes('\0')) fail('it contains a NUL byte')
  if (repoId.includes('\\')) fail('it contains a backslash')
  if (repoId.length > MAX_REPO_ID_LENGTH) fail(`it is longer than ${MAX_REPO_ID_LENGTH} characters`)
  if (repoId.startsWith('/')) fail('it starts with "/" (absolute paths are not repository ids)')
  if (repoId.endsWith('/')) fail('it ends with "/"')
  if (repoId.includes('//')) fail('it contains "//"')
  if (!REPO_ID_CHARS.test(repoId)) fail('only letters, digits, ".", "_", "-" and "/" are allowed')
  if (repoId.split('/').some((segment) => segment === '..' || segment === '.'))
    fail('it contains a "." or ".." segment')
  // "--" is the separator of the cache's directory names: such an id would not map back to itself.
  if (repoId.includes('--')) fail('it contains "--"')
  return repoId
}

export interface ModelSpec {
  /** The model part before the last `@`. */
  base: string
  /** The part after the last `@` (commit prefix, branch or tag), or null when there is no `@`. */
  revision: null | string
}

/**
 * Splits `name@revision` at the last `@`. The base is later matched against cached names, never joined into a
 * path, but one that could name a path outside the cache is refused here so no caller has to think about it.
 */
export function parseModelSpec(spec: string): ModelSpec {
  const at = spec.lastIndexOf('@')
  const base = at === -1 ? spec : spec.slice(0, at)
  const revision = at === -1 ? null : spec.slice(at + 1)
  const fail = (why: string): never => {
    throw new MlxkError('invalid_model_name', `Invalid model name ${JSON.stringify(spec)}: ${why}`, {
      hint: 'Give a model name such as org/name, optionally followed by @revision',
    })
  }

  if (base.trim() === '') fail('the model name is empty')
  if (spec.includes('\0')) fail('it contains a NUL byte')
  if (base.includes('\\')) fail('it contains a backslash')
  if (base.startsWith('/') || base.startsWith('~')) fail('absolute paths are not model names')
  if (base.split('/').includes('..')) fail('it contains a ".." segment')
  if (revision !== null && revision.trim() === '') fail('the revision after "@" is empty')
  return {base, revision}
}
