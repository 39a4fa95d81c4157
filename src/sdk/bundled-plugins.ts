import {existsSync, mkdirSync, readFileSync, renameSync, writeFileSync} from 'node:fs'
import {dirname, join} from 'node:path'

import {dataDir} from './paths.js'

/**
 * Bundled plugins are oclif core plugins, which @oclif/plugin-plugins cannot uninstall. mlxk records the user's
 * "uninstall" of one here, and the launcher leaves it out of the core plugin list; installing or linking a
 * plugin of that name (or `mlxk plugins install <name>`) takes it off the list again.
 */
export function removedBundledPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(dataDir(env), 'removed-bundled-plugins.json')
}

export function readRemovedBundled(env: NodeJS.ProcessEnv = process.env): string[] {
  const path = removedBundledPath(env)
  if (!existsSync(path)) return []
  try {
    const value: unknown = JSON.parse(readFileSync(path, 'utf8'))
    return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : []
  } catch {
    return []
  }
}

export function setBundledRemoved(name: string, removed: boolean, env: NodeJS.ProcessEnv = process.env): void {
  const current = readRemovedBundled(env).filter((n) => n !== name)
  const next = removed ? [...current, name].sort() : current
  const path = removedBundledPath(env)
  mkdirSync(dirname(path), {recursive: true})
  const temp = `${path}.${process.pid}.tmp`
  writeFileSync(temp, JSON.stringify(next, null, 2) + '\n')
  renameSync(temp, path)
}
