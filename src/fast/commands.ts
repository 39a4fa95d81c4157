import type {Command, Hook} from '@oclif/core'

type Loader<T> = () => Promise<{default: T}>

/**
 * The commands scripts and shell completion call most. bin/run.js starts them from one bundle
 * (lib/fast/bundle.cjs) with this explicit table instead of oclif's plugin discovery; anything else goes to oclif.
 * One loader per command, so a call evaluates only its own command's modules.
 */
export const FAST_COMMANDS: Readonly<Record<string, Loader<Command.Class>>> = {
  'complete:models': () => import('../commands/complete/models.js'),
  health: () => import('../commands/health.js'),
  list: () => import('../commands/list.js'),
  rm: () => import('../commands/rm.js'),
  show: () => import('../commands/show.js'),
  version: () => import('../commands/version.js'),
}

/** The commands' `static aliases`, needed before a command is loaded (test/spec/fast-path.test.ts checks them). */
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
