#!/usr/bin/env node
// Launcher: refuse old Node with a clear message, start the hot commands from one bundle, and hand everything else
// to oclif with `mlxk/sdk` resolvable for every plugin.
const major = Number(process.versions.node.split('.')[0])
if (major < 24) {
  process.stderr.write(
    `mlxk: Error: Node.js ${process.versions.node} is too old; mlxk needs Node 24 or newer.\n` +
      "  Install it (brew install node, or your distribution's node24) and run mlxk again.\n",
  )
  process.exit(1)
}

// `mlxk | head -1` must not die on EPIPE: the reader left, which is not an error of ours.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0)
  throw error
})

// pull and clone stream hundreds of MB through short-lived buffers; a small young generation keeps their peak RSS
// down (a 300 MB pull: ~250 MB -> ~150 MB). V8 reads the flag only at start, so they restart with it; every other
// command starts faster without it.
const args = process.argv.slice(2)
if (['pull', 'clone'].includes(args[0]) && !process.execArgv.some((a) => a.startsWith('--max-semi-space-size'))) {
  const execArgv = ['--max-semi-space-size=1', ...process.execArgv]
  process.execve?.(process.execPath, [process.execPath, ...execArgv, ...process.argv.slice(1)])
}

// Builtins through getBuiltinModule: an ESM import of node:fs builds its whole namespace, streams included.
const {readFileSync} = process.getBuiltinModule('node:fs')
const {createRequire} = process.getBuiltinModule('node:module')
const {fileURLToPath} = process.getBuiltinModule('node:url')
const packageJsonUrl = new URL('../package.json', import.meta.url)
const pjson = JSON.parse(readFileSync(packageJsonUrl, 'utf8'))
const root = fileURLToPath(new URL('..', import.meta.url))
const {enableMlxkCompileCache} = await import('./compile-cache.js')
enableMlxkCompileCache(pjson.version)

// Upstream prints `mlxk <version>` and a JSON envelope for `--version --json`: route it to our `version` command.
if (args[0] === '--version' || args[0] === '-v') args[0] = 'version'

const fast = loadFastPath()
if (!(fast && (await fast.runFast(args, pjson, root)))) await runOclif()

/** lib/fast/bundle.cjs, which the build writes; a checkout that only ran tsc has none and starts through oclif. */
function loadFastPath() {
  try {
    return createRequire(import.meta.url)('../lib/fast/bundle.cjs')
  } catch (error) {
    if (error.code === 'MODULE_NOT_FOUND' && error.requireStack?.[0] === fileURLToPath(import.meta.url)) return
    throw error
  }
}

async function runOclif() {
  const {registerSdkResolution} = await import('./sdk-resolution.js')
  registerSdkResolution(packageJsonUrl, pjson)

  // Bundled plugins the user uninstalled stay out of the core plugin list (see src/sdk/bundled-plugins.ts).
  const {readRemovedBundled} = await import('../lib/sdk/bundled-plugins.js')
  const removed = new Set(readRemovedBundled())
  pjson.oclif.plugins = pjson.oclif.plugins.filter((name) => !removed.has(name))

  const {Config, flush, handle, run} = await import('@oclif/core')
  try {
    const config = await Config.load({pjson, root})
    await run(args, config)
    await flush()
  } catch (error) {
    await handle(error)
  }
}
