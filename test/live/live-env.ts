import {join} from 'node:path'

import {ROOT} from '../helpers/run-cli.js'
import {loadCliSurface} from '../spec/cli-surface.js'

/*
 * Live suites are opt-in: each runs only when its environment is set, and otherwise shows up as one pending test
 * whose title says what to set. The test harness (test/helpers/init.ts) replaces HF_HOME and removes HF_HOME's
 * siblings and HF_TOKEN for every test, so the user's values reach live tests as MLXK_LIVE_* (`npm run test:live`
 * copies HF_HOME, HF_HUB_CACHE and HF_TOKEN there, and upstream's MLXK2_LIVE_* names too).
 */

/** The user's hub cache: MLXK_LIVE_HF_HUB_CACHE, else MLXK_LIVE_HF_HOME/hub; undefined when neither is set. */
export function liveHubCache(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.MLXK_LIVE_HF_HUB_CACHE) return env.MLXK_LIVE_HF_HUB_CACHE
  return env.MLXK_LIVE_HF_HOME ? join(env.MLXK_LIVE_HF_HOME, 'hub') : undefined
}

export const CACHE_HINT =
  'set HF_HOME (or HF_HUB_CACHE) to your cache and run `npm run test:live`, or set MLXK_LIVE_HF_HOME / MLXK_LIVE_HF_HUB_CACHE'

/** Null when every variable is set; else the reason to skip, naming what is missing. */
export function requireEnv(names: readonly string[], env: NodeJS.ProcessEnv = process.env): null | string {
  const missing = names.filter((n) => !env[n])
  return missing.length === 0 ? null : `needs ${missing.join(', ')}`
}

/** Null when the built CLI has `command`; else why a live test of it cannot run yet. */
export function requireCommand(command: string): null | string {
  return loadCliSurface(ROOT).commands.has(command)
    ? null
    : `the \`mlxk ${command}\` command is not in the CLI's manifests`
}

export function firstReason(...reasons: Array<null | string>): null | string {
  return reasons.find((r) => r !== null) ?? null
}

/**
 * A describe block that holds its tests only when `skipReason` is null; otherwise a single pending test whose
 * title carries the reason, so `npm run test:live` says exactly what each skipped suite needs.
 */
export function describeLive(title: string, skipReason: null | string, body: () => void): void {
  describe(title, () => {
    if (skipReason === null) {
      body()
      return
    }

    it(`skipped: ${skipReason}`, function () {
      this.skip()
    })
  })
}
