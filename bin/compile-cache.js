import {stateCacheDir} from '../lib/sdk/paths.js'

const fs = process.getBuiltinModule('node:fs')
const {constants, enableCompileCache} = process.getBuiltinModule('node:module')
const {join} = process.getBuiltinModule('node:path')

/**
 * Turns on Node's compile cache, which keeps V8's compiled code of every module mlxk loads, so a start parses
 * little. It lives in the user's mlxk cache dir, one directory per mlxk version: the first run of a new version
 * starts an empty one and removes the others. (Node also checks each entry against its source and keys them by
 * Node version.) A directory that cannot be created or written leaves the cache off; nothing else changes.
 * Returns Node's status, or undefined when even asking failed.
 */
export function enableMlxkCompileCache(version, env = process.env) {
  try {
    const parent = join(stateCacheDir(env), 'compile-cache')
    const dir = join(parent, version)
    const fresh = !fs.existsSync(dir)
    const {status} = enableCompileCache(dir)
    if (fresh && status === constants.compileCacheStatus.ENABLED) removeOtherVersions(parent, version)
    return status
  } catch {
    return undefined
  }
}

function removeOtherVersions(parent, version) {
  try {
    for (const entry of fs.readdirSync(parent)) {
      if (entry !== version) fs.rmSync(join(parent, entry), {force: true, recursive: true})
    }
  } catch {
    // Another mlxk may be removing the same directories; what is left goes at the next version change.
  }
}
