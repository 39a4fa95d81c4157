#!/usr/bin/env -S node --max-semi-space-size=1
// The small young generation keeps downloads lean: pull streams hundreds of MB through short-lived buffers, and
// with it peak RSS of a 350 MB pull drops from ~175 MB to ~115 MB, and the pull gets faster.
// Launcher: refuse old Node with a clear message, make `mlxk/sdk` resolve for every plugin, then hand over to oclif.
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

const {readFileSync} = await import('node:fs')
const {fileURLToPath} = await import('node:url')
const {registerSdkResolution} = await import('./sdk-resolution.js')
const packageJsonUrl = new URL('../package.json', import.meta.url)
const pjson = JSON.parse(readFileSync(packageJsonUrl, 'utf8'))
registerSdkResolution(packageJsonUrl, pjson)

// Upstream prints `mlxk <version>` and a JSON envelope for `--version --json`: route it to our `version` command.
const args = process.argv.slice(2)
if (args[0] === '--version' || args[0] === '-v') args[0] = 'version'

// Bundled plugins the user uninstalled stay out of the core plugin list (see src/sdk/bundled-plugins.ts).
const {readRemovedBundled} = await import('../lib/sdk/bundled-plugins.js')
const removed = new Set(readRemovedBundled())
pjson.oclif.plugins = pjson.oclif.plugins.filter((name) => !removed.has(name))

const {Config, flush, handle, run} = await import('@oclif/core')
try {
  const config = await Config.load({pjson, root: fileURLToPath(new URL('..', import.meta.url))})
  await run(args, config)
  await flush()
} catch (error) {
  await handle(error)
}
