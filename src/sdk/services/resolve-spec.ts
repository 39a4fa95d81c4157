import {resolveModel} from '../cache/resolve.js'
import {scanCache} from '../cache/scan.js'
import type {CachedModel, Snapshot} from '../cache/types.js'
import {MlxkError} from '../errors.js'

export interface ResolvedModel {
  /** True when the spec named the model exactly (not a fuzzy match). */
  exact: boolean
  model: CachedModel
  revision: null | string
  snapshot: null | Snapshot
  spec: string
}

/** Resolves a user's `name[@rev]` against the cache, or throws the typed error every command reports the same way. */
export async function resolveSpec(root: string, spec: string): Promise<ResolvedModel> {
  const resolution = resolveModel(await scanCache(root), spec)
  switch (resolution.kind) {
    case 'ambiguous': {
      throw new MlxkError('ambiguous_match', `Multiple models match '${spec}'`, {
        details: {matches: resolution.matches},
        hint: `Use one of the full names: ${resolution.matches.join(', ')}`,
      })
    }

    case 'not_found': {
      throw new MlxkError('model_not_found', `No model found matching '${spec}'`, {
        hint: 'Run `mlxk list --all` to see the cached models, or `mlxk pull <org/name>` to download one.',
      })
    }

    case 'revision_not_found': {
      throw new MlxkError(
        'hash_not_found',
        `Revision '${resolution.revision}' not found for model '${resolution.model.name}'`,
        {
          details: {available_hashes: resolution.available},
          hint: `Available: ${resolution.available.join(', ') || 'none'}`,
        },
      )
    }

    default: {
      return {
        exact: resolution.exact,
        model: resolution.model,
        revision: resolution.revision,
        snapshot: resolution.snapshot,
        spec,
      }
    }
  }
}
