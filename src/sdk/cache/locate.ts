import {homedir} from 'node:os'
import {join} from 'node:path'

type Env = NodeJS.ProcessEnv

// An empty variable counts as unset. Python would use "" and end up with a cache relative to the working
// directory, which is never what a user who wrote `HF_HOME=` meant.
function read(env: Env, name: string): string | undefined {
  const value = env[name]
  return value === undefined || value === '' ? undefined : value
}

/** `~` and `~/x` expand against $HOME like Python's os.path.expanduser; `~user` is left alone. */
function expandUser(path: string, env: Env): string {
  if (path !== '~' && !path.startsWith('~/')) return path
  const home = read(env, 'HOME') ?? homedir()
  return path === '~' ? home : join(home, path.slice(2))
}

/** huggingface_hub's HF_HOME: `$HF_HOME`, else `$XDG_CACHE_HOME/huggingface`, else `~/.cache/huggingface`. */
export function hfHome(env: Env = process.env): string {
  const explicit = read(env, 'HF_HOME')
  if (explicit !== undefined) return expandUser(explicit, env)
  return expandUser(join(read(env, 'XDG_CACHE_HOME') ?? '~/.cache', 'huggingface'), env)
}

/** The hub cache (the directory holding `models--…`), in huggingface_hub's order of precedence. */
export function cacheRoot(env: Env = process.env): string {
  const explicit = read(env, 'HF_HUB_CACHE') ?? read(env, 'HUGGINGFACE_HUB_CACHE')
  return explicit === undefined ? join(hfHome(env), 'hub') : expandUser(explicit, env)
}

/** Where `hf auth login` stores the token: `$HF_TOKEN_PATH`, else `$HF_HOME/token`. */
export function tokenPath(env: Env = process.env): string {
  const explicit = read(env, 'HF_TOKEN_PATH')
  return explicit === undefined ? join(hfHome(env), 'token') : expandUser(explicit, env)
}
