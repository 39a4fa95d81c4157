// What bin/run.js does before any command: switch on the start-up caches and load the fast-path bundle.
// Builtins come from getBuiltinModule: an ESM import of node:fs builds its whole namespace, streams included.
const fs = process.getBuiltinModule('node:fs')
const {constants, createRequire, enableCompileCache} = process.getBuiltinModule('node:module')
const {homedir} = process.getBuiltinModule('node:os')
const {dirname, join} = process.getBuiltinModule('node:path')
const {setFlagsFromString} = process.getBuiltinModule('node:v8')
const vm = process.getBuiltinModule('node:vm')

/**
 * Where compiled code is kept: the user's mlxk cache dir (src/sdk/paths.ts stateCacheDir, repeated here so that the
 * launcher loads no module of ours first; test/unit/fast/start-fast.test.ts keeps the two equal), one directory
 * per mlxk version.
 */
export function compileCacheDir(version, env = process.env) {
  const cache = env.MLXK_CACHE_DIR || join(env.XDG_CACHE_HOME || join(env.HOME || homedir(), '.cache'), 'mlxk')
  return join(cache, 'compile-cache', version)
}

/**
 * Turns on Node's compile cache in `dir`, so that every module a command loads is parsed once per version. The
 * first run of a new version removes the other versions' directories. A directory that cannot be created or written
 * leaves the caches off and changes nothing else, as does NODE_DISABLE_COMPILE_CACHE. Returns whether `dir` is
 * usable.
 */
export function enableCaches(dir) {
  const {ALREADY_ENABLED, DISABLED, FAILED} = constants.compileCacheStatus
  try {
    const fresh = !fs.existsSync(dir)
    const {status} = enableCompileCache(dir)
    if (status === FAILED || status === DISABLED) return false
    // NODE_COMPILE_CACHE chose Node's directory; the bundle's code cache still goes in ours.
    if (status === ALREADY_ENABLED) fs.mkdirSync(dir, {recursive: true})
    if (fresh) removeOtherVersions(dir)
    return true
  } catch {
    return false
  }
}

function removeOtherVersions(dir) {
  try {
    const parent = dirname(dir)
    for (const entry of fs.readdirSync(parent)) {
      if (join(parent, entry) !== dir) fs.rmSync(join(parent, entry), {force: true, recursive: true})
    }
  } catch {
    // Another mlxk may be removing the same directories; what is left goes at the next version change.
  }
}

const CODE_CACHE = 'fast-bundle.v8'

// A fast command is over in tens of milliseconds: V8's optimising tiers (Maglev, TurboFan) would compile code that
// barely runs, and page in ~12 MB of compiler (list --json of 100 models: 63 -> 54 MB peak RSS, and no slower).
// Set before the bundle is compiled, because the flags are part of what V8's code cache must match; oclif's path
// gets them back. Left alone when the user chose these flags.
const TIERS = ['opt', 'maglev']
const userTiers = /--(no-)?(opt|maglev|turbofan)\b/.test(
  [...process.execArgv, process.env.NODE_OPTIONS ?? ''].join(' '),
)
const setTiers = (on) => userTiers || TIERS.forEach((flag) => setFlagsFromString(`--${on ? '' : 'no-'}${flag}`))

/**
 * Loads lib/fast/bundle.cjs (undefined when the build has not written it). Node's compile cache keeps only what
 * V8 compiles up front, and most of the bundle's functions compile on first call; so the bundle is run through
 * vm.Script with V8's code cache taken after a command has run, which holds those functions too. The cache file
 * names the bundle it belongs to (inode, size and mtime) and the commands whose code it holds; a command it does
 * not hold rewrites it once.
 */
export function loadFastPath(file, cacheDir) {
  let fd
  try {
    fd = fs.openSync(file, 'r')
  } catch (error) {
    if (error.code === 'ENOENT') return undefined
    throw error
  }

  // Read and identified through one descriptor: a build that replaces the file meanwhile cannot pair new bytes with
  // old code (V8 checks the code cache against the source's length only).
  let source
  let stat
  try {
    stat = fs.fstatSync(fd)
    source = fs.readFileSync(fd, 'utf8')
  } finally {
    fs.closeSync(fd)
  }

  setTiers(false)
  const bundle = `${stat.ino}:${stat.size}:${stat.mtimeMs}`
  const cacheFile = cacheDir && join(cacheDir, CODE_CACHE)
  const cached = cacheFile && readCodeCache(cacheFile, bundle)
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    cachedData: cached?.data,
    filename: file,
    importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  })
  const module = {exports: {}}
  script.runInThisContext().call(module.exports, module.exports, createRequire(file), module, file, dirname(file))
  return {
    /** Runs argv when it is a fast command; false when oclif must. */
    async run(argv, pjson, root) {
      const id = await module.exports.runFast(argv, pjson, root)
      if (id === undefined) {
        setTiers(true)
        return false
      }

      const known = cached && !script.cachedDataRejected ? cached.commands : []
      if (cacheFile && !known.includes(id)) writeCodeCache(cacheFile, {bundle, commands: [...known, id]}, script)
      return true
    },
  }
}

/** `<JSON header>\n<V8 code cache>`, or undefined when absent, unreadable or for another bundle. */
function readCodeCache(file, bundle) {
  try {
    const bytes = fs.readFileSync(file)
    const end = bytes.indexOf(10)
    const header = JSON.parse(bytes.subarray(0, end).toString('utf8'))
    return header.bundle === bundle ? {commands: header.commands, data: bytes.subarray(end + 1)} : undefined
  } catch {
    return undefined
  }
}

function writeCodeCache(file, header, script) {
  try {
    const temp = `${file}.${process.pid}.tmp`
    fs.writeFileSync(temp, Buffer.concat([Buffer.from(JSON.stringify(header) + '\n'), script.createCachedData()]))
    fs.renameSync(temp, file)
  } catch {
    // A read-only or vanished cache dir: the next run compiles again.
  }
}
