import {homedir} from 'node:os'
import {join} from 'node:path'

type Env = NodeJS.ProcessEnv

function home(env: Env): string {
  return env.HOME || homedir()
}

/** The user's mlxk config dir (alpha settings live here), following XDG like oclif does. */
export function configDir(env: Env = process.env): string {
  return env.MLXK_CONFIG_DIR || join(env.XDG_CONFIG_HOME || join(home(env), '.config'), 'mlxk')
}

/** The user's mlxk data dir (installed plugins, the runtime venv of an installed copy). */
export function dataDir(env: Env = process.env): string {
  return env.MLXK_DATA_DIR || join(env.XDG_DATA_HOME || join(home(env), '.local', 'share'), 'mlxk')
}

/** Facts mlxk caches between runs (e.g. what the Python runtime reported), never the models themselves. */
export function stateCacheDir(env: Env = process.env): string {
  return env.MLXK_CACHE_DIR || join(env.XDG_CACHE_HOME || join(home(env), '.cache'), 'mlxk')
}
