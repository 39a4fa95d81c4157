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
  try {
    process.execve?.(process.execPath, [process.execPath, ...execArgv, ...process.argv.slice(1)])
  } catch {
    // No restart (an unusual platform or a refused exec): the download still works, with a larger young generation.
  }
}

const {compileCacheDir, enableCaches, loadFastPath} = await import('./start-fast.js')
const {readFileSync} = process.getBuiltinModule('node:fs')
const {fileURLToPath} = process.getBuiltinModule('node:url')
const packageJsonUrl = new URL('../package.json', import.meta.url)
const pjson = JSON.parse(readFileSync(packageJsonUrl, 'utf8'))
const root = fileURLToPath(new URL('..', import.meta.url))
const cacheDir = compileCacheDir(pjson.version)
const caches = enableCaches(cacheDir)

// Upstream prints `mlxk <version>` and a JSON envelope for `--version --json`: route it to our `version` command.
if (args[0] === '--version' || args[0] === '-v') args[0] = 'version'

// A checkout that only ran tsc has no bundle and starts everything through oclif.
const fast = loadFastPath(
  fileURLToPath(new URL('../lib/fast/bundle.cjs', import.meta.url)),
  caches ? cacheDir : undefined,
)
if (!(fast && (await fast.run(args, pjson, root)))) await runOclif()

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
