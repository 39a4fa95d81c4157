import {existsSync, mkdirSync, readFileSync, renameSync, writeFileSync} from 'node:fs'
import {dirname, join} from 'node:path'

import {MlxkError} from './errors.js'
import {configDir} from './paths.js'

/** Why a gated plugin is on or off; `alpha list` shows it so users can tell which setting won. */
export type AlphaSource = 'config' | 'env:MLXK2_ENABLE_ALPHA_FEATURES' | 'env:MLXK_ALPHA' | 'off'

export interface AlphaStatus {
  enabled: boolean
  source: AlphaSource
}

export function alphaConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(configDir(env), 'alpha.json')
}

/** `@mlxk/plugin-run` → `run`: the key users write in MLXK_ALPHA and `mlxk alpha enable`. */
export function alphaKey(pluginName: string): string {
  return pluginName.replace(/^@[^/]+\//, '').replace(/^(mlxk-)?plugin-/, '')
}

/**
 * Precedence: `MLXK_ALPHA`, when set (even empty), decides alone — a list like `run,server`, or `all`; then
 * upstream's `MLXK2_ENABLE_ALPHA_FEATURES` turns everything on, but only for `1`/`true` (upstream also took `0`);
 * then the persistent choices of `mlxk alpha enable`.
 */
export function alphaStatus(key: string, env: NodeJS.ProcessEnv = process.env): AlphaStatus {
  const list = env.MLXK_ALPHA
  if (list !== undefined) {
    const keys = list
      .split(/[\s,]+/)
      .filter(Boolean)
      .map((k) => k.toLowerCase())
    return {enabled: keys.includes('all') || keys.includes(key), source: 'env:MLXK_ALPHA'}
  }

  const legacy = env.MLXK2_ENABLE_ALPHA_FEATURES?.trim().toLowerCase()
  if (legacy === '1' || legacy === 'true') return {enabled: true, source: 'env:MLXK2_ENABLE_ALPHA_FEATURES'}
  const enabled = readAlphaConfig(env)
  if (enabled.includes(key) || enabled.includes('all')) return {enabled: true, source: 'config'}
  return {enabled: false, source: 'off'}
}

export function readAlphaConfig(env: NodeJS.ProcessEnv = process.env): string[] {
  const path = alphaConfigPath(env)
  if (!existsSync(path)) return []
  try {
    const value: unknown = JSON.parse(readFileSync(path, 'utf8'))
    const list = value && typeof value === 'object' && 'enabled' in value ? value.enabled : undefined
    return Array.isArray(list) ? list.filter((k): k is string => typeof k === 'string') : []
  } catch {
    throw new MlxkError('config_invalid', `${path} is not valid JSON`, {hint: `Fix or delete ${path}`})
  }
}

export function writeAlphaConfig(enabled: string[], env: NodeJS.ProcessEnv = process.env): void {
  const path = alphaConfigPath(env)
  mkdirSync(dirname(path), {recursive: true})
  const temp = `${path}.${process.pid}.tmp`
  writeFileSync(temp, JSON.stringify({enabled: [...new Set(enabled)].sort()}, null, 2) + '\n')
  renameSync(temp, path)
}

export function alphaRefusal(key: string, commandName: string): MlxkError {
  return new MlxkError(
    'feature_disabled',
    `'${commandName}' is an alpha feature of the ${key} plugin and is not enabled`,
    {
      details: {plugin: key},
      exitCode: 4,
      hint: `Enable it with \`mlxk alpha enable ${key}\`, or for one run with MLXK_ALPHA=${key} (or MLXK_ALPHA=all).`,
    },
  )
}
