// Build: compile the root CLI and every plugin, then regenerate each oclif.manifest.json.
// A stale manifest at the same version silently hides new commands, so the build always rewrites it.
import {execFileSync} from 'node:child_process'
import {existsSync, readdirSync} from 'node:fs'
import {join} from 'node:path'

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
for (const dir of packages) run(bin('tsc'), ['-p', join(dir, 'tsconfig.json')], dir)

// Plugins import `mlxk/sdk`, which only the CLI's own resolution hook maps to this package.
const register = join(root, 'bin', 'register-sdk.js')
for (const dir of packages) {
  execFileSync(process.execPath, ['--import', register, bin('oclif'), 'manifest'], {cwd: dir, stdio: 'inherit'})
}
