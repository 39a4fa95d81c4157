import type {Command, Hook} from '@oclif/core'
import {arch, homedir, tmpdir} from 'node:os'
import {join} from 'node:path'

import {FAST_COMMANDS, FAST_ALIASES, LIFECYCLE_HOOKS, type LifecycleEvent} from './commands.js'

export interface RootPjson {
  name: string
  oclif: {
    additionalHelpFlags?: string[]
    bin?: string
    binAliases?: string[]
    dirname?: string
    topicSeparator?: string
  }
  version: string
}

interface HookResult {
  failures: {error: Error; plugin: unknown}[]
  successes: {plugin: unknown; result: unknown}[]
}

/**
 * The part of oclif's Config that a command, the parser and the root hooks read, computed as Config.load computes
 * it (test/unit/fast/config.test.ts compares the two) but without loading a plugin: the fast path runs only root
 * commands, and a root command wins over any plugin's command of the same id anyway.
 */
export class FastConfig {
  readonly arch = arch() === 'ia32' ? 'x86' : arch()
  readonly bin: string
  readonly binAliases: string[] | undefined
  readonly cacheDir: string
  readonly commandIDs = [...Object.keys(FAST_COMMANDS), ...Object.keys(FAST_ALIASES)]
  readonly configDir: string
  readonly dataDir: string
  readonly dirname: string
  readonly flexibleTaxonomy = false
  readonly home: string
  readonly isSingleCommandCLI = false
  readonly name: string
  readonly platform = process.platform
  readonly plugins = new Map<string, unknown>()
  readonly rootPlugin: {isRoot: true; name: string; pjson: RootPjson; root: string; type: 'core'}
  readonly topicSeparator: ' ' | ':'
  readonly userAgent: string
  readonly version: string
  readonly windows = process.platform === 'win32'
  private readonly loaded = new Map<string, Command.Class>()

  constructor(
    readonly pjson: RootPjson,
    readonly root: string,
  ) {
    this.name = pjson.name
    this.version = pjson.version || '0.0.0'
    this.bin = pjson.oclif.bin || this.name
    this.binAliases = pjson.oclif.binAliases
    this.dirname = pjson.oclif.dirname || this.name
    this.topicSeparator = pjson.oclif.topicSeparator === ' ' ? ' ' : ':'
    this.userAgent = `${this.name}/${this.version} ${this.platform}-${this.arch} node-${process.version}`
    this.home = process.env.HOME || homedir() || tmpdir()
    const macosCache = this.platform === 'darwin' ? join(this.home, 'Library', 'Caches', this.dirname) : undefined
    this.cacheDir = this.scopedEnvVar('CACHE_DIR') || macosCache || this.dir('cache')
    this.configDir = this.scopedEnvVar('CONFIG_DIR') || this.dir('config')
    this.dataDir = this.scopedEnvVar('DATA_DIR') || this.dir('data')
    this.rootPlugin = {isRoot: true, name: this.name, pjson, root, type: 'core'}
  }

  /** oclif's user-plugin list: a plugin installed or linked by the user may add hooks, so oclif must run. */
  get userPluginsFile(): string {
    return join(this.dataDir, 'package.json')
  }

  findCommand(id: string): Command.Class | undefined {
    return this.loaded.get(FAST_ALIASES[id] ?? id)
  }

  findTopic(): undefined {
    return undefined
  }

  /** Makes a loaded command visible to findCommand, which oclif's argv normalisation asks. */
  register(id: string, command: Command.Class): void {
    this.loaded.set(id, command)
  }

  /** oclif's runHook for the root plugin's lifecycle hooks, the only plugin the fast path has. */
  async runHook(event: string, opts: Record<string, unknown>): Promise<HookResult> {
    const final: HookResult = {failures: [], successes: []}
    for (const load of LIFECYCLE_HOOKS[event as LifecycleEvent] ?? []) {
      const {Errors, ux} = await import('@oclif/core')
      const context = {
        config: this,
        debug() {},
        error: (message: Error | string, options: {exit?: number} = {}) => Errors.error(message, options),
        exit: (code = 0) => Errors.exit(code),
        log: (message?: string, ...args: string[]) => ux.stdout(message, ...args),
        warn: (message: Error | string) => Errors.warn(message),
      }
      try {
        const {default: hook} = await load()
        const result: unknown = await (hook as unknown as Hook<'postrun'>).call(
          context as never,
          {
            ...opts,
            config: this,
            context,
          } as never,
        )
        final.successes.push({plugin: this.rootPlugin, result})
      } catch (error) {
        final.failures.push({error: error as Error, plugin: this.rootPlugin})
        const {code, oclif} = error as {code?: string; oclif?: {exit?: number}}
        if (oclif?.exit !== undefined && oclif.exit !== 0 && code !== 'MODULE_NOT_FOUND') throw error
      }
    }

    return final
  }

  scopedEnvVar(key: string): string | undefined {
    const found = this.scopedEnvVarKeys(key).find((k) => process.env[k])
    return found === undefined ? undefined : process.env[found]
  }

  scopedEnvVarKey(key: string): string {
    return [this.bin, key]
      .map((part) => part.replaceAll('@', '').replaceAll(/[/-]/g, '_'))
      .join('_')
      .toUpperCase()
  }

  scopedEnvVarKeys(key: string): string[] {
    return [this.bin, ...(this.binAliases ?? [])]
      .filter(Boolean)
      .map((alias) => [alias.replaceAll('@', '').replaceAll(/[/-]/g, '_'), key].join('_').toUpperCase())
  }

  scopedEnvVarTrue(key: string): boolean {
    const value = this.scopedEnvVar(key)
    return value === '1' || value === 'true'
  }

  private dir(category: 'cache' | 'config' | 'data'): string {
    const base =
      process.env[`XDG_${category.toUpperCase()}_HOME`] ||
      (this.windows && process.env.LOCALAPPDATA) ||
      join(this.home, category === 'data' ? '.local/share' : '.' + category)
    return join(base, this.dirname)
  }
}
