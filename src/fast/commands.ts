import type {Command, Hook} from '@oclif/core'

type Loader<T> = () => Promise<{default: T}>

interface FastCommand {
  /**
   * Whether the command takes arguments (or is not strict). One that takes none makes oclif read the next word into
   * the command id (`mlxk version x` is the unknown command `version x`), so such a call is left to oclif. Known
   * here, before the command is loaded, so that a call left to oclif has evaluated nothing of it.
   */
  args: boolean
  load: Loader<Command.Class>
}

/**
 * The commands scripts and shell completion call most. bin/run.js starts them from one bundle
 * (lib/fast/bundle.cjs) with this explicit table instead of oclif's plugin discovery; anything else goes to oclif.
 * One loader per command, so a call evaluates only its own command's modules. test/spec/fast-path.test.ts keeps
 * `args` and the aliases below true to the manifest.
 */
export const FAST_COMMANDS: Readonly<Record<string, FastCommand>> = {
  'complete:models': {args: true, load: () => import('../commands/complete/models.js')},
  health: {args: true, load: () => import('../commands/health.js')},
  list: {args: true, load: () => import('../commands/list.js')},
  rm: {args: true, load: () => import('../commands/rm.js')},
  show: {args: true, load: () => import('../commands/show.js')},
  version: {args: false, load: () => import('../commands/version.js')},
}

/** The commands' `static aliases`, needed before a command is loaded. */
export const FAST_ALIASES: Readonly<Record<string, string>> = {ls: 'list'}

/**
 * The root package's hooks for the events oclif fires around every command, as package.json `oclif.hooks` declares
 * them (the spec test keeps the two equal). No bundled plugin declares one; a user-installed plugin sends the call
 * to oclif.
 */
export const LIFECYCLE_HOOKS: Readonly<Partial<Record<LifecycleEvent, Loader<Hook<never>>[]>>> = {
  postrun: [() => import('../hooks/autocomplete-models.js') as Promise<{default: Hook<never>}>],
}

export const LIFECYCLE_EVENTS = ['init', 'prerun', 'preparse', 'postrun', 'finally'] as const
export type LifecycleEvent = (typeof LIFECYCLE_EVENTS)[number]
