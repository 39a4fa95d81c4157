// Build: compile the root CLI and every plugin, bundle the fast path, then regenerate each oclif.manifest.json.
// A stale manifest at the same version silently hides new commands, so the build always rewrites it.
import {execFileSync} from 'node:child_process'
import {existsSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {bundleFast} from './bundle-fast.js'

const root = new URL('..', import.meta.url).pathname
const bin = (name) => join(root, 'node_modules', '.bin', name)
const run = (cmd, args, cwd) => execFileSync(cmd, args, {cwd, stdio: 'inherit'})

const packages = [root]
const pluginsDir = join(root, 'plugins')
if (existsSync(pluginsDir)) {
  for (const name of readdirSync(pluginsDir).sort()) {
    if (existsSync(join(pluginsDir, name, 'package.json'))) packages.push(join(pluginsDir, name))
  }
}

// lib/ is not wiped first: tsc overwrites every file, and a wipe would break CLI runs that overlap the build.
// The fast path is bundled as soon as the root is compiled, so a plugin that fails to compile cannot leave it stale.
for (const dir of packages) {
  run(bin('tsc'), ['-p', join(dir, 'tsconfig.json')], dir)
  if (dir === root) await bundleFast(root)
}

// Plugins import `mlxk/sdk`, which only the CLI's own resolution hook maps to this package.
const register = join(root, 'bin', 'register-sdk.js')
for (const dir of packages) {
  execFileSync(process.execPath, ['--import', register, bin('oclif'), 'manifest'], {cwd: dir, stdio: 'inherit'})
  sortManifest(join(dir, 'oclif.manifest.json'))
}

// oclif writes commands in the order its loader finished them, which varies between runs; sorted, a fresh
// manifest is byte-identical to the committed one unless a command really changed.
function sortManifest(file) {
  const manifest = JSON.parse(readFileSync(file, 'utf8'))
  manifest.commands = Object.fromEntries(
    Object.entries(manifest.commands).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  )
  writeFileSync(file, JSON.stringify(manifest, null, 2) + '\n')
}
