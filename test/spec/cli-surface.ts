import {existsSync, readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'

/*
 * The commands and flags the built CLI really has, read from the oclif manifests at test time: the core
 * `oclif.manifest.json`, every `plugins/<name>/oclif.manifest.json`, and the manifests of the core plugins that
 * package.json lists. A plugin that lands (or disappears) changes what the docs may mention without touching
 * this file.
 */

interface ManifestFlag {
  aliases?: string[]
  allowNo?: boolean
  char?: string
  charAliases?: string[]
  type: 'boolean' | 'option'
}

interface ManifestCommand {
  aliases?: string[]
  flags?: Record<string, ManifestFlag>
}

interface Manifest {
  commands: Record<string, ManifestCommand>
}

export interface CommandSurface {
  /** `runtime doctor`, as typed. */
  id: string
  /** Long names (without `--`) and short chars (without `-`) → whether the flag takes a value. */
  long: Map<string, boolean>
  short: Map<string, boolean>
}

export interface CliSurface {
  /** Every command id and alias, space-separated, as typed. */
  commands: Map<string, CommandSurface>
  /** The manifests read, repository-relative, so a failure can say where it looked. */
  sources: string[]
  /** Prefixes of command ids (`alpha`, `runtime`) that oclif shows as topics. */
  topics: Set<string>
}

export function loadCliSurface(root: string): CliSurface {
  const sources = ['oclif.manifest.json']
  const plugins = join(root, 'plugins')
  if (existsSync(plugins)) {
    for (const name of readdirSync(plugins).sort()) {
      if (existsSync(join(plugins, name, 'oclif.manifest.json')))
        sources.push(join('plugins', name, 'oclif.manifest.json'))
    }
  }

  const pjson = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {oclif?: {plugins?: string[]}}
  for (const name of pjson.oclif?.plugins ?? []) {
    const path = join('node_modules', name, 'oclif.manifest.json')
    // Workspace plugins are symlinked into node_modules; they were read above from plugins/ already.
    if (!name.startsWith('@mlxk/') && existsSync(join(root, path))) sources.push(path)
  }

  const commands = new Map<string, CommandSurface>()
  const topics = new Set<string>()
  for (const source of sources) {
    const manifest = JSON.parse(readFileSync(join(root, source), 'utf8')) as Manifest
    for (const [id, command] of Object.entries(manifest.commands ?? {})) {
      // The first manifest wins, as the core CLI's own command wins over a plugin's of the same id.
      for (const name of [id, ...(command.aliases ?? [])].map((n) => n.replaceAll(':', ' '))) {
        if (!commands.has(name)) commands.set(name, surfaceOf(name, command))
        const words = name.split(' ')
        for (let k = 1; k < words.length; k++) topics.add(words.slice(0, k).join(' '))
      }
    }
  }

  return {commands, sources, topics}
}

function surfaceOf(id: string, command: ManifestCommand): CommandSurface {
  const long = new Map<string, boolean>([['help', false]])
  const short = new Map<string, boolean>([['h', false]])
  for (const [name, flag] of Object.entries(command.flags ?? {})) {
    const takesValue = flag.type === 'option'
    for (const n of [name, ...(flag.aliases ?? [])]) long.set(n, takesValue)
    if (flag.allowNo) long.set(`no-${name}`, false)
    for (const c of [flag.char, ...(flag.charAliases ?? [])]) if (c) short.set(c, takesValue)
  }

  return {id, long, short}
}

/** The root accepts only these before a command (bin/run.js maps `--version`/`-v` to `version`). */
const ROOT_FLAGS = new Set(['--help', '--version', '-h', '-v'])

/** Placeholders a doc writes for "any command": `<command>`, `<cmd>:`, `COMMAND`. */
function isPlaceholder(word: string): boolean {
  return /^<[^>]*>:?$/.test(word) || /^[A-Z][A-Z_]+$/.test(word) || /^(…|\.\.\.)$/.test(word)
}

/** `[--dry-run]` → `--dry-run`, `GLOB…]` → `GLOB`, `--include=*.json` → `--include`. */
function clean(word: string): string {
  return word.replace(/^[[({]+/, '').replace(/([\])}|,]|…|\.\.\.)+$/, '')
}

export interface MentionProblem {
  message: string
  /** True when the command itself is missing (not only a flag). */
  missingCommand: boolean
}

/** Null when `mlxk <argv>` names a real command (or topic) and only flags that command has. */
export function checkInvocation(cli: CliSurface, argv: readonly string[]): MentionProblem | null {
  const words = argv.map(clean).filter((w) => w !== '')
  if (words.length === 0) return null
  if (words[0].startsWith('-')) {
    if (!ROOT_FLAGS.has(words[0].split('=')[0]))
      return {message: `mlxk has no root flag ${words[0]}`, missingCommand: false}
    const version = cli.commands.get('version')
    return words[0].includes('version') || words[0] === '-v' ? checkFlags(version, words.slice(1)) : null
  }

  if (isPlaceholder(words[0])) return checkFlagsAnywhere(cli, words.slice(1))
  const firstFlag = words.findIndex((w) => w.startsWith('-'))
  const positional = firstFlag === -1 ? words : words.slice(0, firstFlag)
  for (let k = Math.min(positional.length, 4); k > 0; k--) {
    const command = cli.commands.get(positional.slice(0, k).join(' '))
    if (command) return checkFlags(command, words.slice(k))
  }

  const topic = positional.slice(0, 2).join(' ')
  if (cli.topics.has(positional[0])) {
    const next = positional[1]
    if (next === undefined || isPlaceholder(next)) return checkFlags(undefined, words.slice(next ? 2 : 1))
    return {message: `mlxk ${topic}: no such command in topic ${positional[0]}`, missingCommand: true}
  }

  return {message: `mlxk ${words[0]}: no such command`, missingCommand: true}
}

function checkFlags(command: CommandSurface | undefined, words: readonly string[]): MentionProblem | null {
  const id = command?.id ?? 'topic'
  const long = command?.long ?? new Map([['help', false]])
  const short = command?.short ?? new Map([['h', false]])
  for (let i = 0; i < words.length; i++) {
    const word = words[i]
    if (word === '--') break
    if (word === '-' || !word.startsWith('-') || /^-\d/.test(word)) continue
    const [name, inlineValue] = word.startsWith('--') ? word.slice(2).split('=', 2) : [word.slice(1), undefined]
    const takesValue = word.startsWith('--') ? long.get(name) : short.get(name)
    if (takesValue === undefined)
      return {message: `mlxk ${id} has no flag ${word.split('=')[0]}`, missingCommand: false}
    if (takesValue && inlineValue === undefined) i++
  }

  return null
}

function checkFlagsAnywhere(cli: CliSurface, words: readonly string[]): MentionProblem | null {
  for (const word of words.filter((w) => w.startsWith('--'))) {
    const name = word.slice(2).split('=')[0]
    if (![...cli.commands.values()].some((c) => c.long.has(name)))
      return {message: `no mlxk command has a flag ${word}`, missingCommand: false}
  }

  return null
}
