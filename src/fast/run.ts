import type {Command, Config} from '@oclif/core'

import {FAST_COMMANDS} from './commands.js'
import {FastConfig, type RootPjson} from './config.js'
import {bundleIsStale, environmentNeedsOclif, fastRoute, hasUserPlugins} from './route.js'

/** Files the bundle was built from, with their mtimes: scripts/bundle-fast.js defines it (unbundled: none). */
declare const MLXK_FAST_INPUTS: readonly (readonly [string, number])[] | undefined
const inputs = typeof MLXK_FAST_INPUTS === 'undefined' ? [] : MLXK_FAST_INPUTS

/**
 * The entry of lib/fast/bundle.cjs. Runs argv the way oclif's run() would (init hook, prerun, the command, postrun,
 * finally, flush) when it is a fast command and nothing calls for oclif, and returns the command's id; returns
 * undefined, having done nothing, otherwise. The command classes are the same ones oclif runs; only the discovery
 * and the config are smaller.
 */
export async function runFast(argv: string[], pjson: RootPjson, root: string): Promise<string | undefined> {
  const route = fastRoute(argv, pjson.oclif.additionalHelpFlags)
  if (!route) return undefined
  const config = new FastConfig(pjson, root)
  if (environmentNeedsOclif(process.env, (key) => config.scopedEnvVar(key))) return undefined
  if (hasUserPlugins(config.userPluginsFile) || bundleIsStale(root, inputs)) return undefined
  const {default: command} = await FAST_COMMANDS[route.id]!.load()
  // Loaded with the command already; imported here, not at the top, so a call left to oclif evaluates none of it.
  const {flush, handle} = await import('@oclif/core')
  try {
    await runCommand(config, route.id, route.argv, command)
    await flush()
  } catch (error) {
    await handle(error as Error)
  }

  return route.id
}

/** oclif's main.run() and Config.runCommand(), for one root command. */
async function runCommand(config: FastConfig, id: string, argv: string[], command: Command.Class): Promise<void> {
  Object.assign(command, {id, plugin: config.rootPlugin})
  config.register(id, command)
  await config.runHook('init', {argv, id})
  let error: unknown
  try {
    await config.runHook('prerun', {argv, Command: command})
    // What the static Command.run() does once Config.load() has returned the config it was given.
    const Concrete = command as unknown as new (argv: string[], config: Config) => {_run(): Promise<unknown>}
    const result = await new Concrete(argv, config as unknown as Config)._run()
    await config.runHook('postrun', {argv, Command: command, result})
  } catch (error_) {
    error = error_
    throw error_
  } finally {
    await config.runHook('finally', {argv, Command: command, error, id})
  }
}
