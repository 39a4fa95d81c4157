// Checks a staged tree before it is archived: a release that ships dev tooling (15 MB of @aws-sdk came in that
// way once) or that cannot resolve one of its core plugins must fail here, not on a user's machine.
import {execFileSync} from 'node:child_process'
import {existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {isAbsolute, join, resolve} from 'node:path'

/** Every package directory under node_modules, nested ones included, as names like `@scope/x` or `x`. */
export function installedPackages(stage) {
  const names = []
  const walk = (dir) => {
    if (!existsSync(dir)) return
    for (const entry of readdirSync(dir, {withFileTypes: true})) {
      if (entry.name.startsWith('.')) continue
      const path = join(dir, entry.name)
      if (entry.name.startsWith('@')) {
        for (const scoped of readdirSync(path)) visit(join(path, scoped), `${entry.name}/${scoped}`)
      } else visit(path, entry.name)
    }
  }

  const visit = (path, name) => {
    if (existsSync(join(path, 'package.json'))) names.push(name)
    walk(join(path, 'node_modules'))
  }

  walk(join(stage, 'node_modules'))
  return names
}

function linksLeavingTree(stage) {
  const bad = []
  const walk = (dir) => {
    for (const entry of readdirSync(dir, {withFileTypes: true})) {
      const path = join(dir, entry.name)
      if (entry.isSymbolicLink()) {
        const target = readlinkSync(path)
        const absolute = isAbsolute(target) ? target : resolve(dir, target)
        if (isAbsolute(target) || !absolute.startsWith(stage + '/')) bad.push(`${path} -> ${target}`)
      } else if (entry.isDirectory()) walk(path)
    }
  }

  walk(stage)
  return bad
}

/**
 * Throws with every problem found. `node` runs the tree's launcher for a smoke test (with an empty HOME, so no
 * user plugin or config can mask a missing core plugin).
 */
export function verifyStage(root, stage, {node = process.execPath} = {}) {
  const problems = []
  const rootPjson = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
  const forbidden = (name) =>
    name in (rootPjson.devDependencies ?? {}) ||
    /^@aws-sdk\/|^@smithy\//.test(name) ||
    ['typescript', 'mocha', 'tsx', 'oclif', 'openai'].includes(name)
  const packages = installedPackages(stage)
  const dev = [...new Set(packages.filter((n) => forbidden(n)))]
  if (dev.length > 0) problems.push(`dev-only packages in node_modules: ${dev.join(', ')}`)

  for (const plugin of rootPjson.oclif?.plugins ?? []) {
    const dir = join(stage, 'node_modules', plugin)
    if (!existsSync(join(dir, 'package.json'))) problems.push(`core plugin ${plugin} is not in node_modules`)
    else if (lstatSync(dir).isSymbolicLink()) problems.push(`core plugin ${plugin} is a link, not a directory`)
    else if (!existsSync(join(dir, 'oclif.manifest.json')))
      problems.push(`core plugin ${plugin} has no oclif.manifest.json`)
  }

  for (const required of [
    'bin/mlxk',
    'bin/run.js',
    'bin/start-fast.js',
    'lib/fast/bundle.cjs',
    'oclif.manifest.json',
    'python-runtime/pyproject.toml',
    'scripts/setup-runtime.sh',
    'schemas',
  ]) {
    if (!existsSync(join(stage, required))) problems.push(`${required} is missing`)
  }

  for (const forbiddenPath of ['python-runtime/.venv', 'python-runtime/tests', 'src', 'test', 'plugins']) {
    if (existsSync(join(stage, forbiddenPath))) problems.push(`${forbiddenPath} must not ship`)
  }

  problems.push(...linksLeavingTree(stage).map((l) => `link leaves the tree: ${l}`))
  if (problems.length === 0) problems.push(...smoke(stage, rootPjson, node))
  if (problems.length > 0) throw new Error(`the staged tree is not releasable:\n  ${problems.join('\n  ')}`)
  return {packages: packages.length}
}

function smoke(stage, rootPjson, node) {
  const home = mkdtempSync(join(tmpdir(), 'mlxk-release-smoke-'))
  const env = {
    HOME: home,
    MLXK_NODE: node,
    PATH: process.env.PATH,
    XDG_CACHE_HOME: join(home, 'cache'),
    XDG_CONFIG_HOME: join(home, 'config'),
    XDG_DATA_HOME: join(home, 'data'),
  }
  const run = (args) => execFileSync(join(stage, 'bin', 'mlxk'), args, {cwd: home, encoding: 'utf8', env})
  try {
    const problems = []
    const version = run(['--version']).trim()
    if (version !== `mlxk ${rootPjson.version}`) problems.push(`mlxk --version printed ${JSON.stringify(version)}`)
    const core = run(['plugins', '--core'])
    for (const plugin of rootPjson.oclif?.plugins ?? []) {
      if (!core.includes(`${plugin} `)) problems.push(`\`mlxk plugins --core\` does not list ${plugin}`)
    }

    return problems
  } catch (error) {
    return [`smoke test failed: ${error.message}`]
  } finally {
    rmSync(home, {force: true, recursive: true})
  }
}
