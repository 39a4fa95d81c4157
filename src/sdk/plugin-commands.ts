import type {Command, Config} from '@oclif/core'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'

import {readRemovedBundled, setBundledRemoved} from './bundled-plugins.js'
import {MlxkError} from './errors.js'

/** Plugins the CLI ships as core plugins, read from its own package.json (the loaded config leaves removed ones out). */
export function bundledPluginNames(config: Config): string[] {
  const pjson = JSON.parse(readFileSync(join(config.root, 'package.json'), 'utf8')) as {oclif?: {plugins?: string[]}}
  return (pjson.oclif?.plugins ?? []).filter((name) => !name.startsWith('@oclif/'))
}

/** Runs @oclif/plugin-plugins' own implementation of a command that mlxk wraps. */
export async function runPluginsCommand(config: Config, id: string, argv: string[]): Promise<void> {
  const plugin = config.plugins.get('@oclif/plugin-plugins')
  const command = await plugin?.findCommand(id, {must: true})
  if (!command) throw new MlxkError('InternalError', `@oclif/plugin-plugins has no ${id}`)
  await (command as unknown as Command.Class).run(argv, config)
}

export function isUserInstalled(config: Config, name: string): boolean {
  return config.getPluginsList().some((p) => p.name === name && (p.type === 'user' || p.type === 'link'))
}

export function restoreBundled(name: string): boolean {
  if (!readRemovedBundled().includes(name)) return false
  setBundledRemoved(name, false)
  return true
}

export function removeBundled(name: string): void {
  setBundledRemoved(name, true)
}
