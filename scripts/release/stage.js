// Assembles the installable tree (what lands in Homebrew's libexec) from the built checkout:
//   <stage>/{bin,lib,schemas,python-runtime,scripts/setup-runtime.sh,package.json,oclif.manifest.json}
//   <stage>/node_modules/...            production dependencies only
//   <stage>/node_modules/@mlxk/plugin-* the bundled plugins as real directories, not workspace links: a link
//                                        into plugins/ would not exist in the tarball (oclif/oclif#1560)
import {chmodSync, copyFileSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {dirname, join} from 'node:path'

import {packFiles, staleCompiled} from './packlist.js'
import {copyProductionDeps, workspaceLinks} from './prod-deps.js'

// Fields that only matter in the checkout; `workspaces` would make npm treat libexec as a monorepo root.
const DEV_ONLY_FIELDS = ['devDependencies', 'scripts', 'workspaces']

function copyFiles(fromDir, toDir, files) {
  for (const file of files) {
    const to = join(toDir, file)
    mkdirSync(dirname(to), {recursive: true})
    copyFileSync(join(fromDir, file), to)
    chmodSync(to, statSync(join(fromDir, file)).mode & 0o777)
  }
}

function shippedFiles(dir, {skipPrefix} = {}) {
  const all = packFiles(dir).filter((f) => !skipPrefix || !f.startsWith(skipPrefix))
  const stale = new Set(staleCompiled(dir, all))
  return {files: all.filter((f) => !stale.has(f)), stale: [...stale]}
}

/** Builds the tree at `stage` (replacing it) and returns what went in. */
export function stageTree(root, stage) {
  rmSync(stage, {force: true, recursive: true})
  mkdirSync(stage, {recursive: true})

  // plugins/*/lib is in the root `files` for the npm package; here each plugin ships as its own package instead.
  const core = shippedFiles(root, {skipPrefix: 'plugins/'})
  copyFiles(root, stage, core.files)
  const pjson = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
  for (const field of DEV_ONLY_FIELDS) delete pjson[field]
  writeFileSync(join(stage, 'package.json'), JSON.stringify(pjson, null, 2) + '\n')

  const deps = copyProductionDeps(root, stage)
  const plugins = []
  const stale = core.stale.map((f) => `mlxk: ${f}`)
  for (const ws of workspaceLinks(root)) {
    const shipped = shippedFiles(ws.dir)
    copyFiles(ws.dir, join(stage, 'node_modules', ws.name), shipped.files)
    plugins.push(ws.name)
    stale.push(...shipped.stale.map((f) => `${ws.name}: ${f}`))
  }

  return {deps, files: core.files.length, plugins, stale}
}
