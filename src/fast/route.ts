import {existsSync, readFileSync, statSync} from 'node:fs'
import {join} from 'node:path'

import {FAST_ALIASES, FAST_COMMANDS} from './commands.js'

export interface FastRoute {
  /** What follows the command id: the command's own argv. */
  argv: string[]
  id: string
}

const isFlag = (token: string) => token.startsWith('-')

/**
 * The fast command that oclif would run for argv, or undefined when oclif must decide: no command (help), a help
 * flag anywhere before `--`, a first word that is not a fast command, or a word oclif would read into the id.
 * Mirrors oclif's normalizeArgv for the space-separated ids in FAST_COMMANDS; no other command id continues one of
 * them (the spec test checks this against every manifest), so the first match is the one oclif finds.
 */
export function fastRoute(argv: readonly string[], helpFlags: readonly string[] = []): FastRoute | undefined {
  const help = new Set(['--help', ...helpFlags])
  for (const token of argv) {
    if (token === '--') break
    if (help.has(token)) return undefined
  }

  if (argv[0]?.includes(':')) return known(argv[0], argv.slice(1))
  for (let n = 1; n <= argv.length; n++) {
    const token = argv[n - 1]!
    if (isFlag(token) || token.includes('=')) return undefined
    const route = known(argv.slice(0, n).join(':'), argv.slice(n))
    if (route) return route
  }

  return undefined
}

function known(id: string, argv: string[]): FastRoute | undefined {
  const canonical = FAST_ALIASES[id] ?? id
  if (!Object.hasOwn(FAST_COMMANDS, canonical)) return undefined
  return continuesId(FAST_COMMANDS[canonical]!.args, argv) ? undefined : {argv, id: canonical}
}

/** oclif keeps reading words into the id while the command so far takes no arguments. */
export function continuesId(takesArgs: boolean, argv: readonly string[]): boolean {
  const next = argv[0]
  return !takesArgs && next !== undefined && !isFlag(next) && !next.includes('=')
}
/** Environment that changes what oclif itself does (debug output) or that asks for oclif (MLXK_FAST_PATH=0). */
export function environmentNeedsOclif(env: NodeJS.ProcessEnv, scoped: (key: string) => string | undefined): boolean {
  return Boolean(env.DEBUG) || scoped('FAST_PATH') === '0' || ['1', 'true'].includes(scoped('DEBUG') ?? '')
}

/** Plugins the user installed or linked: they may declare hooks or commands that oclif must load. */
export function hasUserPlugins(userPluginsFile: string): boolean {
  if (!existsSync(userPluginsFile)) return false
  try {
    const pjson = JSON.parse(readFileSync(userPluginsFile, 'utf8')) as {oclif?: {plugins?: unknown[]}}
    return (pjson.oclif?.plugins?.length ?? 0) > 0
  } catch {
    return true
  }
}

/**
 * In a development checkout the bundle may be older than lib/ (someone ran tsc but not the build); then it would
 * run old code, so oclif runs the fresh lib/ instead. Installed copies (no src/) are never rebuilt in place.
 */
export function bundleIsStale(root: string, inputs: readonly (readonly [string, number])[]): boolean {
  if (!existsSync(join(root, 'src'))) return false
  return inputs.some(([path, mtimeMs]) => {
    try {
      return statSync(join(root, path)).mtimeMs !== mtimeMs
    } catch {
      return true
    }
  })
}
