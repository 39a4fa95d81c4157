import type {Config} from '@oclif/core'

import {alphaKey, type AlphaSource, alphaStatus, readAlphaConfig, writeAlphaConfig} from './alpha.js'
import {MlxkError} from './errors.js'

export interface GatedPlugin {
  commands: string[]
  enabled: boolean
  key: string
  package: string
  source: AlphaSource
  state: string
}

/** Installed plugins whose package.json declares an `oclif.state` (alpha/beta), with their gate status. */
export function gatedPlugins(config: Config, env: NodeJS.ProcessEnv = process.env): GatedPlugin[] {
  return config
    .getPluginsList()
    .filter((p) => !p.isRoot && typeof p.pjson.oclif?.state === 'string')
    .map((p) => {
      const key = alphaKey(p.name)
      const state = p.pjson.oclif?.state ?? 'stable'
      const status = state === 'alpha' ? alphaStatus(key, env) : {enabled: true, source: 'off' as const}
      return {
        commands: p.commands.map((c) => c.id.replaceAll(':', ' ')).sort(),
        enabled: status.enabled,
        key,
        package: p.name,
        source: status.source,
        state,
      }
    })
    .sort((a, b) => a.key.localeCompare(b.key))
}

export interface AlphaToggleData {
  enabled: string[]
  /** Set when an environment variable overrides the saved choice, so the change has no effect yet. */
  overridden_by: null | string
  plugins: string[]
}

/** `mlxk alpha enable|disable`: validates the keys against the installed gated plugins and saves the choice. */
export function toggleAlpha(config: Config, requested: string[], enable: boolean): AlphaToggleData {
  const known = gatedPlugins(config).map((p) => p.key)
  const keys = requested.map((k) => k.toLowerCase())
  const unknown = keys.filter((k) => k !== 'all' && !known.includes(k))
  if (unknown.length > 0) {
    throw new MlxkError('unknown_plugin', `Unknown plugin: ${unknown.join(', ')}`, {
      details: {known},
      hint: `Installed gated plugins: ${known.join(', ') || 'none'}`,
    })
  }

  const expanded = keys.includes('all') ? known : keys
  const current = readAlphaConfig().filter((k) => k !== 'all')
  const next = enable ? [...current, ...expanded] : current.filter((k) => !expanded.includes(k))
  writeAlphaConfig(next)
  const env = process.env.MLXK_ALPHA === undefined ? null : 'MLXK_ALPHA'
  const legacy =
    alphaStatus('__probe__').source === 'env:MLXK2_ENABLE_ALPHA_FEATURES' ? 'MLXK2_ENABLE_ALPHA_FEATURES' : null
  return {enabled: [...new Set(next)].sort(), overridden_by: env ?? legacy, plugins: expanded}
}
