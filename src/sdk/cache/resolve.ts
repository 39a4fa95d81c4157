import {isMlxkError} from '../errors.js'
import {parseModelSpec} from './naming.js'
import {compareCodePoints} from './order.js'
import {selectSnapshot} from './scan.js'
import type {CachedModel, Resolution} from './types.js'

/** Upstream expands a bare name to this org when such a model is cached; we keep that preference. */
const PREFERRED_ORG = 'mlx-community/'
const REVISION_PREFIX_SHOWN = 8

type ModelPick = {kind: 'ambiguous'; matches: CachedModel[]} | {kind: 'none'} | {kind: 'one'; model: CachedModel}

function lastSegment(name: string): string {
  return name.slice(name.lastIndexOf('/') + 1)
}

function decide(candidates: CachedModel[], preferMlxCommunity: boolean): ModelPick {
  if (candidates.length === 0) return {kind: 'none'}
  if (candidates.length === 1) return {kind: 'one', model: candidates[0] as CachedModel}
  if (preferMlxCommunity) {
    const preferred = candidates.filter((model) => model.name.startsWith(PREFERRED_ORG))
    if (preferred.length === 1) return {kind: 'one', model: preferred[0] as CachedModel}
  }

  return {kind: 'ambiguous', matches: candidates}
}

/**
 * Which cached model a base name means, strongest rule first; the first rule with any candidate decides:
 * 1. the full name, case-sensitive; 2. the full name, case-insensitive;
 * 3. for a base without `/`, the last name segment (case-sensitive, then case-insensitive), preferring
 *    `mlx-community/` when several orgs have it; 4. a case-insensitive substring of the full name.
 * Several candidates under one rule are ambiguous: this never guesses.
 */
function pickModel(models: readonly CachedModel[], base: string): ModelPick {
  const lower = base.toLowerCase()
  const rules: Array<[(model: CachedModel) => boolean, boolean]> = [
    [(model) => model.name === base, false],
    [(model) => model.name.toLowerCase() === lower, false],
  ]
  if (!base.includes('/')) {
    rules.push(
      [(model) => lastSegment(model.name) === base, true],
      [(model) => lastSegment(model.name).toLowerCase() === lower, true],
    )
  }

  rules.push([(model) => model.name.toLowerCase().includes(lower), false])
  for (const [matches, preferMlxCommunity] of rules) {
    const pick = decide(models.filter(matches), preferMlxCommunity)
    if (pick.kind !== 'none') return pick
  }

  return {kind: 'none'}
}

function hasRevision(model: CachedModel, revision: string): boolean {
  try {
    return selectSnapshot(model, revision) !== null
  } catch (error) {
    if (isMlxkError(error) && error.type === 'ambiguous_revision') return true
    throw error
  }
}

function sortedNames(models: readonly CachedModel[]): string[] {
  return models.map((model) => model.name).sort(compareCodePoints)
}

/**
 * Resolves a user's `name[@revision]` against the scanned cache. `exact` is true only when the base is the
 * model's name byte for byte, so callers (rm) can ask before acting on anything looser. With a revision, an
 * ambiguous name is narrowed to the models that have that revision (upstream's `Qwen3@e96`). Throws
 * `invalid_model_name` for a spec that could name a path, and `ambiguous_revision` for a commit prefix that fits
 * several snapshots.
 */
export function resolveModel(models: readonly CachedModel[], spec: string): Resolution {
  const {base, revision} = parseModelSpec(spec)
  let pick = pickModel(models, base)
  if (pick.kind === 'ambiguous' && revision !== null) {
    const narrowed = pick.matches.filter((model) => hasRevision(model, revision))
    if (narrowed.length === 1) pick = {kind: 'one', model: narrowed[0] as CachedModel}
    else if (narrowed.length > 1) pick = {kind: 'ambiguous', matches: narrowed}
  }

  if (pick.kind === 'none') return {kind: 'not_found', revision, spec}
  if (pick.kind === 'ambiguous') return {kind: 'ambiguous', matches: sortedNames(pick.matches), spec}
  const {model} = pick
  const exact = model.name === base
  const snapshot = selectSnapshot(model, revision)
  if (revision !== null && snapshot === null) {
    return {available: availableRevisions(model), kind: 'revision_not_found', model, revision, spec}
  }

  return {exact, kind: 'found', model, revision, snapshot, spec}
}

/** What the user could have typed after `@`: short commit prefixes, then ref names. */
export function availableRevisions(model: CachedModel): string[] {
  const commits = model.snapshots.map((snapshot) => snapshot.commit.slice(0, REVISION_PREFIX_SHOWN))
  return [...commits, ...Object.keys(model.refs).sort(compareCodePoints)]
}
