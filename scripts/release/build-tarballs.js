#!/usr/bin/env node
// Builds the release tarballs offline: node scripts/release/build-tarballs.js [options]
//   --target T     linux-x64, darwin-arm64, darwin-x64 (repeatable; default: all three)
//   --out DIR      where tarballs, SHA256SUMS and release.json go (default: dist/)
//   --work DIR     scratch space for the staged tree (default: tmp/release/)
//   --node PATH    the linux-x64 Node ≥ 24 to bundle (default: the Node running this script)
//   --skip-build   use lib/ and the manifests as they are (the caller just built)
// Nothing is downloaded: dependencies come from node_modules as package-lock.json pins them (see prod-deps.js).
import {execFileSync} from 'node:child_process'
import {copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {join, resolve} from 'node:path'
import {parseArgs} from 'node:util'

import {writeTarball} from './archive.js'
import {writeCompletions} from './completions.js'
import {stageTree} from './stage.js'
import {linuxNode, tarballName, TARGETS} from './targets.js'
import {verifyStage} from './verify.js'

const root = resolve(new URL('../..', import.meta.url).pathname)
const {values} = parseArgs({
  options: {
    node: {type: 'string'},
    out: {default: join(root, 'dist'), type: 'string'},
    'skip-build': {default: false, type: 'boolean'},
    target: {multiple: true, type: 'string'},
    work: {default: join(root, 'tmp', 'release'), type: 'string'},
  },
})
const targets = values.target ?? Object.keys(TARGETS)
for (const t of targets)
  if (!(t in TARGETS)) throw new Error(`unknown target ${t}; known: ${Object.keys(TARGETS).join(', ')}`)
const out = resolve(values.out)
const work = resolve(values.work)
const log = (line) => process.stderr.write(`release: ${line}\n`)

if (!values['skip-build'])
  execFileSync(process.execPath, [join(root, 'scripts', 'build.js')], {cwd: root, stdio: 'inherit'})

const {version} = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
const stageParent = join(work, 'stage')
const stage = join(stageParent, 'mlxk')
const staged = stageTree(root, stage)
for (const line of staged.stale) log(`left out stale compiled file ${line}`)
log(`staged ${staged.files} files, ${staged.deps.copied} production packages, plugins: ${staged.plugins.join(', ')}`)
writeCompletions(stage)
const verified = verifyStage(root, stage)
log(`verified ${verified.packages} packages: no dev dependencies, every core plugin resolves`)

// Entries get the commit's time, so rebuilding one commit reproduces the same bytes.
const mtime = Number(process.env.SOURCE_DATE_EPOCH ?? gitCommitTime() ?? Math.floor(Date.now() / 1000))
mkdirSync(out, {recursive: true})
const release = {targets: {}, version}
for (const target of targets) {
  const file = tarballName(version, target)
  const sources = [{dir: stageParent, paths: ['mlxk']}]
  let node = null
  if (TARGETS[target].bundleNode) {
    node = linuxNode(values.node)
    sources.push({
      dir: nodeOverlay(node),
      paths: ['mlxk/bin/node', ...(node.license ? ['mlxk/licenses/node/LICENSE'] : [])],
    })
  }

  const sha256 = await writeTarball(join(out, file), sources, {mtime})
  const bytes = statSync(join(out, file)).size
  release.targets[target] = {bytes, file, node: node?.version ?? null, sha256}
  log(`${file}  ${(bytes / 1e6).toFixed(1)} MB  ${node ? `bundles Node ${node.version}` : 'uses the node on PATH'}`)
}

const sums = Object.values(release.targets).map((t) => `${t.sha256}  ${t.file}\n`)
writeFileSync(join(out, 'SHA256SUMS'), sums.join(''))
writeFileSync(join(out, 'release.json'), JSON.stringify(release, null, 2) + '\n')
log(`wrote ${join(out, 'SHA256SUMS')} and release.json`)

/** A directory holding only mlxk/bin/node (and its licence), archived on top of the staged tree. */
function nodeOverlay(node) {
  const dir = mkdtempSync(join(work, 'node-'))
  mkdirSync(join(dir, 'mlxk', 'bin'), {recursive: true})
  copyFileSync(node.binary, join(dir, 'mlxk', 'bin', 'node'))
  if (node.license) {
    mkdirSync(join(dir, 'mlxk', 'licenses', 'node'), {recursive: true})
    copyFileSync(node.license, join(dir, 'mlxk', 'licenses', 'node', 'LICENSE'))
  }

  process.on('exit', () => rmSync(dir, {force: true, recursive: true}))
  return dir
}

function gitCommitTime() {
  try {
    return (
      execFileSync('git', ['log', '-1', '--format=%ct'], {
        cwd: root,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }).trim() || null
    )
  } catch {
    return null
  }
}
